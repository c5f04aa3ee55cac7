"""n8n's most used community MCP node (the npm package ``n8n-nodes-mcp``: node types
``n8n-nodes-mcp.mcpClient`` and ``n8n-nodes-mcp.mcpClientTool``) starts a stdio server on the
n8n host from a credential (``mcpClientApi``: command, arguments, environment; or
``mcpClientSseApi``/``mcpClientHttpApi``: a URL), which n8n keeps encrypted apart from the
workflow.

Before 2026-12-06 the scan knew only n8n's own MCP node types, so a workflow whose agent ran a
stdio server through the community node (in an export or in n8n's database) gave no record and
no error: the one n8n node that runs a program on the host was missing from the inventory
without a word. Now each is a record of its workflow with the community package as its plugin,
with no launch line (that is in the encrypted credential) and the credential named."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.scan._engine import ScanOptions, discover


def _workflow(active: bool) -> dict[str, object]:
    node = {
        "name": "WordPress MCP",
        "type": "n8n-nodes-mcp.mcpClientTool",
        "typeVersion": 1,
        "parameters": {"operation": "executeTool", "toolName": "get_prompt"},
        "credentials": {"mcpClientApi": {"id": "1sL2egXbdslY8cew", "name": "WordPress (STDIO)"}},
    }
    return {"name": "agent", "active": active, "nodes": [node], "connections": {}}


def test_a_community_mcp_node_is_in_the_inventory(tmp_path: Path) -> None:
    (tmp_path / "agent-n8n.json").write_text(json.dumps(_workflow(active=False)))
    found = discover(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert not found.errors, found.errors
    [server] = found.servers
    assert (server.host, server.name, server.plugin) == ("n8n", "agent / WordPress MCP", "n8n-nodes-mcp")
    assert server.transport is None and server.command is None
    assert server.auth_via == "n8n credential mcpClientApi" and server.disabled


def test_other_community_nodes_are_not_servers(tmp_path: Path) -> None:
    workflow = _workflow(active=True)
    workflow["nodes"] = [{"name": "Sheet", "type": "n8n-nodes-sheets.sheet", "parameters": {}}]
    (tmp_path / "agent-n8n.json").write_text(json.dumps(workflow))
    found = discover(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert found.servers == [] and not found.errors
