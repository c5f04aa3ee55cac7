"""A server that outlives its gateway killed outright. Under Landlock (no pid namespace) the
launcher asked the kernel for SIGTERM at the death of the `sandbox run` process
(``PR_SET_PDEATHSIG``) and then became the server: one that ignored SIGTERM (or cleared the
request, or had left a child in a session of its own) ran on, confined still, after the
gateway was gone (the namespace backends die with bubblewrap, SIGKILL, and their pid
namespace). Now the launcher stays, outside the sandbox, as the server's parent and a child
subreaper: at the run's death it kills the server and everything it adopted."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from landlock_kit import fresh_marker, holders, holders_after, server_script

from needs import sandbox_backend

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


@pytest.fixture
def marker() -> Iterator[str]:
    with fresh_marker("kept") as text:
        yield text


def test_a_server_ignoring_sigterm_ends_when_its_gateway_is_killed(tmp_path: Path, marker: str) -> None:
    sandbox_backend("landlock")
    script = server_script(tmp_path, _SERVER)
    config = tmp_path / "profile.toml"
    config.write_text("", encoding="utf-8")
    command = [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(config), "--server", "kept",
               "--backend", "landlock", "--audit-log", str(tmp_path / "audit.jsonl"), "--",
               sys.executable, str(script), marker]  # fmt: skip
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as running:
        assert running.stdout is not None
        assert running.stdout.readline().strip() == b"up"
        assert holders(marker)
        running.kill()  # the gateway killed outright
        running.wait(timeout=30)
    assert holders_after(marker, seconds=5) == []
