"""A stdio MCP server (session-era, no SDK: it lists tool definitions verbatim, as a
non-conforming or hostile server can) whose tools mark parameters with ``x-mcp-header``
(2026-07-28): ``run_query`` validly, ``scale`` on a ``number`` and ``lookup`` inside an array
item, which the specification forbids: a gateway must leave those two out and refuse them."""

from __future__ import annotations

import json
import sys

TOOLS = [
    {
        "name": "run_query",
        "description": "Run a read-only query in one region.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"},
                "limit": {"type": "integer", "x-mcp-header": "Limit"},
                "query": {"type": "string"},
            },
            "required": ["region", "query"],
        },
    },
    {
        "name": "scale",
        "description": "Scale a value.",
        "inputSchema": {
            "type": "object",
            "properties": {"factor": {"type": "number", "x-mcp-header": "Factor"}},
        },
    },
    {
        "name": "lookup",
        "description": "Look up keys.",
        "inputSchema": {
            "type": "object",
            "properties": {"keys": {"type": "array", "items": {"type": "string", "x-mcp-header": "Key"}}},
        },
    },
]

for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message:
        continue
    method, params = message.get("method"), message.get("params") or {}
    if method == "initialize":
        result: dict[str, object] = {
            "protocolVersion": params.get("protocolVersion", "2025-11-25"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "headers-test", "version": "1.0"},
        }
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "tools/call":
        arguments = params.get("arguments") or {}
        text = f"{params.get('name')}: {json.dumps(arguments, sort_keys=True)}"
        result = {"content": [{"type": "text", "text": text}]}
    else:
        result = {}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
    sys.stdout.flush()
