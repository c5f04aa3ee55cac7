"""A stdio server started by ``inspect --run`` (``--scan``) starts a process of its own, answers
the look as a clean server would, and exits as soon as its standard input closes: the SDK stops
a server by closing its input and kills its process group only when it has not exited two
seconds later, so the process left behind, in the server's group or in a session of its own
(``setsid``), ran on after the look, for as long as it liked (a server's code meant to run
only while it was looked at); one in a session of its own outlived the kill of the group too
(a server that ignored its input's end and SIGTERM). Each now ends with the look: the server
runs under a keeper, a child subreaper that adopts what it leaves behind and kills it once the
server has ended (at once on the SDK's SIGTERM)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from stdio_answers import ANSWERING

from mcpward.inspect import ServerTarget, fetch_all

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a child subreaper is Linux's")

#: A server in JSON lines that first starts a process (which records its pid and sleeps, at most
#: 30 s), in its own group or (``setsid``) a session of its own, then answers with one tool;
#: ``stubborn``: in a session of its own, both ignoring SIGTERM and the server its input's end.
SERVER = (
    r"""
import json, os, signal, sys, time
record, how = sys.argv[1], sys.argv[2]
if how == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    if how in ("setsid", "stubborn"):
        os.setsid()
    os.close(0); os.close(1)
    with open(record + ".part", "w") as handle:
        handle.write(str(os.getpid()))
    os.rename(record + ".part", record)
    time.sleep(30)
    os._exit(0)
for _ in range(200):  # the process has recorded its pid before the server answers
    if os.path.exists(record):
        break
    time.sleep(0.05)
"""
    + ANSWERING
    + r"""
if how == "stubborn":
    time.sleep(30)
"""
)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process still running (a zombie has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.fixture
def leftover(tmp_path: Path) -> Iterator[Path]:
    """Where the server's process records its pid; the process is killed after the test."""
    record = tmp_path / "pid"
    yield record
    if record.exists():
        with contextlib.suppress(OSError):
            os.kill(int(record.read_text()), signal.SIGKILL)


@pytest.mark.parametrize("how", ["group", "setsid", "stubborn"])
def test_a_process_the_server_started_does_not_outlive_the_look(leftover: Path, how: str) -> None:
    target = ServerTarget("weather", "stdio", command=sys.executable, args=("-c", SERVER, str(leftover), how))
    fetched, errors = fetch_all([target], 30)
    assert errors == [] and [item.name for item in fetched[0][1]] == ["get_forecast"]
    pid = int(leftover.read_text())
    deadline = time.monotonic() + 3
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid), f"the server's {how} process {pid} outlived the look"


def test_a_server_that_cannot_start_is_still_named(tmp_path: Path) -> None:
    target = ServerTarget("gone", "stdio", command="mcpward-no-such-program", args=("x",))
    fetched, errors = fetch_all([target], 30)
    assert fetched == [] and [e.message for e in errors] == [
        "cannot start mcpward-no-such-program: No such file or directory"
    ]
