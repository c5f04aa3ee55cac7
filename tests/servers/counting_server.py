"""A minimal stdio MCP server for the gateway's crash tests: it answers initialize, tools/list
and tools/call (echoing the arguments), and appends the id of every tools/call it receives to
the file named by its first argument, flushed at once. Its pid goes to the second argument."""

import json
import os
import sys

received_log, pid_file = sys.argv[1], sys.argv[2]
with open(pid_file, "w") as handle:
    handle.write(str(os.getpid()))
log = open(received_log, "a", buffering=1)  # noqa: SIM115 - kept open for the server's life
TOOLS = [{"name": "echo", "description": "Echo the text.", "inputSchema": {"type": "object",
          "properties": {"text": {"type": "string"}}}}]  # fmt: skip
for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message:
        continue
    method = message.get("method")
    if method == "initialize":
        result = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                  "serverInfo": {"name": "counting", "version": "1"}}  # fmt: skip
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "tools/call":
        log.write(f"{message['id']}\n")
        text = message["params"]["arguments"].get("text", "")
        result = {"content": [{"type": "text", "text": text}], "isError": False}
    else:
        result = {}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
    sys.stdout.flush()
