"""A fourth review of ``gateway serve`` (2026-12): answers attributed to the wrong request.

A request the server did not answer in time was forgotten by the relay, and the client (told
it failed) may use its id again, as JSON-RPC allows: the server's late answer to the first (a
tool list) was judged as the answer to the second (a ping), never by the pins, and reached the
client under the id it now waits on. An id whose request expired is refused until the server
has answered it (its late answer is dropped)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
from gateway_attack_kit import PLANTED_EXPORT as EXPORT
from gateway_attack_kit import SEARCH, entry_relay

from loopback import free_port, wait_for
from mcpward.gateway import Relay


def _ask(relay: Relay, request_id: Any, method: str = "tools/list") -> list[Any]:
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": {}}
    return relay.client_message(orjson.dumps(message))


def _answer(relay: Relay, request_id: Any, tools: list[dict[str, Any]]) -> Any:
    outs = relay.server_message(
        orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": {"tools": tools}})
    )
    return orjson.loads(outs[0].data) if outs else None


def test_an_id_reused_after_its_request_expired_does_not_take_the_late_answer(tmp_path: Path) -> None:
    relay = entry_relay(tmp_path, None)
    _ask(relay, 1)
    assert [t["name"] for t in _answer(relay, 1, [SEARCH])["result"]["tools"]] == ["search"]
    assert _ask(relay, 7)[0].to == "server"  # a tool list the server is slow to answer
    timed_out = relay.expire(7)
    assert len(timed_out) == 1 and timed_out[0].to == "client"
    reused = _ask(relay, 7, "ping")  # the client, told id 7 failed, uses it again
    if reused[0].to == "server":  # the weakness: the late tool list is the ping's answer
        late = _answer(relay, 7, [SEARCH, EXPORT])
        shown = [tool["name"] for tool in late["result"]["tools"]] if late and "result" in late else []
        assert "export" not in shown, "a late tool list judged as a ping's answer passed the pins"
        raise AssertionError("an id whose request expired unanswered was taken again")
    assert orjson.loads(reused[0].data)["error"]["code"] == -32600
    assert _answer(relay, 7, [SEARCH, EXPORT]) is None  # the late answer: dropped
    assert _ask(relay, 7, "ping")[0].to == "server"  # answered (late): the id is free again
    assert _ask(relay, "8", "ping")[0].to == "server"


_SLOW_ASKING_SERVER = """
import json, sys, threading, time
lock = threading.Lock()
def send(message):
    with lock:
        sys.stdout.write(json.dumps(message) + "\\n")
        sys.stdout.flush()
def slow(account):
    time.sleep(1.4)  # past the gateway's call_timeout: the call expired, the work goes on
    params = {"message": "Approve the transfer from " + account + "?",
              "requestedSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}
    send({"jsonrpc": "2.0", "id": "approve-1", "method": "elicitation/create", "params": params})
def quick(request_id):
    time.sleep(0.8)
    send({"jsonrpc": "2.0", "id": request_id, "result": {"content": [{"type": "text", "text": "done"}]}})
TOOLS = [{"name": n, "description": n, "inputSchema": {"type": "object", "properties": {}}}
         for n in ("slow", "quick")]
for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message or "method" not in message:
        continue
    method, params = message["method"], message.get("params") or {}
    if method == "initialize":
        result = {"protocolVersion": params.get("protocolVersion"), "capabilities": {"tools": {}},
                  "serverInfo": {"name": "slow-asking", "version": "1"}}
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "tools/call" and params.get("name") == "slow":
        account = str((params.get("arguments") or {}).get("account"))
        threading.Thread(target=slow, args=(account,), daemon=True).start()
        continue
    elif method == "tools/call":
        threading.Thread(target=quick, args=(message["id"],), daemon=True).start()
        continue
    else:
        result = {}
    send({"jsonrpc": "2.0", "id": message["id"], "result": result})
"""
_LAPTOP = "mcpg_attack4-laptop-token-0123456789abcdef"
_DESK = "mcpg_attack4-desk-token-9876543210fedcba"


def test_a_shared_process_whose_call_expired_asks_nothing_of_the_next_client(tmp_path: Path) -> None:
    """``shared_pool = 1``: the laptop's call outlasted ``call_timeout`` and was answered with a
    timeout, the process freed for the next caller, while the server still worked on it. Its
    question for that call (naming the laptop's account) went to the call in flight then, the
    desk's: another client read it and could approve it. A process whose call expired is still
    working on a call no one waits for: it is ended, and the next call gets a new one."""
    server = tmp_path / "server.py"
    server.write_text(_SLOW_ASKING_SERVER, encoding="utf-8")
    port = free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""
call_timeout = 1
[serve]
port = {port}
[[serve.clients]]
name = "laptop"
sha256 = "{hashlib.sha256(_LAPTOP.encode()).hexdigest()}"
[[serve.clients]]
name = "desk"
sha256 = "{hashlib.sha256(_DESK.encode()).hexdigest()}"
[pins]
store = "{tmp_path / "pins.json"}"
[servers.shared]
command = ["{sys.executable}", "{server}"]
shared_pool = 1
""",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "mcpward", "gateway", "serve", "--config", str(config)]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, process)
        base = f"http://127.0.0.1:{port}/servers/shared/mcp"
        expired = _modern_call(base, _LAPTOP, "slow", {"account": "laptop-savings-4411"})
        assert "error" in expired, expired  # the server did not answer in time
        desk = _modern_call(base, _DESK, "quick", {})
        assert "laptop-savings-4411" not in orjson.dumps(desk).decode(), desk
        assert desk["result"]["content"][0]["text"] == "done", desk
    finally:
        process.terminate()
        process.wait(timeout=30)


def _modern_call(url: str, token: str, tool: str, arguments: dict[str, Any]) -> Any:
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "attack4", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}},
    }
    params = {"name": tool, "arguments": arguments, "_meta": meta}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }
    return httpx.post(url, json=body, headers=headers, timeout=30).json()


def test_ids_one_number_to_a_javascript_server_are_one_id(tmp_path: Path) -> None:
    """The relay keyed ids by their JSON type and exact value, and refused an id in flight under
    that key; a JavaScript server (most MCP servers) reads 1.0 as 1, and 2**53 + 1 as 2**53, so
    it answers ``tools/list`` sent as 1.0 with id 1: a ``ping`` sent as 1 beside it took the
    tool list as its answer, never judged by the pins (the reused id of
    test_pins_attack3.py, spelt another way). Numbers are keyed by their value as a double."""
    for listed, pinged in ((1.0, 1), (2**53 + 1, 2**53), (-0.0, 0)):
        relay = entry_relay(tmp_path / repr(listed), None)
        _ask(relay, 100)
        _answer(relay, 100, [SEARCH])  # pinned on first use
        assert _ask(relay, listed)[0].to == "server"
        pinged_too = _ask(relay, pinged, "ping")
        if pinged_too[0].to == "server":  # the JavaScript server answers the list as `pinged`
            late = _answer(relay, pinged, [SEARCH, EXPORT])
            assert "export" not in [tool["name"] for tool in late["result"]["tools"]], (listed, pinged)
            raise AssertionError(f"{pinged!r} was taken while {listed!r} was in flight")
        assert orjson.loads(pinged_too[0].data)["error"]["code"] == -32600
        answer = _answer(relay, pinged, [SEARCH, EXPORT])  # the list, judged as the list
        assert [tool["name"] for tool in answer["result"]["tools"]] == ["search"]
    relay = entry_relay(tmp_path / "strings", None)
    assert _ask(relay, "1")[0].to == "server"
    assert _ask(relay, 1, "ping")[0].to == "server"  # a string is another id, in JavaScript too


def test_a_request_id_that_is_no_string_or_number_is_refused(tmp_path: Path) -> None:
    """MCP ids are strings or integers. The relay forwarded any JSON value as an id and keyed it
    by its Python form: a ``tools/list`` sent as [1.0] beside a ``ping`` sent as [1], which a
    JavaScript server reads (and echoes) alike, had the tool list answered as [1] and taken for
    the ping's answer, never judged by the pins. Such an id is refused (null too: MCP forbids it)."""
    relay = entry_relay(tmp_path, None)
    _ask(relay, 100)
    _answer(relay, 100, [SEARCH])
    for odd in ([1.0], {"n": 1}, None, True):
        refused = _ask(relay, odd)
        assert len(refused) == 1 and refused[0].to == "client", odd
        assert orjson.loads(refused[0].data)["error"]["code"] == -32600, odd


def test_a_server_request_id_that_is_no_string_or_number_is_refused_to_the_server(tmp_path: Path) -> None:
    """The same of the server's own requests (an elicitation, a sampling): an array id reached
    the 2026-07-28 pools' round trip, which keys the server's questions by their id (a list is
    no key: by reading, the call fails with a 500 and its process stays busy, the pool's slot gone).
    Answered for the client with a refusal; the client never sees it."""
    relay = entry_relay(tmp_path, None)
    for odd in ([1], {"n": 1}, None, True):
        asked = {"jsonrpc": "2.0", "id": odd, "method": "elicitation/create", "params": {"message": "?"}}
        outs = relay.server_message(orjson.dumps(asked))
        assert [out.to for out in outs] == ["server"], odd
        assert orjson.loads(outs[0].data)["error"]["code"] == -32600, odd
