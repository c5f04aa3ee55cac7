"""The keeper of a stdio server that ``inspect`` starts (standard library only, run as
``python -I -S _keeper.py COMMAND ARGS...``, Linux): the server's parent for as long as it
runs, and a child subreaper, so that whatever the server leaves running (a process in its group,
or in a session of its own) is adopted here and killed once the server has ended. The SDK stops
a server by closing its input, and kills its process group only when it has not exited two
seconds later: a server that exited at once left its processes running after the look.

The server gets the keeper's standard input and error; its output is passed on by the keeper a
whole line at a time, none longer than ``MAX_LINE_BYTES`` (see ``_relay``), and ends when the
server's own ends (the server's and that of whatever it started that holds it). A SIGTERM (the
SDK's, to the group) or the death of the inspecting process gives the server a moment to end
(see ``_stop``), then kills it and everything adopted. ``inspect`` reads the two constants from
here."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
#: Rounds of killing the processes adopted (each killed one's children come next).
_MOST_ROUNDS = 200
#: The longest line of the server's output passed on (as the longest answer of a remote server).
MAX_LINE_BYTES = 32 * 1024 * 1024
#: What is passed on in place of a longer line, and nothing after it.
TOO_LONG = "mcpward-keeper: the server wrote a line too long to read"
#: How long the server has to end on a SIGTERM, and again once what it started is killed:
#: twice this is within the two seconds the SDK waits before it kills the keeper's group.
_GRACE_SECONDS = 0.7


def _parents() -> dict[int, int]:
    """Each process's parent, as ``/proc`` shows them now (pid -> parent pid)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rpartition(")")[2].split()
                parents[int(entry)] = int(fields[1])
    return parents


def _end_adopted() -> None:
    """Every child of the keeper killed and reaped, and theirs in turn (bounded)."""
    mine = os.getpid()
    for _ in range(_MOST_ROUNDS):
        children = [pid for pid, parent in _parents().items() if parent == mine]
        if not children:
            return
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)


def _ended(server: int, seconds: float) -> bool:
    """Whether ``server`` has ended (and is reaped), waited for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            pid, _ = os.waitpid(server, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == server:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def _stop(server: int) -> None:
    """``server`` told to end and given ``_GRACE_SECONDS``; then what it started killed (not
    the server itself) and the server given as long again. A server in the sandbox is
    ``mcpward sandbox run``, which waits for its server before it removes what it made for the
    run: a server that ignores SIGTERM kept it waiting until it was killed, its folder and
    control groups left behind."""
    with contextlib.suppress(OSError):
        os.kill(server, signal.SIGTERM)
    if _ended(server, _GRACE_SECONDS):
        return
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    below, seen = list(children.get(server, ())), set[int]()
    while below and len(seen) < 100_000:
        pid = below.pop()
        if pid not in seen:
            seen.add(pid)
            below.extend(children.get(pid, ()))
    for pid in seen:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    _ended(server, _GRACE_SECONDS)


def _relay(source: int, sink: int) -> None:
    """The server's output from ``source`` to ``sink``, each line passed on once it is whole.
    The SDK reads a line whole before it looks at it, so an endless line was held in the
    inspecting process's memory for as long as the deadline allowed: the first line over
    ``MAX_LINE_BYTES`` is dropped here instead, ``TOO_LONG`` passed on in its place, and both ends
    closed (the server's next write fails, as to a reader that has gone)."""
    pending = bytearray()  # the line being written, not yet whole
    try:
        while chunk := os.read(source, 1 << 16):
            end = chunk.rfind(b"\n")
            if len(pending) + (chunk.find(b"\n") if end >= 0 else len(chunk)) > MAX_LINE_BYTES:
                _write(sink, TOO_LONG.encode() + b"\n")
                return
            if end < 0:
                pending += chunk
                continue
            _write(sink, bytes(pending) + chunk[: end + 1])
            pending = bytearray(chunk[end + 1 :])
    except OSError:  # the inspecting process closed its end
        return
    finally:
        os.close(source)
        os.close(sink)


def _write(sink: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(sink, view) :]


def main() -> None:
    command = sys.argv[1:]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    parent = os.getppid()
    started: list[int] = []  # the server's pid, once forked

    def stop(signum: int, frame: object) -> None:
        if started:
            _stop(started[0])
        _end_adopted()
        os._exit(128 + signum)

    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, stop)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the inspecting process was gone already
        stop(signal.SIGTERM, None)
    output, server_output = os.pipe()
    server = os.fork()
    if server == 0:
        # As the SDK would start it: Python ignores SIGPIPE and SIGXFSZ, which exec keeps.
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(number, signal.SIG_DFL)
        os.dup2(server_output, 1)
        os.close(server_output)
        os.close(output)
        try:
            os.execvp(command[0], command)  # noqa: S606 - the server's own argv, no shell
        except OSError as exc:
            os.write(2, f"cannot start the server: {exc.strerror}\n".encode())
            os._exit(127)
    started.append(server)
    os.close(server_output)
    relay = threading.Thread(target=_relay, args=(output, os.dup(1)), daemon=True)
    relay.start()
    for descriptor in (0, 1):  # the server's input is its alone, and the relay holds the output
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, descriptor)
        os.close(null)
    status = 0
    while True:  # adopted processes that end meanwhile are reaped too (each would hold a pid)
        try:
            pid, ended = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == server:
            status = ended
            break
    _end_adopted()
    relay.join(timeout=5)  # what the server wrote last, passed on before the keeper exits
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
