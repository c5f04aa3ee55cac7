"""The command line of the application that started a running server (``scan --processes``
names it as the server's parent): another user's process whose arguments hold a secret that is
more than one word (a passphrase, ``--password "correct horse battery staple"``).

Before 2026-12-06 the parent's arguments were joined with spaces and split again as shell words,
so a passphrase became four words, its first judged under ``--password`` and the rest printed
in clear. Now the arguments are judged as the process has them, one by one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

PASSPHRASE = "correct horse battery staple"

#: The client: starts the server (a child that looks like an MCP server), then waits.
CLIENT = f"""
import subprocess, time
child = subprocess.Popen(["mcp-server-notes", "-c", "import time; time.sleep(60)"], executable={sys.executable!r})
time.sleep(60)
"""


def _report_with_parent(tmp_path: Path, argv: list[str]) -> dict[str, object]:
    started = subprocess.Popen(
        ["notes-client", "-c", CLIENT, *argv],
        executable=sys.executable,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        time.sleep(0.5)
        done = mcpward_in_home(
            tmp_path, "scan", "--processes", "--home", os.fspath(tmp_path), "-f", "json", timeout=60
        )
    finally:
        os.killpg(started.pid, 9)
        started.wait(timeout=10)
    report = json.loads(done.stdout)
    (server,) = [s for s in report["servers"] if (s.get("process") or {}).get("parent_pid") == started.pid]
    return server


def test_a_passphrase_in_the_parent_command_line_is_masked(tmp_path: Path) -> None:
    server = _report_with_parent(tmp_path, ["--password", PASSPHRASE])
    parent = server["process"]["parent"]
    assert "--password" in parent
    for word in PASSPHRASE.split():
        assert word not in parent, parent


def test_a_parent_command_line_without_secrets_is_shown(tmp_path: Path) -> None:
    server = _report_with_parent(tmp_path, ["--profile", "work notes", "--port", "8080"])
    assert server["process"]["parent"].endswith("--profile work notes --port 8080")
