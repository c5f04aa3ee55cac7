"""A stdio MCP server (session-era, no SDK) whose ``ask`` tool asks the user something, then
stops reading its input (hung, as a server stuck on a lock is) and asks for a sampling as
well. The gateway's writes to it back up; what it was sending must not hold the gateway."""

from __future__ import annotations

import json
import sys
import time

TOOLS = [{"name": "ask", "description": "Ask, then hang.",
          "inputSchema": {"type": "object", "properties": {}}}]  # fmt: skip


def send(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message or "method" not in message:
        continue
    method, params = message["method"], message.get("params") or {}
    if method == "initialize":
        result: dict[str, object] = {
            "protocolVersion": params.get("protocolVersion", "2025-11-25"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "stalling-test", "version": "1.0"},
        }
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "tools/call":
        schema = {"type": "object", "properties": {"note": {"type": "string"}}}
        question = {"message": "A note?", "requestedSchema": schema}
        send({"jsonrpc": "2.0", "id": "q1", "method": "elicitation/create", "params": question})
        time.sleep(0.5)  # not reading: the client's long answer fills the pipe
        sampling = {"messages": [], "maxTokens": 1}
        send({"jsonrpc": "2.0", "id": "q2", "method": "sampling/createMessage", "params": sampling})
        time.sleep(60)  # hung; ended by the gateway
        continue
    else:
        result = {}
    send({"jsonrpc": "2.0", "id": message["id"], "result": result})
