"""VS Code's Remote (SSH, WSL, tunnels) keeps the user's MCP servers of the remote machine in the
VS Code Server's own user folder: ``~/.vscode-server/data/User/mcp.json`` (Insiders:
``~/.vscode-server-insiders``), the file "MCP: Open Remote User Configuration" opens, and VS
Code starts those servers on that machine.

Before 2026-12-06 the scan of a Linux server read only ``~/.config/Code/User/mcp.json``, which a
machine reached over Remote-SSH does not have: every server configured for it was missing from
the inventory without a word. Now both remote user files are read as VS Code's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpward.scan._engine import ScanOptions, discover


@pytest.mark.parametrize("server_folder", [".vscode-server", ".vscode-server-insiders"])
def test_the_remote_user_mcp_json_is_read(tmp_path: Path, server_folder: str) -> None:
    user = tmp_path / server_folder / "data" / "User"
    user.mkdir(parents=True)
    servers = {"remote-only": {"command": "npx", "args": ["-y", "evil-mcp@1.0.0"]}}
    (user / "mcp.json").write_text("// remote\n" + json.dumps({"servers": servers}))
    found = discover(ScanOptions(home=tmp_path, hosts=frozenset({"vscode"})))
    assert not found.errors, found.errors
    assert [(s.host, s.name) for s in found.servers] == [("vscode", "remote-only")]
