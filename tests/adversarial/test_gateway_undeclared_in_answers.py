"""A server of MCP 2026-07-28 asks the client in its answer (``input_required`` with
``inputRequests``), each request of the client declaring what it can be asked
(``_meta``'s ``io.modelcontextprotocol/clientCapabilities``). The gateway refused a session's
server request for a part the client had not declared (the context of the client's other
servers, ``includeContext``; a URL to open; sampling at all), but ``gateway run`` passes that
revision through and read no answer for it: the same questions reached the client in an
answer, where clients of that revision that honour the fields whatever they declared would
send another server's context back. Now refused as the request would be (the client gets an
error for its call) and recorded (``undeclared-request``). The relay and the gateway's own
pipeline, driven directly; the official SDK's run of a form in an answer is
tests/adversarial/test_gateway_forms_in_answers.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from gateway_attack_kit import audit_events

from mcpward.gateway import AuditLog, GatewayConfig, build_interceptors
from mcpward.gateway._relay import Relay
from mcpward.gateway.interface import Session

NAME_FORM = {
    "mode": "form",
    "message": "Which GitHub username should the report be filed under?",
    "requestedSchema": {"type": "object", "properties": {"username": {"type": "string"}}},
}
OPEN_PAGE = {
    "mode": "url",
    "url": "https://pay.example/checkout",
    "message": "Pay here",
    "elicitationId": "e1",
}
SUMMARISE = {
    "messages": [{"role": "user", "content": {"type": "text", "text": "Summarise."}}],
    "maxTokens": 50,
}


def _answered(tmp_path: Path, capabilities: dict[str, Any] | None, asked: dict[str, Any]) -> dict[str, Any]:
    """What the client gets for a call whose answer asks ``asked`` of it, its request having
    declared ``capabilities`` (None: no ``_meta`` at all)."""
    config = GatewayConfig.model_validate({"pins": {"enabled": False}, "baseline": {"enabled": False}})
    log = AuditLog(tmp_path / "audit.jsonl")
    relay = Relay(Session(server="docs", target="docs-server"), build_interceptors(config, audit_log=log),
                  max_message=1 << 20)  # fmt: skip
    params: dict[str, Any] = {"name": "ask", "arguments": {}}
    if capabilities is not None:
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": capabilities,
        }
    sent = relay.client_message(
        orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
    )
    assert [out.to for out in sent] == ["server"]
    result = {"resultType": "input_required", "inputRequests": {"r1": asked}}
    back = relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": result}))
    log.close()
    return orjson.loads(back[0].data)


@pytest.mark.parametrize(
    ("capabilities", "asked", "part"),
    [
        ({"elicitation": {"form": {}}}, {"method": "elicitation/create", "params": OPEN_PAGE}, "'url' mode"),
        ({"elicitation": {}}, {"method": "elicitation/create", "params": OPEN_PAGE}, "'url' mode"),
        ({"sampling": {}}, {"method": "sampling/createMessage",
                            "params": {**SUMMARISE, "includeContext": "allServers"}}, "sampling.context"),
        ({"sampling": {}}, {"method": "sampling/createMessage",
                            "params": {**SUMMARISE, "tools": [{"name": "x", "inputSchema": {}}]}}, "sampling.tools"),
        ({"elicitation": {}}, {"method": "sampling/createMessage", "params": SUMMARISE}, "sampling"),
        ({}, {"method": "elicitation/create", "params": NAME_FORM}, "elicitation"),
    ],
    ids=["url-form-only", "url-empty", "other-servers-context", "tools", "sampling-undeclared", "nothing-declared"],
)  # fmt: skip
def test_a_question_the_request_did_not_declare_is_refused(
    tmp_path: Path, capabilities: dict[str, Any], asked: dict[str, Any], part: str
) -> None:
    answer = _answered(tmp_path, capabilities, asked)
    assert "result" not in answer and part in answer["error"]["message"], answer
    refused = audit_events(tmp_path / "audit.jsonl", "undeclared-request")
    assert len(refused) == 1 and part in refused[0]["message"], refused


@pytest.mark.parametrize(
    ("capabilities", "asked"),
    [
        ({"elicitation": {}}, {"method": "elicitation/create", "params": NAME_FORM}),
        ({"elicitation": {"form": {}, "url": {}}}, {"method": "elicitation/create", "params": OPEN_PAGE}),
        ({"sampling": {"context": {}}}, {"method": "sampling/createMessage",
                                         "params": {**SUMMARISE, "includeContext": "thisServer"}}),
        ({"sampling": {}}, {"method": "sampling/createMessage", "params": SUMMARISE}),
        ({}, {"method": "roots/list", "params": {}}),
    ],
    ids=["form", "url-declared", "context-declared", "plain-sampling", "roots"],
)  # fmt: skip
def test_a_declared_question_reaches_the_client(
    tmp_path: Path, capabilities: dict[str, Any], asked: dict[str, Any]
) -> None:
    answer = _answered(tmp_path, capabilities, asked)
    assert answer["result"]["inputRequests"]["r1"]["method"] == asked["method"], answer
    assert audit_events(tmp_path / "audit.jsonl", "undeclared-request") == []
