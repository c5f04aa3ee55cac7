"""``wrap`` looked for each server's entry by walking the whole config (and its syntax tree)
again: quadratic in the number of servers, 55 s for a config of 1,500 (a generated or hostile
project config), during which nothing could be wrapped. Each file is now walked once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def test_a_config_of_many_servers_is_wrapped_in_linear_time(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    (home / ".cursor").mkdir(parents=True)
    config = home / ".cursor" / "mcp.json"
    servers = {f"s{i}": {"command": "node", "args": [f"{i}.js", "--flag", "value"]} for i in range(1500)}
    config.write_text(json.dumps({"mcpServers": servers}, indent=1))
    original = config.read_bytes()
    env = {**os.environ, "MCPWARD_DATA_DIR": str(data), "PYTHONPATH": str(SRC)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "mcpward", "wrap", "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and time.monotonic() - started < 15
    written = json.loads(config.read_text())["mcpServers"]
    assert all(entry["args"][-3:] == [f"{name[1:]}.js", "--flag", "value"] for name, entry in written.items())
    assert all("gateway" in entry["args"] for entry in written.values())
    unwrap = [sys.executable, "-m", "mcpward", "unwrap"]
    assert subprocess.run(unwrap, capture_output=True, env=env, timeout=30, check=False).returncode == 0
    assert config.read_bytes() == original
