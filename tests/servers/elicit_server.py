"""A real MCP server (official SDK, stdio, session-era): a tool that asks the user, through
elicitation, to confirm before it acts, as servers of the 2025 revisions do mid-call."""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel

server = MCPServer("elicit-test")


class Confirmation(BaseModel):
    approve: bool
    note: str = ""


@server.tool(description="Delete a file after the user confirms.")
async def delete_file(path: str, ctx: Context) -> str:
    answer = await ctx.elicit(f"Delete {path}?", schema=Confirmation)
    if answer.action == "accept" and answer.data is not None and answer.data.approve:
        return f"deleted {path} ({answer.data.note})"
    return f"kept {path}"


if __name__ == "__main__":
    server.run()
