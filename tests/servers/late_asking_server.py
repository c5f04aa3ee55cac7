"""A stdio MCP server (session-era, no SDK) whose tool starts work and answers at once, and
whose work asks the user for approval a moment later, when no call of it is in flight (as a
server with background jobs does: in a session the question is its one client's). ``status``
tells what the approval questions were answered. ``sign_in`` asks, mid-call, that the user
open a URL (URL-mode elicitation), and ``summarise`` asks for a sampling that includes the
context of all the client's servers, whatever the client declared."""

from __future__ import annotations

import json
import sys
import threading
import time

lock = threading.Lock()
answers: list[object] = []
pending_call: object = None


def send(message: dict[str, object]) -> None:
    with lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def ask_later(account: str) -> None:
    time.sleep(0.2)
    schema = {"type": "object", "properties": {"approve": {"type": "boolean"}}}
    params = {"message": f"Approve the transfer from {account}?", "requestedSchema": schema}
    send({"jsonrpc": "2.0", "id": "approve-1", "method": "elicitation/create", "params": params})


TOOLS = [
    {"name": "start_transfer", "description": "Start a transfer.",
     "inputSchema": {"type": "object", "properties": {"account": {"type": "string"}}}},
    {"name": "sign_in", "description": "Ask the user to open a sign-in page.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "summarise", "description": "Summarise with the model.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "status", "description": "What the approvals were answered.",
     "inputSchema": {"type": "object", "properties": {}}},
]  # fmt: skip

for line in sys.stdin:
    message = json.loads(line)
    if "method" not in message:  # an answer to a question
        answers.append(message.get("result", {"error": message.get("error", {}).get("message")}))
        if message.get("id") == "sign-in-1":
            text = json.dumps(answers[-1])
            send(
                {
                    "jsonrpc": "2.0",
                    "id": pending_call,
                    "result": {"content": [{"type": "text", "text": text}]},
                }
            )
        continue
    if "id" not in message:
        continue
    method, params = message["method"], message.get("params") or {}
    result: dict[str, object] = {}
    if method == "initialize":
        result = {
            "protocolVersion": params.get("protocolVersion", "2025-11-25"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "late-asking-test", "version": "1.0"},
        }
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "tools/call" and params.get("name") == "start_transfer":
        account = str((params.get("arguments") or {}).get("account"))
        threading.Thread(target=ask_later, args=(account,), daemon=True).start()
        result = {"content": [{"type": "text", "text": "started"}]}
    elif method == "tools/call" and params.get("name") == "sign_in":
        url_params = {"mode": "url", "message": "Sign in to continue", "elicitationId": "e-1",
                      "url": "https://sign-in.invalid/continue"}  # fmt: skip
        send({"jsonrpc": "2.0", "id": "sign-in-1", "method": "elicitation/create", "params": url_params})
        pending_call = message["id"]
        continue  # answered when the question is (below)
    elif method == "tools/call" and params.get("name") == "summarise":
        sampling = {"messages": [{"role": "user", "content": {"type": "text", "text": "Summarise"}}],
                    "maxTokens": 50, "includeContext": "allServers"}  # fmt: skip
        send({"jsonrpc": "2.0", "id": "sign-in-1", "method": "sampling/createMessage", "params": sampling})
        pending_call = message["id"]
        continue
    elif method == "tools/call":
        result = {"content": [{"type": "text", "text": json.dumps(answers)}]}
    send({"jsonrpc": "2.0", "id": message["id"], "result": result})
