"""The restore list (``manifest.json`` in the user's data folder) was read when ``wrap`` began,
changed in memory and written back after each file: two runs at once (``wrap`` over two homes
from two terminals, a provisioning script that wraps each client while another unwraps) each
wrote back what it had read, so the first run's records were lost and ``unwrap`` could no
longer restore the configs it had rewritten. Each run now holds a lock beside the list, waited
for a bounded time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_kit import SRC, mcpward_with_data

from mcpward.errors import McpwardError
from mcpward.gateway import unwrap

FILES = (".claude.json", ".cursor/mcp.json", ".gemini/settings.json")


def home_with_configs(home: Path) -> dict[Path, bytes]:
    written = {}
    for index, name in enumerate(FILES):
        config = home / name
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            json.dumps({"mcpServers": {f"s{index}": {"command": "node", "args": [f"{index}.js"]}}})
        )
        written[config] = config.read_bytes()
    return written


def started(data: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mcpward", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=SRC, MCPWARD_DATA_DIR=str(data)),
    )


@pytest.mark.parametrize("round_", range(2))  # a race: two rounds (it lost records in 5 runs of 6)
def test_concurrent_wraps_and_an_unwrap_keep_every_restore_record(tmp_path: Path, round_: int) -> None:
    data = tmp_path / "data"
    homes = [tmp_path / f"home{index}" for index in range(4)]
    before: dict[Path, bytes] = {}
    for home in homes:
        before |= home_with_configs(home)
    first = mcpward_with_data(data, "wrap", "--home", str(homes[0]))
    assert first.returncode == 0, first.stderr
    runs = [started(data, "unwrap", "--home", str(homes[0]))]
    runs += [started(data, "wrap", "--home", str(home)) for home in homes[1:]]
    for run in runs:
        _, stderr = run.communicate(timeout=60)
        assert run.returncode == 0, stderr[-500:]
    assert all(config.read_bytes() == before[config] for config in before if config.is_relative_to(homes[0]))
    wrapped = [config for config in before if not config.is_relative_to(homes[0])]
    assert all(config.read_bytes() != before[config] for config in wrapped)
    listed = json.loads((data / "wrap-backups" / "manifest.json").read_text())["files"]
    assert sorted(listed) == sorted(str(config) for config in wrapped)  # no run lost another's
    restored = mcpward_with_data(data, "unwrap")
    assert restored.returncode == 0, restored.stderr
    assert {config: config.read_bytes() for config in before} == before


@pytest.mark.skipif(sys.platform == "win32", reason="holds the lock with flock")
def test_a_restore_list_held_too_long_is_a_clear_error_and_nothing_changes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = home_with_configs(tmp_path / "home")
    assert mcpward_with_data(data, "wrap", "--home", str(tmp_path / "home")).returncode == 0
    backups = data / "wrap-backups"
    listed = (backups / "manifest.json").read_bytes()
    holder = subprocess.Popen(  # another process holds the lock (a wrap that does not end)
        [sys.executable, "-c", HOLD, str(backups / "manifest.lock")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        started_at = time.monotonic()
        with pytest.raises(McpwardError, match=r"restore list .* in use by another"):
            unwrap(backups, wait=0.5)
        assert time.monotonic() - started_at < 5  # bounded, not for ever
    finally:
        holder.kill()
        holder.wait()
    assert (backups / "manifest.json").read_bytes() == listed
    assert all(config.read_bytes() != before[config] for config in before)  # nothing restored


HOLD = """
import fcntl, os, sys, time
descriptor = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(descriptor, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(30)
"""
