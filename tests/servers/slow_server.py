"""A real MCP server (official SDK, stdio, session-era) with long-running tools, for the tasks
extension: one that takes a while and answers with a credential in its output (which the
gateway's DLP must redact in a task's result as in a direct one), one that asks the user to
confirm half way through."""

from __future__ import annotations

import sys

import anyio
from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel

server = MCPServer("slow-test")
# Built at start, so that no credential-shaped literal sits in the file.
TOKEN = "ghp_" + "".join(chr(ord("A") + (n * 7) % 26) for n in range(36))


class Confirmation(BaseModel):
    approve: bool


@server.tool(description="Build the project and return its log.")
async def build(seconds: float) -> str:
    await anyio.sleep(min(seconds, 10.0))
    return f"build ok; deploy token {TOKEN}"


@server.tool(description="Deploy after the user confirms.")
async def deploy(target: str, ctx: Context) -> str:
    await anyio.sleep(0.6)
    answer = await ctx.elicit(f"Deploy to {target}?", schema=Confirmation)
    if answer.action == "accept" and answer.data is not None and answer.data.approve:
        return f"deployed to {target}"
    return f"not deployed to {target}"


if __name__ == "__main__":
    print("slow-test server ready", file=sys.stderr)
    server.run()
