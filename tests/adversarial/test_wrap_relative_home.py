"""``mcpward wrap --home DIR`` with a relative DIR kept each config in its restore list under
that relative path: ``unwrap`` run from any other folder found no such file, called every
config "changed since it was wrapped", and with ``--force`` wrote the originals relative to
wherever it ran (or failed with a traceback), leaving the real configs wrapped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def mcpward(data: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MCPWARD_DATA_DIR": str(data), "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "mcpward", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_unwrap_from_another_folder_restores_a_relative_homes_configs(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "home" / ".cursor").mkdir(parents=True)
    config = work / "home" / ".cursor" / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"memory": {"command": "node", "args": ["m.js"]}}}))
    original = config.read_bytes()
    data = tmp_path / "data"
    assert mcpward(data, work, "wrap", "--home", "home").returncode == 0
    assert config.read_bytes() != original
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = mcpward(data, elsewhere, "unwrap")
    assert done.returncode == 0, done.stderr
    assert config.read_bytes() == original
    assert not any(elsewhere.iterdir())
