"""``mcpward wrap --home DIR`` with a relative DIR kept each config in its restore list under
that relative path: ``unwrap`` run from any other folder found no such file, called every
config "changed since it was wrapped", and with ``--force`` wrote the originals relative to
wherever it ran (or failed with a traceback), leaving the real configs wrapped."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import mcpward_with_data


def test_unwrap_from_another_folder_restores_a_relative_homes_configs(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "home" / ".cursor").mkdir(parents=True)
    config = work / "home" / ".cursor" / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"memory": {"command": "node", "args": ["m.js"]}}}))
    original = config.read_bytes()
    data = tmp_path / "data"
    assert mcpward_with_data(data, "wrap", "--home", "home", cwd=work).returncode == 0
    assert config.read_bytes() != original
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = mcpward_with_data(data, "unwrap", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert config.read_bytes() == original
    assert not any(elsewhere.iterdir())
