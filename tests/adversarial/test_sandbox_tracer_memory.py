"""Under the namespace backends the server's file operations are traced by strace, its parent,
which the seccomp filter does not confine (the filter is installed after strace attaches) and
which runs as the server's own uid. The server opened ``/proc/<strace>/mem`` for reading and
writing (a file, not a call the filter sees) and could so have run code of its own in strace:
outside the filter (user namespaces, io_uring, ptrace), holding the trace's pipe (forged or
withheld refusal records). Now the server starts in a Landlock domain of its own (where the
kernel has Landlock): the kernel refuses it every process outside, strace included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from needs import sandbox_backend
from test_sandbox import docker_host

__all__ = ["docker_host"]

SERVER = """
import json, os
parent = os.getppid()
outcome = {"parent": open(f"/proc/{parent}/comm").read().strip()}
for name, mode in (("mem", os.O_RDWR), ("mem", os.O_RDONLY), ("environ", os.O_RDONLY)):
    try:
        os.close(os.open(f"/proc/{parent}/{name}", mode))
        outcome[f"{name}-{mode}"] = "opened"
    except OSError as exc:
        outcome[f"{name}-{mode}"] = exc.strerror
print(json.dumps(outcome), flush=True)
"""


@pytest.mark.parametrize("backend", ["bubblewrap", "podman"])
def test_the_server_cannot_open_its_tracers_memory(tmp_path: Path, backend: str) -> None:
    sandbox_backend(backend)
    from mcpward.sandbox._landlock_launcher import abi

    if abi() < 1:
        pytest.skip("the kernel has no Landlock: only the filter stands (not promised there)")
    config = tmp_path / "profile.toml"
    config.write_text("", encoding="utf-8")
    command = [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(config), "--backend", backend,
               "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable, "-c", SERVER]  # fmt: skip
    result = subprocess.run(command, capture_output=True, timeout=120, env=dict(os.environ), check=False)
    assert result.returncode == 0, result.stderr.decode()
    outcome = json.loads(result.stdout.decode().strip().splitlines()[-1])
    if outcome["parent"] != "strace":
        pytest.skip(f"the server is not traced here (its parent is {outcome['parent']})")
    assert all(value != "opened" for key, value in outcome.items() if key != "parent"), outcome
