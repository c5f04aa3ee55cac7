"""A real MCP server (official SDK, streamable HTTP) behind a bearer-token check, for the port
probe: ``python bearer_mcp_server.py PORT TOKEN``; TOKEN ``-`` serves without the check."""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer

server = MCPServer("notes-probe-test")


@server.tool(description="Read a note.")
def read_note(name: str) -> str:
    return f"note {name}"


def with_bearer(app: Any, token: str) -> Any:
    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if headers.get(b"authorization") != f"Bearer {token}".encode():
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"www-authenticate", b'Bearer realm="mcp"'), (b"content-length", b"0")],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
        await app(scope, receive, send)

    return guarded


if __name__ == "__main__":
    port, token = int(sys.argv[1]), sys.argv[2]
    app = server.streamable_http_app()
    uvicorn.run(
        app if token == "-" else with_bearer(app, token), host="127.0.0.1", port=port, log_level="warning"
    )
