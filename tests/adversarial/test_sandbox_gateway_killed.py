"""A server that outlives its gateway killed outright. Under Landlock (no pid namespace) the
launcher asked the kernel for SIGTERM at the death of the `sandbox run` process
(``PR_SET_PDEATHSIG``) and then became the server: one that ignored SIGTERM (or cleared the
request, or had left a child in a session of its own) ran on, confined still, after the
gateway was gone (the namespace backends die with bubblewrap, SIGKILL, and their pid
namespace). Now the launcher stays, outside the sandbox, as the server's parent and a child
subreaper: at the run's death it kills the server and everything it adopted."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from needs import missing

_SERVER = """
import os, signal, sys, time
import ctypes
signal.signal(signal.SIGTERM, signal.SIG_IGN)
ctypes.CDLL(None, use_errno=True).prctl(1, 0, 0, 0, 0)  # PR_SET_PDEATHSIG: none
if os.fork() == 0:
    os.setsid()
    time.sleep(30)
    os._exit(0)
print("up", flush=True)
time.sleep(30)
"""


def _holders(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            line = (entry / "cmdline").read_bytes().split(b"\0")
            if entry.name.isdigit() and marker.encode() in line and b"sandbox" not in line:
                found.append(int(entry.name))
    return found


@pytest.fixture
def marker() -> Iterator[str]:
    text = f"kept-{os.urandom(6).hex()}"
    yield text
    for pid in _holders(text):  # the test's own leftover, if the sandbox left it
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def test_a_server_ignoring_sigterm_ends_when_its_gateway_is_killed(tmp_path: Path, marker: str) -> None:
    from mcpward.sandbox import backends

    availability = next(b for b in backends() if b.name == "landlock").check()
    if not availability.works:
        missing("landlock", availability.why)
    tmp_path.chmod(0o755)
    script = tmp_path / "server.py"
    script.write_text(_SERVER, encoding="utf-8")
    script.chmod(0o644)
    config = tmp_path / "profile.toml"
    config.write_text("", encoding="utf-8")
    command = [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(config), "--server", "kept",
               "--backend", "landlock", "--audit-log", str(tmp_path / "audit.jsonl"), "--",
               sys.executable, str(script), marker]  # fmt: skip
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as running:
        assert running.stdout is not None
        assert running.stdout.readline().strip() == b"up"
        assert _holders(marker)
        running.kill()  # the gateway killed outright
        running.wait(timeout=30)
    for _ in range(50):  # bounded: five seconds
        if not _holders(marker):
            break
        time.sleep(0.1)
    assert _holders(marker) == []
