"""A review's pins are made from what inspect read (the SDK parses with pydantic's jiter) and
compared with what the gateway read (orjson). The two parsers differ on an integer past 64
bits: jiter keeps it exact, orjson reads it as a float. A tool whose schema holds one (a
``maximum`` of 10**20) was signed differently by each, so an approved tool was withheld as
changed at every listing. Inspect now reads each item as the gateway does."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from gateway_attack_kit import entry_relay, scripted_server

from mcpward.inspect import fetch_all, pin_record, signature

#: As the server writes it: an integer of 67 bits.
TOOLS = (
    '{"tools": [{"name": "count", "description": "Count up to a bound.", "inputSchema": {"type": '
    '"object", "properties": {"to": {"type": "integer", "maximum": 100000000000000000000}}}}]}'
)


def test_a_reviews_pin_of_a_large_integer_is_the_gateways(tmp_path: Path) -> None:
    target = scripted_server("docs", {"tools/list": TOOLS})
    (fetched,), errors = fetch_all([target], timeout=30)
    assert errors == []
    (item,) = fetched[1]
    relay = entry_relay(tmp_path, pin_record([signature("docs", "tool", item.raw)]))
    relay.client_message(b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}')
    outs = relay.server_message(b'{"jsonrpc": "2.0", "id": 1, "result": ' + TOOLS.encode() + b"}")
    (tool,) = orjson.loads(outs[0].data)["result"]["tools"]
    assert tool["name"] == "count"
    assert json.loads(TOOLS)["tools"][0]["name"] == tool["name"]


def test_an_item_the_gateway_cannot_read_is_the_servers_error() -> None:
    """A number past a double's range: jiter reads infinity, orjson refuses the whole answer
    (the gateway forwards no such list), so no review pins it."""
    tools = TOOLS.replace("100000000000000000000", "1e400")
    target = scripted_server("docs", {"tools/list": tools})
    fetched, errors = fetch_all([target], timeout=30)
    assert fetched == [] and "cannot read" in errors[0].message
