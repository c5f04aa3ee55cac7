"""The command line: options, exit codes, and one-line errors instead of tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fake_home import write_json

RISKY = {
    "mcpServers": {
        "remote": {"url": "http://mcp.example.com/mcp"},
        "memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]},
    }
}


def make_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    write_json(home / ".cursor" / "mcp.json", RISKY)
    return home


def test_fail_on_sets_the_exit_code(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    home = str(make_home(tmp_path))
    assert cli("scan", "--home", home, "--fail-on", "high").exit_code == 1
    assert cli("scan", "--home", home, "--fail-on", "critical").exit_code == 0
    assert cli("scan", "--home", home).exit_code == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("scan", "--home", str(empty), "--fail-on", "info").exit_code == 0


def test_output_file_and_formats(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    home = str(make_home(tmp_path))
    out = tmp_path / "report.sarif"
    result = cli("scan", "--home", home, "-f", "sarif", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_host_filter_and_only_paths(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    home = make_home(tmp_path)
    write_json(
        home / ".gemini" / "settings.json", {"mcpServers": {"g": {"command": "node", "args": ["g.js"]}}}
    )
    only_gemini = cli("scan", "--home", str(home), "--host", "gemini-cli", "-f", "json").json()
    assert [s["name"] for s in only_gemini["servers"]] == ["g"]
    project = tmp_path / "proj"
    write_json(project / ".mcp.json", {"mcpServers": {"p": {"command": "node", "args": ["p.js"]}}})
    paths_only = cli("scan", "--home", str(home), "--path", str(project), "--only-paths", "-f", "json").json()
    assert [s["name"] for s in paths_only["servers"]] == ["p"]
    both = cli("scan", "--home", str(home), "--path", str(project), "-f", "json").json()
    assert {s["name"] for s in both["servers"]} == {"remote", "memory", "g", "p"}


def test_usage_errors_are_one_line(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    home = str(make_home(tmp_path))
    cases = [
        (["scan", "--home", home, "--format", "xml"], "unknown --format 'xml'"),
        (["scan", "--home", home, "--fail-on", "severe"], "unknown severity 'severe'"),
        (["scan", "--home", home, "--os", "beos"], "unknown --os 'beos'"),
        (["scan", "--home", home, "--host", "notepad"], "unknown --host notepad"),
        (["scan", "--home", str(tmp_path / "missing")], "not a directory"),
        (["scan", "--home", home, "--path", str(tmp_path / "missing")], "--path"),
        (["scan", "--home", home, "-o", str(tmp_path / "no" / "dir" / "x.json")], "cannot write"),
    ]
    for args, message in cases:
        result = cli(*args)
        assert result.exit_code == 2, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_real_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_bytes(b"\xff\xfe\x00garbage")
    env = {**os.environ, "MCPWARD_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "mcpward", "scan", "--home", str(home), "--os", "linux"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "cursor (2)" in done.stdout and "Files that could not be read" in done.stdout
    version = subprocess.run(
        [sys.executable, "-m", "mcpward", "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.stdout.startswith("mcpward ")


def test_progress_line_on_a_terminal(tmp_path: Path) -> None:
    from mcpward.cli._common import WalkProgress

    with WalkProgress(enabled=True) as progress:
        callback = progress.callback()
        assert callback is not None
        callback(str(tmp_path), 256, 4096)
    with WalkProgress(enabled=False) as quiet:
        assert quiet.callback() is None


def test_a_gate_that_could_not_read_an_input_does_not_pass(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    missing = str(tmp_path / "missing.json")
    gated = cli("inspect", "--tools-file", missing, "--fail-on", "info")
    assert gated.exit_code == 3 and "cannot read" in gated.stdout, gated.stdout
    # without --fail-on the report is the answer, as documented
    assert cli("inspect", "--tools-file", missing).exit_code == 0
    broken = make_home(tmp_path)
    (broken / ".cursor").mkdir(exist_ok=True)
    (broken / ".cursor" / "mcp.json").write_text("{not json")
    assert cli("scan", "--home", str(broken), "--fail-on", "critical").exit_code == 3
