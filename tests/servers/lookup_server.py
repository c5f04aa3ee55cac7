"""A real MCP server (official SDK, stdio) whose client sends it text other than a tool call's
arguments: a resource template it reads by URI (``notes://search/{query}``, which a client such
as Claude Code lets the model read), a prompt filled from the user's arguments (``review``), and
the completion of both (sent as the user types). Each value it gets is appended to RECEIVED, one
line each, so that a test sees what reached it.

python lookup_server.py RECEIVED
"""

from __future__ import annotations

import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp_types import Completion

received = Path(sys.argv[-1])
server = MCPServer("lookup-test")


def _keep(where: str, value: str) -> None:
    with received.open("a", encoding="utf-8") as handle:
        handle.write(f"{where}: {value}\n")


@server.resource("notes://search/{query}", description="The notes that match a query.")
def search(query: str) -> str:
    _keep("read", query)
    return f"no notes match {len(query)} characters"


@server.prompt(description="Review a piece of code.")
def review(code: str) -> str:
    _keep("prompt", code)
    return f"Review this code ({len(code)} characters)."


@server.completion()
async def complete(ref: object, argument: object, context: object) -> Completion:
    _keep("complete", getattr(argument, "value", ""))
    return Completion(values=[])


@server.tool(description="Say hello.")
def hello() -> str:
    return "hello"


if __name__ == "__main__":
    server.run()
