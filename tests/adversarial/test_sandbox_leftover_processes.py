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

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from needs import missing

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


def _holders(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


@pytest.fixture
def marker() -> Iterator[str]:
    text = f"left-{os.urandom(6).hex()}"
    yield text
    for pid in _holders(text):  # the test's own leftover, if the sandbox left it
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def test_a_process_the_server_leaves_in_its_own_session_is_ended_with_the_run(
    tmp_path: Path, marker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcpward.sandbox import backends, run_sandboxed
    from mcpward.sandbox.interface import Profile

    landlock = next(b for b in backends() if b.name == "landlock")
    availability = landlock.check()
    if not availability.works:
        missing("landlock", availability.why)
    monkeypatch.setattr("mcpward.sandbox._cgroups._BASE", tmp_path / "cgroup-v2-only")
    script = tmp_path / "server.py"
    script.write_text(_SERVER, encoding="utf-8")
    script.chmod(0o644)
    tmp_path.chmod(0o755)
    records: list[dict[str, Any]] = []
    status = run_sandboxed(
        Profile(), [sys.executable, str(script), marker], report=records.append, backend=landlock
    )
    assert status == 0
    for _ in range(30):  # bounded: three seconds
        if not _holders(marker):
            break
        time.sleep(0.1)
    assert _holders(marker) == []
