"""A secret written into the gateway's audit log through the names a record keeps as given: the
name of a tool a client calls (a model told by an injected instruction to call the tool
``ghp_...``, refused as no tool of the server's), a request's id, the method of a message, and
the application name a stdio client declares. The audit log is mirrored to the audit sinks (a
SIEM) and kept for years.

Before (2026-12-06): DLP masked a record's arguments, results and params, but the record's
``tool``, ``id``, ``method``, ``client_app`` and ``reasons`` (the pins' refusal quotes the name
called) and its events' messages were written as given: the token was in the log in clear, five
times for one refused call, against "every string the gateway records passes the engine".

Now each is masked (``redact_text``) where it is not a name the gateway knows: a listed tool's
name, an integer id, a method of the MCP specification, as most records' are, cost no scan.
Ordinary names are recorded as they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from gateway_attack_kit import SECRET

from mcpward.gateway import AuditLog, GatewayConfig, Relay, Session, build_interceptors


def _relay(tmp_path: Path, pins: bool = True) -> Relay:
    settings: dict[str, Any] = {
        "pins": {"store": str(tmp_path / "pins.json")},
        "baseline": {"enabled": False},
    }
    if not pins:
        settings["pins"] = {"enabled": False}
    config = GatewayConfig.model_validate(settings)
    audit = AuditLog(tmp_path / "audit.jsonl")
    return Relay(
        Session(server="docs", target="t"), build_interceptors(config, audit_log=audit), max_message=1 << 20
    )


def _exchange(relay: Relay, message: dict[str, Any], answer: dict[str, Any] | None = None) -> None:
    outs = relay.client_message(orjson.dumps({"jsonrpc": "2.0", **message}))
    if answer is not None and outs and outs[0].to == "server":
        relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": message["id"], **answer}))


def _session(relay: Relay, said: str) -> None:
    """A session whose client and server put ``said`` in names: the client's application name,
    a call of a tool named with it, a request id and a method carrying it, a server request's id."""
    tools = {"tools": [{"name": "lookup", "inputSchema": {"type": "object"}}]}
    _exchange(relay, {"id": 0, "method": "initialize", "params": {"clientInfo": {"name": f"app {said}"}}},
              {"result": {"capabilities": {}}})  # fmt: skip
    _exchange(relay, {"id": 1, "method": "tools/list", "params": {}}, {"result": tools})
    _exchange(relay, {"id": 2, "method": "tools/call", "params": {"name": f"lookup {said}", "arguments": {}}},
              {"result": {"content": []}})  # fmt: skip
    _exchange(relay, {"id": f"call {said}", "method": "ping"}, {"result": {}})
    _exchange(
        relay, {"id": 3, "method": f"x/{said}", "params": {}}, {"error": {"code": -32601, "message": "no"}}
    )
    relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": f"ask {said}", "method": "roots/list"}))
    relay.client_message(orjson.dumps({"jsonrpc": "2.0", "id": f"ask {said}", "result": {"roots": []}}))
    relay.close()


def test_a_secret_in_names_is_masked_in_the_audit_log(tmp_path: Path) -> None:
    _session(_relay(tmp_path), f"token {SECRET}")
    log = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert SECRET[4:12] not in log, [line for line in log.splitlines() if SECRET[4:12] in line][:3]
    records = [json.loads(line) for line in log.splitlines()]
    assert any(str(r.get("tool", "")).startswith("lookup token ghp_") for r in records), records


def test_without_pins_too(tmp_path: Path) -> None:
    _session(_relay(tmp_path, pins=False), f"token {SECRET}")
    log = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert SECRET[4:12] not in log, [line for line in log.splitlines() if SECRET[4:12] in line][:3]


def test_ordinary_names_are_recorded_as_they_were(tmp_path: Path) -> None:
    _session(_relay(tmp_path), "weather-7f3a")
    records = [
        json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert {r.get("client") for r in records} == {"app weather-7f3a"}, records
    assert "lookup weather-7f3a" in {r.get("tool") for r in records}
    assert {"call weather-7f3a", "ask weather-7f3a"} <= {r.get("id") for r in records}
    assert "x/weather-7f3a" in {r.get("method") for r in records}
    assert any("lookup weather-7f3a" in reason for r in records for reason in r.get("reasons", []))
