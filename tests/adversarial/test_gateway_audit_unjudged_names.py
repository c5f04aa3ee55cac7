"""The record of a message whose id and method DLP's policy did not judge: DLP turned off, the
server's messages with ``scan_results = false``, or a message an earlier check refused.

Before (2026-12-06): the record masked such an id and a method outside the specification with
``redact_text``, which knows secrets only, while it masked the params beside them with the
default rules whole (secrets and personal data): a client request numbered with a card number
or named ``x/<an e-mail address>``, or a server's request under such an id, put the card and
the address in the audit log (and its sinks) in clear beside the params' ``****``. Now they are
masked as the params are; counters, UUIDs and ordinary methods are recorded as they were."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from mcpward.gateway import AuditLog, GatewayConfig, Relay, Session, build_interceptors

EMAIL = "jane.roe@acme-corp.com"
CARD = 4111111111111111

SETTINGS = {"off": {"enabled": False}, "results-unread": {"scan_results": False}}


def _relay(tmp_path: Path, dlp: dict[str, Any]) -> Relay:
    config = GatewayConfig.model_validate(
        {"pins": {"enabled": False}, "baseline": {"enabled": False}, "dlp": dlp}
    )
    audit = AuditLog(tmp_path / "audit.jsonl")
    return Relay(
        Session(server="docs", target="t"), build_interceptors(config, audit_log=audit), max_message=1 << 20
    )


def _records(tmp_path: Path) -> list[dict[str, Any]]:
    return [
        orjson.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    ]


@pytest.mark.parametrize("request_id", [CARD, str(CARD)], ids=["number", "string"])
def test_a_client_request_with_dlp_off(tmp_path: Path, request_id: Any) -> None:
    relay = _relay(tmp_path, SETTINGS["off"])
    request = {"jsonrpc": "2.0", "id": request_id, "method": f"x/{EMAIL}", "params": {"note": EMAIL}}
    relay.client_message(orjson.dumps(request))
    text = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert EMAIL not in text and str(CARD) not in text, text


@pytest.mark.parametrize("dlp", SETTINGS.values(), ids=SETTINGS.keys())
def test_a_server_request_dlp_did_not_judge(tmp_path: Path, dlp: dict[str, Any]) -> None:
    relay = _relay(tmp_path, dlp)
    asked = {"jsonrpc": "2.0", "id": f"ask-{EMAIL}", "method": f"x/{EMAIL}", "params": {"note": EMAIL}}
    relay.server_message(orjson.dumps(asked))
    text = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert EMAIL not in text, text


@pytest.mark.parametrize("dlp", SETTINGS.values(), ids=SETTINGS.keys())
def test_ordinary_ids_and_methods_are_recorded_as_they_were(tmp_path: Path, dlp: dict[str, Any]) -> None:
    relay = _relay(tmp_path, dlp)
    ids: list[Any] = [
        7,
        1733456789012,
        str(uuid.UUID("6f1c2b7e-3d4a-4e5f-9a8b-7c6d5e4f3a2b")),
        "req_2f9c1e7a4b",
    ]
    for request_id in ids:
        message = {"jsonrpc": "2.0", "id": request_id, "method": "experimental/reindex", "params": {"n": 1}}
        relay.server_message(orjson.dumps(message))
    assert [(r["id"], r["method"]) for r in _records(tmp_path)] == [(i, "experimental/reindex") for i in ids]
