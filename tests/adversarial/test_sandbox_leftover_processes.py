"""A server that leaves a process running once it has ended, under Landlock (no pid namespace
ends it there). The server forks a child that starts a session of its own (``setsid``: a new
process group too) and goes on; the server itself exits at once. The sandbox ended the
server's process group and whatever was left in its control groups: those exist only with
cgroup v1's pids and memory controllers, as root. On a machine with cgroup v2 alone (the
default of current distributions; stood in for here by a folder with no v1 controllers) and
for every run by an ordinary user, nothing found the child: it ran on, confined still but past
the end of the sandbox and of its gateway, with the server's files and mounts. Now the
Landlock launcher stays as the server's parent, a child subreaper outside the sandbox, and
ends every process it adopted."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from landlock_kit import fresh_marker, holders_after, server_script

from needs import sandbox_backend

_SERVER = """
import os, sys, time
marker = sys.argv[1]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(30)", marker])
    os._exit(0)
time.sleep(0.5)
"""


@pytest.fixture
def marker() -> Iterator[str]:
    with fresh_marker("left") as text:
        yield text


def test_a_process_the_server_leaves_in_its_own_session_is_ended_with_the_run(
    tmp_path: Path, marker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcpward.sandbox import run_sandboxed
    from mcpward.sandbox.interface import Profile

    landlock = sandbox_backend("landlock")
    monkeypatch.setattr("mcpward.sandbox._cgroups._BASE", tmp_path / "cgroup-v2-only")
    script = server_script(tmp_path, _SERVER)
    records: list[dict[str, Any]] = []
    status = run_sandboxed(
        Profile(), [sys.executable, str(script), marker], report=records.append, backend=landlock
    )
    assert status == 0
    assert holders_after(marker, seconds=3) == []
