"""``sandbox run`` must end when it is asked to, and when its server does.

A server that ignores SIGTERM: ``sandbox run`` passed a SIGTERM on and waited for the server for
ever (seen with Landlock), so a gateway stopping it (or a system shutdown) hung, with its run
folder (``/tmp/mcpward-sandbox-*``) and control groups left in place. Now the server is killed
once a short grace has passed, and the run cleans up.

Under bubblewrap a process the server left in a session of its own (``setsid``) kept ``sandbox
run`` alive once the server had exited: bubblewrap's init waits for every process in the
sandbox, so the client saw a server that never ended. Now the sandbox's first process ends
whatever the server left inside when the server ends."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from landlock_kit import fresh_marker, holders, holders_after, server_script

from needs import sandbox_backend

_IGNORES_SIGTERM = """
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("up", flush=True)
time.sleep(60)
"""

_LEAVES_A_SESSION = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", sys.argv[1]])
time.sleep(0.5)
print("done", flush=True)
"""


@pytest.fixture
def marker() -> Iterator[str]:
    with fresh_marker("ends") as text:
        yield text


@pytest.fixture
def runs() -> Iterator[Path]:
    """Where a run makes its folder (its TMPDIR): short, for the proxy's socket path in it."""
    folder = Path(tempfile.mkdtemp(prefix="mw-runs-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _command(tmp_path: Path, backend: str, script: Path, marker: str) -> list[str]:
    config = tmp_path / "profile.toml"
    config.write_text("", encoding="utf-8")
    return [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(config), "--backend", backend,
            "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable, str(script), marker]  # fmt: skip


@pytest.mark.parametrize("backend", ["landlock", "bubblewrap", "podman"])
def test_a_server_ignoring_sigterm_is_ended_and_the_run_cleaned_up(
    tmp_path: Path, marker: str, runs: Path, backend: str
) -> None:
    sandbox_backend(backend)
    script = server_script(tmp_path, _IGNORES_SIGTERM)
    env = {**os.environ, "TMPDIR": str(runs)}
    command = _command(tmp_path, backend, script, marker)
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env) as running:
        assert running.stdout is not None
        assert running.stdout.readline().strip() == b"up"
        (folder,) = os.listdir(runs)
        running.send_signal(signal.SIGTERM)
        started = time.monotonic()
        try:
            running.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.kill()
            running.wait(timeout=30)
            pytest.fail("sandbox run still waited for its server 30 s after a SIGTERM")
        assert time.monotonic() - started < 20
    assert holders_after(marker, seconds=5) == []
    assert os.listdir(runs) == [], "the run folder was left"
    assert not any(Path("/sys/fs/cgroup", controller, folder).exists() for controller in ("pids", "memory"))


@pytest.mark.parametrize("backend", ["bubblewrap", "landlock", "podman"])
def test_the_run_ends_when_the_server_does_whatever_it_left(
    tmp_path: Path, marker: str, backend: str
) -> None:
    sandbox_backend(backend)
    script = server_script(tmp_path, _LEAVES_A_SESSION)
    command = _command(tmp_path, backend, script, marker)
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as running:
        assert running.stdout is not None
        assert running.stdout.readline().strip() == b"done"
        try:
            status = running.wait(timeout=20)
        except subprocess.TimeoutExpired:
            alive = bool(holders(marker))
            running.kill()
            running.wait(timeout=30)
            pytest.fail(f"sandbox run outlived its server by 20 s (its leftover running: {alive})")
        assert status == 0
    assert holders_after(marker, seconds=5) == []
