"""``unwrap`` keeps an edit made to a file since it was wrapped (it puts back only the wrapped
entries since 2026-12-05; it refused the file before, unless forced).
Wrapping again launders the edit: a server added to a wrapped config and then wrapped by a
second ``wrap`` made the record hold the second write's digest, so ``unwrap`` restored the
first backup without a word, and the added server was gone."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import mcpward_with_data


def test_a_server_added_between_two_wraps_is_not_dropped_by_unwrap(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    (home / ".cursor").mkdir(parents=True)
    config = home / ".cursor" / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"a": {"command": "node", "args": ["a.js"]}}}))
    assert mcpward_with_data(data, "wrap", "--home", str(home)).returncode == 0
    document = json.loads(config.read_text())
    document["mcpServers"]["added"] = {"command": "node", "args": ["added.js"]}
    config.write_text(json.dumps(document))
    assert "wrapped added" in mcpward_with_data(data, "wrap", "--home", str(home)).stdout
    done = mcpward_with_data(data, "unwrap")
    servers = json.loads(config.read_text())["mcpServers"]
    assert "added" in servers, "unwrap dropped the added server"
    # Since 2026-12-05 an edited config has its wrapped entries put back one by one.
    assert done.returncode == 0, done.stderr
    assert servers == {
        "a": {"command": "node", "args": ["a.js"]},
        "added": {"command": "node", "args": ["added.js"]},
    }
