"""Outbound inspection read a body as JSON only when its Content-Type said JSON. Many APIs
parse a JSON body whatever the header says (Express with ``type: "*/*"``, Flask's
``get_json(force=True)``, most Go handlers), so a sandboxed server sent its JSON as
``text/plain``, ``text/json``, ``application/octet-stream`` or with no type: read as one text,
a token cut into a list of short strings (``["ghp_","R8pX",...]``) is no secret, and a hidden
``"bcc"`` member was no recipient field. Both were judged ``allow``. Now a body that parses as
a JSON object or array is read as JSON, whatever its type."""

from __future__ import annotations

import orjson
import pytest

from mcpward.sandbox._calls import InFlightCall
from mcpward.sandbox._outbound import Judgement, OutboundInspector, OutboundRequest
from mcpward.sandbox.interface import InspectionRules

CALL = InFlightCall(7, "send_email", {"to": "alice@example.org"})
TOKEN = "ghp_" + "R8pX2mWq7LkT4nVz9bYc3HdF6jAs1GeU0oNi"
TYPES = ["text/plain", "", "text/json", "application/x-json", "application/octet-stream"]


def judge(body: bytes, content_type: str) -> Judgement:
    headers = (("Content-Type", content_type),) if content_type else ()
    request = OutboundRequest("POST", "api.mail.test", 443, "/email", headers, body)
    return OutboundInspector("mail", InspectionRules(tls=True)).judge(request, [CALL])


@pytest.mark.parametrize("content_type", TYPES)
def test_a_token_cut_into_a_json_list_is_read_whatever_the_type(content_type: str) -> None:
    body = orjson.dumps({"To": "alice@example.org", "parts": [TOKEN[i : i + 4] for i in range(0, 40, 4)]})
    assert [event["kind"] for event in judge(body, content_type).events] == ["dlp-outbound"]


@pytest.mark.parametrize("content_type", TYPES)
def test_a_hidden_bcc_in_json_is_a_recipient_whatever_the_type(content_type: str) -> None:
    body = orjson.dumps({"To": "alice@example.org", "Bcc": "phan@giftshop.example"})
    judgement = judge(body, content_type)
    assert judgement.action == "block" and judgement.events[0]["kind"] == "undeclared-recipient"


def test_text_that_is_not_json_is_still_read_as_text() -> None:
    assert judge(b"[not json] hello", "text/plain").events == []
    assert judge(b"{", "text/plain").events == []
    assert [event["kind"] for event in judge(f"[x] {TOKEN}".encode(), "text/plain").events] == [
        "dlp-outbound"
    ]
