"""Run by root, every sandboxed server is the sandbox's one uid: one server's processes must not
use up another's process limit. The containers' `nproc` ulimit once counted every process of
that uid, so a server holding processes starved the others (and, hit first, hid the control
group's refusal record)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from test_sandbox_identity import backend, docker_host, root

from loopback import end_by_closing_input
from test_sandbox import hostile_command, sandboxed

__all__ = ["backend", "docker_host", "root"]  # fixtures, used by name


def test_one_servers_processes_do_not_count_against_anothers_limit(
    tmp_path: Path, backend: str, root: None
) -> None:
    (tmp_path / "holder").mkdir()
    (tmp_path / "other").mkdir()
    holder = subprocess.Popen(
        [*hostile_command(tmp_path / "holder", "spawn", "28", profile="[limits]\nprocesses = 64\n",
                          backend=backend), "--hold"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        held = json.loads(holder.stdout.readline() or b"{}")
        assert held.get("started") == 28, held
        outcome, _ = sandboxed(
            tmp_path / "other", "fork", profile="[limits]\nprocesses = 32\n", backend=backend
        )
        # Stopped by its own limit (32, less the sandbox's own processes), not by the 28 the
        # other server holds: a shared count left it a handful.
        assert 20 <= outcome["started"] < 32, outcome
    finally:
        end_by_closing_input(holder, timeout=60)
