"""A fourth review of ``gateway serve`` (2026-12): answers attributed to the wrong request.

A request the server did not answer in time was forgotten by the relay, and the client (told
it failed) may use its id again, as JSON-RPC allows: the server's late answer to the first (a
tool list) was judged as the answer to the second (a ping), never by the pins, and reached the
client under the id it now waits on. An id whose request expired is refused until the server
has answered it (its late answer is dropped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from gateway_attack_kit import PLANTED_EXPORT as EXPORT
from gateway_attack_kit import SEARCH, entry_relay

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
