"""``mcpward report audit --previous FILE`` needs only the earlier report's summary, but decoded
the whole file (up to 256 MiB) into Python objects first. The file may be kept where others
write (a shared folder, a repository): 32 MiB of empty lists (``[[],[],...]``) beside a summary
took 886 MB of memory and 10 s, so a 256 MiB one took some 7 GB, on the auditor's machine. And a
real report of a large fleet (a million servers is some 300 MB of JSON) was refused as too large.

The JSON report writes its summary fourth, after three small fields: the report is now read from
its start, its top-level values decoded one by one up to the summary, within the first MiB, and
nothing after it. The real CLI; its memory measured as the kernel counts it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_kit import SRC, mcpward, with_peak_memory

from mcpward.registry import Registry

#: What the report may take beyond one run with a small previous report (the attack took 450 MB
#: more with this file).
MARGIN_KB = 100_000


def _database(tmp_path: Path) -> str:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    Registry.open(database).database.dispose()
    return database


def _peak_kb(tmp_path: Path, previous: Path) -> tuple[int, subprocess.CompletedProcess[str]]:
    """The report's peak resident memory (KB), and what it did."""
    done, peak = with_peak_memory(
        [sys.executable, "-m", "mcpward", "report", "audit", "--format", "json",
         "--database", _database(tmp_path), "--previous", str(previous)],
        env={"PYTHONPATH": SRC, "MCPWARD_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )  # fmt: skip
    return peak, done


def test_a_huge_previous_report_is_not_decoded_whole(tmp_path: Path) -> None:
    small = tmp_path / "small.json"
    small.write_text(json.dumps({"generated_at": "x", "summary": {"servers": 1}}))
    baseline, done = _peak_kb(tmp_path, small)
    assert done.returncode == 0, done.stderr
    hostile = tmp_path / "hostile.json"
    with hostile.open("w") as out:
        out.write('{"summary": {"servers": 4}, "x": [')
        out.write("[]," * (16 * 1024 * 1024 // 3))
        out.write("[]]}")
    peak, done = _peak_kb(tmp_path, hostile)
    assert done.returncode == 0, done.stderr
    assert peak < baseline + MARGIN_KB, f"{peak} KB against {baseline} KB with a 64-byte previous report"


def test_decoys_after_the_summary_or_before_it_too_far_are_not_read(tmp_path: Path) -> None:
    database = _database(tmp_path)
    data = str(tmp_path / "data")
    late = tmp_path / "late.json"
    late.write_text('{"x": "' + "a" * (2 * 1024 * 1024) + '", "summary": {"servers": 4}}')
    done = mcpward("report", "audit", "--database", database, "--previous", str(late), MCPWARD_DATA_DIR=data)
    assert done.returncode == 2 and "not a JSON audit report" in done.stderr, done.stderr
    cut = tmp_path / "cut.json"
    cut.write_text('{"summary": {"servers": 4}, "fleet": [')  # read up to its summary: enough
    done = mcpward("report", "audit", "--format", "json", "--database", database, "--previous", str(cut),
                   MCPWARD_DATA_DIR=data)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["trends"]["servers"]["before"] == 4
    for text in ('{"summary": 1}', '{"a": 1}', "[1]", '{"summary" 4}', "\ufeff{}", '{"x": é}'):
        other = tmp_path / "other.json"
        other.write_text(text)
        done = mcpward(
            "report", "audit", "--database", database, "--previous", str(other), MCPWARD_DATA_DIR=data
        )
        assert done.returncode == 2 and "not a JSON audit report" in done.stderr, (text, done.stderr)
