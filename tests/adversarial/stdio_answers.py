"""The answering loop of a minimal stdio MCP server in JSON lines, as Python source that ends a
test's own script (one that first does what its attack needs: forks, ignores signals): it
answers ``initialize`` as the server ``weather`` and any other request with one tool,
``get_forecast``. The script imports ``json`` and ``sys``."""

ANSWERING = r"""
for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message:
        continue
    if message["method"] == "initialize":
        result = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}},
                  "serverInfo": {"name": "weather", "version": "1"}}
    else:
        result = {"tools": [{"name": "get_forecast", "inputSchema": {"type": "object"}}]}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
    sys.stdout.flush()
"""
