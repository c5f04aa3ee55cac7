"""``scan --processes`` against processes any local user can start: sleeping processes whose
64 KB command lines are thousands of ``--token=...`` words, each a finding. Until 2026-12-04
every word was kept and judged: 100 such processes made a 220 MB report, 620 MB resident and
31 s, so a few thousand (free for their owner) exhausted the memory of whoever scanned. Now a
command line keeps its first 128 words and at most 500 MCP processes are reported, the excess
said as an error. Real processes, the real CLI; no value is printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cli_kit import with_peak_memory

import mcpward

SRC = str(Path(mcpward.__file__).parents[1])
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@contextmanager
def _flood(count: int, words: int) -> Iterator[list[int]]:
    args = [f"--token=t{i}Zq8vLk3P9xWm2R" for i in range(words)]
    started = [
        subprocess.Popen(
            [f"mcp-server-flood-{index}", "-c", "import time; time.sleep(60)", *args],
            executable=sys.executable,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index in range(count)
    ]
    try:
        yield [process.pid for process in started]
    finally:
        for process in started:
            process.kill()
            process.wait(timeout=10)


def _scan(tmp_path: Path, setup: str = "") -> tuple[dict, float, int]:
    output = tmp_path / "report.json"
    cli = f"{setup}\nfrom mcpward.cli import main\nmain()"
    start = time.monotonic()
    done, peak_kb = with_peak_memory(
        [sys.executable, "-c", cli, "scan", "--processes", "--home", os.fspath(tmp_path), "--format", "json",
         "-o", os.fspath(output)],
        env={**os.environ, "PYTHONPATH": SRC}, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-300:]
    return json.loads(output.read_text()), time.monotonic() - start, peak_kb


def test_thousands_of_secret_words_on_a_command_line_are_bounded(tmp_path: Path) -> None:
    with _flood(20, 4000) as pids:
        time.sleep(0.3)  # each has replaced its command line by then
        report, seconds, peak_kb = _scan(tmp_path)
    ours = {s["id"]: s for s in report["servers"] if s.get("process") and s["process"]["pid"] in pids}
    assert len(ours) == 20
    assert all(len(s["args"]) <= 128 for s in ours.values())
    per_server: dict[str, int] = {}
    for finding in report["findings"]:
        if finding.get("server_id") in ours:
            per_server[finding["server_id"]] = per_server.get(finding["server_id"], 0) + 1
    assert max(per_server.values()) <= 128, max(per_server.values())
    assert "Zq8vLk3P9xWm2R" not in json.dumps(report)
    assert seconds < 20 and peak_kb < 200 * 1024, (seconds, peak_kb)


def test_more_mcp_processes_than_reported_is_said(tmp_path: Path) -> None:
    # The limit is 500; 5 here so that the test starts few processes.
    with _flood(8, 1):
        time.sleep(0.3)
        setup = "import mcpward.scan._processes as p\np.MAX_RUNNING_SERVERS = 5"
        report, _, _ = _scan(tmp_path, setup)
    assert len([s for s in report["servers"] if s["host"] == "process"]) == 5
    assert any("MCP processes or more" in e["message"] for e in report["errors"])
