"""A real MCP server (official SDK, stdio) that answers with JSON values, not text: its tool
results carry ``structuredContent`` (which DLP reads as JSON, numbers and lists of strings as
they are), and its arguments may be any JSON value.

python json_server.py KEPT_FILE STORED_FILE

``read_kept()`` answers with the JSON object in KEPT_FILE; ``store(value)`` appends ``value``
as a line of JSON to STORED_FILE (what reached the server) and answers ``{"stored": true}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer

kept, stored = Path(sys.argv[-2]), Path(sys.argv[-1])
server = MCPServer("json-test")


@server.tool(description="Read the kept record.")
def read_kept() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(kept.read_text(encoding="utf-8"))
    return value


@server.tool(description="Store a value.")
def store(value: Any) -> dict[str, Any]:
    with stored.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(value) + "\n")
    return {"stored": True}


if __name__ == "__main__":
    server.run()
