"""One sandboxed server against another: run by root, every server is the sandbox's one uid,
so the host kernel's permission checks do not part them. Under Landlock they share the host's
process namespace as well: server A finds server B's process (its secret in its environment)
and tries to read ``/proc/B/environ``, its memory maps and its open files' links, and to signal
it. Each sandbox is a Landlock domain of its own, scoped (ptrace and signals stop at its
edge), and ptrace-like calls are refused by the seccomp filter. Held when written: this test
keeps it so."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mcpward.sandbox.interface import SERVER_ID
from needs import sandbox_backend
from test_sandbox import hostile_command

_READER = """
import json, os, signal, sys
pid = sys.argv[1]
outcome = {}
for name in ("environ", "maps", "mem", "cmdline", "cwd", "root", "fd/0"):
    try:
        path = f"/proc/{pid}/{name}"
        if name in ("cwd", "root", "fd/0"):
            outcome[name] = os.listdir(path) if name != "fd/0" else os.readlink(path)
        else:
            with open(path, "rb") as handle:
                outcome[name] = handle.read(4096).decode("latin-1")
    except OSError as exc:
        outcome[name] = "refused: " + exc.strerror
try:
    os.kill(int(pid), signal.SIGSTOP)
    outcome["signal"] = "sent"
except OSError as exc:
    outcome["signal"] = "refused: " + exc.strerror
print(json.dumps(outcome), flush=True)
"""


def _server_pid(marker: str) -> int:
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            line = (entry / "cmdline").read_bytes().split(b"\0")
            # The server itself, not the `sandbox run` that names it: the sandbox's uid's.
            if entry.name.isdigit() and marker.encode() in line and entry.stat().st_uid == SERVER_ID:
                return int(entry.name)
    raise AssertionError("server B is not running")


def test_one_landlock_server_cannot_read_or_signal_another(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the servers share one uid only when run by root")
    sandbox_backend("landlock")
    secret = f"secret-{os.urandom(8).hex()}"
    first, second = tmp_path / "b", tmp_path / "a"
    for folder in (first, second):
        folder.mkdir()
        folder.chmod(0o755)
    tmp_path.chmod(0o755)
    profile = '[env.secrets]\nB_TOKEN = "env:HELPER_B_TOKEN"\n'
    marker = f"held-{os.urandom(6).hex()}"
    command = hostile_command(first, "env", marker, "--hold", profile=profile, backend="landlock", server="b")
    environment = {**os.environ, "HELPER_B_TOKEN": secret}
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment) as running:
        assert running.stdout is not None and running.stdin is not None
        json.loads(running.stdout.readline())  # server B is up
        pid = _server_pid(marker)
        reader = second / "reader.py"
        reader.write_text(_READER, encoding="utf-8")
        reader.chmod(0o644)
        config = second / "profile.toml"
        config.write_text("", encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(config), "--server", "a",
             "--backend", "landlock", "--audit-log", str(second / "audit.jsonl"), "--",
             sys.executable, str(reader), str(pid)],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        running.stdin.close()
        running.wait(timeout=30)
    outcome = json.loads(result.stdout.decode().strip().splitlines()[-1])
    assert secret not in json.dumps(outcome)
    for name in ("environ", "maps", "mem", "cwd", "root", "fd/0"):
        assert str(outcome[name]).startswith("refused"), (name, outcome[name])
    assert outcome["signal"].startswith("refused") and state != "T"
