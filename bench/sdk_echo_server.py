"""The bench's small MCP server built with the official SDK: one ``echo`` tool over stdio, as
a small real server is written (the bench's other server answers without the SDK, in a loop of
ten lines, and is far faster than any real one)."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("bench-echo")


@server.tool(description="Echo the text.")
def echo(text: str) -> str:
    return text


if __name__ == "__main__":
    server.run("stdio")
