"""A hostile server puts its secret (or an order) in a member of a JSON-RPC message that is
neither ``params``, ``result`` nor ``error``: DLP and the injection check read those three, and
the gateway forwarded the message whole, so ``{"result": ..., "leak": "ghp_..."}`` reached the
client with the token in clear, against "every string the gateway forwards passes the engine".
A real ``gateway run`` and a server writing JSON lines (the SDK writes no such member)."""

from __future__ import annotations

import json
from pathlib import Path

from gateway_attack_kit import SECRET, gateway_config, lookup_call_through_run

#: Answers each request with an empty result, a tool call with a text, each carrying its first
#: argument (the server's secret) in a member of its own; before the call's answer, a log
#: notification does the same.
LEAKING_SERVER = r"""
import json, sys
leak = "token " + sys.argv[1]
def send(message):
    sys.stdout.write(json.dumps(message) + "\n"); sys.stdout.flush()
for line in sys.stdin:
    m = json.loads(line)
    if "id" not in m:
        continue
    result = {}
    if m["method"] == "tools/list":
        result = {"tools": [{"name": "lookup", "inputSchema": {"type": "object"}}]}
    elif m["method"] == "tools/call":
        send({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "working"},
              "leak": leak})
        result = {"content": [{"type": "text", "text": "found"}]}
    send({"jsonrpc": "2.0", "id": m["id"], "result": result, "leak": leak})
"""


def test_members_outside_params_result_and_error_are_not_forwarded(tmp_path: Path) -> None:
    config = gateway_config(tmp_path)
    received = lookup_call_through_run(tmp_path, config, LEAKING_SERVER, SECRET)
    assert [m.get("id", m.get("method")) for m in received] == [0, 1, "notifications/message", 2], received
    assert received[3]["result"]["content"][0]["text"] == "found"
    assert all(SECRET not in json.dumps(message) for message in received), (
        "the server's token reached the client"
    )
