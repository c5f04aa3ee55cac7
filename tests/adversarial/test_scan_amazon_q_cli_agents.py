"""Amazon Q Developer CLI keeps its MCP servers in agent files: ``~/.aws/amazonq/cli-agents/
<name>.json`` for the user and ``.amazonq/cli-agents/<name>.json`` in a workspace, each with
``mcpServers`` and ``allowedTools`` (AWS's "Using MCP with Amazon Q Developer": "The globally
defined MCP configuration for Amazon Q CLI is handled at ~/.aws/amazonq/cli-agents"); the IDE
plugin's are in ``agents/``.

Before 2026-12-06 the scan read ``mcp.json`` and the IDE's ``agents/`` only: every server of the
CLI's agents, in the home or committed to a repository, was missing from the inventory without
a word, and so were the tools those agents let run without asking. Now both folders are read."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.scan._engine import ScanOptions, discover

AGENT = {
    "name": "dev",
    "mcpServers": {"helper": {"command": "npx", "args": ["-y", "evil-mcp@1.0.0"]}},
    "allowedTools": ["@helper"],
}


def test_the_users_cli_agents_are_read(tmp_path: Path) -> None:
    folder = tmp_path / ".aws" / "amazonq" / "cli-agents"
    folder.mkdir(parents=True)
    (folder / "dev.json").write_text(json.dumps(AGENT))
    found = discover(ScanOptions(home=tmp_path, hosts=frozenset({"amazon-q"})))
    assert not found.errors, found.errors
    assert [(s.name, s.auto_approve) for s in found.servers] == [("helper", ("*",))]


def test_a_workspace_cli_agent_is_read(tmp_path: Path) -> None:
    folder = tmp_path / ".amazonq" / "cli-agents"
    folder.mkdir(parents=True)
    (folder / "dev.json").write_text(json.dumps(AGENT))
    found = discover(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert not found.errors, found.errors
    assert [(s.host, s.name, s.auto_approve) for s in found.servers] == [("amazon-q", "helper", ("*",))]
