"""A real MCP server (official SDK, streamable HTTP) for the port probe, served on two ports by
one process (one interpreter start instead of two): ``python bearer_mcp_server.py OPEN_PORT
GUARDED_PORT TOKEN``; the first port without authentication, the second behind a bearer check."""

from __future__ import annotations

import asyncio
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


async def main(open_port: int, guarded_port: int, token: str) -> None:
    app = server.streamable_http_app()
    servers = [
        uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=open_port, log_level="warning")),
        # One lifespan (the SDK's session manager) for both: the second server shares the app.
        uvicorn.Server(
            uvicorn.Config(
                with_bearer(app, token),
                host="127.0.0.1",
                port=guarded_port,
                log_level="warning",
                lifespan="off",
            )
        ),
    ]
    await asyncio.gather(*(s.serve() for s in servers))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
