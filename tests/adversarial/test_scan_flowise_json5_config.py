"""Flowise reads a Custom MCP node's ``mcpServerConfig`` text with ``JSON5.parse`` (since 3.0.6,
which replaced evaluating it as JavaScript): unquoted keys, single quotes, trailing commas and
comments all start the server, ``{command: 'npx', args: ['-y', 'pkg'],}`` as well as strict JSON.

Before 2026-12-06 the scan read it as strict JSON only: such a node was one low
"mcpServerConfig is not a JSON object" line, and its launch line (the package it runs, a shell,
a secret in its environment) went unjudged. Now the text is read as Flowise reads it."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.scan._engine import ScanOptions, discover

SECRET = "Xq7vR2mK9pL4wZ8tYh3"
CONFIG = (
    "{\n  // the team's helper\n  command: 'npx',\n  args: ['-y', 'evil-mcp'],\n  env: {API_KEY: '"
    + SECRET
    + "'},\n}"
)


def test_a_json5_custom_mcp_config_is_read(tmp_path: Path) -> None:
    node = {"id": "customMCP_0", "data": {"name": "customMCP", "inputs": {"mcpServerConfig": CONFIG}}}
    flow = {"nodes": [node], "edges": []}
    (tmp_path / "helper-chatflow.json").write_text(json.dumps(flow))
    found = discover(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert not found.errors, found.errors
    [server] = found.servers
    assert (server.host, server.command, server.args) == ("flowise", "npx", ("-y", "evil-mcp"))
    assert server.env == {"API_KEY": SECRET}  # raw inside the scan; masked in every record


def test_text_that_is_no_json5_is_still_said(tmp_path: Path) -> None:
    node = {"data": {"name": "customMCP", "inputs": {"mcpServerConfig": "{command: process.exit()}"}}}
    (tmp_path / "x-chatflow.json").write_text(json.dumps({"nodes": [node], "edges": []}))
    found = discover(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert [e.message for e in found.errors] == [
        "x-chatflow / Custom MCP 1: mcpServerConfig is not a JSON object"
    ]
