"""The bench's small MCP server built with the official SDK: one ``echo`` tool over stdio, as
a small real server is written (the bench's other server answers without the SDK, in a loop of
ten lines, and is far faster than any real one).

    python sdk_echo_server.py                  # stdio
    python sdk_echo_server.py http PORT json   # streamable HTTP answering with JSON
    python sdk_echo_server.py http PORT sse    # streamable HTTP answering with an SSE stream
"""

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("bench-echo")


@server.tool(description="Echo the text.")
def echo(text: str) -> str:
    return text


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"]:
        server.run(
            "streamable-http", host="127.0.0.1", port=int(sys.argv[2]), json_response=sys.argv[3] == "json"
        )
    else:
        server.run("stdio")
