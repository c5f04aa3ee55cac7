"""A stdio MCP server whose tool list never ends: every ``tools/list`` page names a next page,
whose cursor is the number of pages it has served (so a client can count them), each page
sent after ``argv[1]`` seconds (0 by default)."""

import json
import sys
import time

delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
pages = 0
for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message or "method" not in message:
        continue
    if message["method"] == "initialize":
        result = {
            "protocolVersion": message["params"]["protocolVersion"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "endless", "version": "1"},
        }
    elif message["method"] == "tools/list":
        pages += 1
        time.sleep(delay)
        tool = {"name": "lookup", "description": "Look a word up.", "inputSchema": {"type": "object"}}
        result = {"tools": [tool], "nextCursor": str(pages)}
    else:
        result = {"content": [{"type": "text", "text": "ok"}]}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
    sys.stdout.flush()
