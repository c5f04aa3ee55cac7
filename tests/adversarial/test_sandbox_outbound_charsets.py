"""Outbound inspection decoded every body as UTF-8, whatever its charset: a sandboxed server
sent its JSON in UTF-16 (Python's ``json.loads`` on bytes, which Flask and many handlers call,
detects UTF-16 and UTF-32 by their NUL bytes, with no charset named) or named
``charset=utf-16le`` or ``utf-7``. The ASCII of UTF-16 is valid UTF-8 with a NUL after each
letter, so the inspection read ``g\\0h\\0p\\0_\\0...``, found nothing and judged ``allow``; the API
read the token. Now a body with NUL bytes, or in a charset that is not ASCII's superset, is
not passed as read: it is uninspectable (the profile's ``uninspectable`` policy decides)."""

from __future__ import annotations

import json

import orjson
import pytest

from mcpward.sandbox._calls import InFlightCall
from mcpward.sandbox._outbound import Judgement, OutboundInspector, OutboundRequest, Uninspectable
from mcpward.sandbox.interface import InspectionRules

CALL = InFlightCall(7, "send_email", {"to": "alice@example.org"})
TOKEN = "ghp_" + "R8pX2mWq7LkT4nVz9bYc3HdF6jAs1GeU0oNi"
BODY = orjson.dumps({"To": "alice@example.org", "note": TOKEN}).decode()


def judge(body: bytes, content_type: str) -> Judgement:
    request = OutboundRequest("POST", "api.mail.test", 443, "/email", (("Content-Type", content_type),), body)
    return OutboundInspector("mail", InspectionRules(tls=True)).judge(request, [CALL])


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_json_in_utf16_or_utf32_without_a_charset_is_not_passed_as_read(encoding: str) -> None:
    body = BODY.encode(encoding)
    assert json.loads(body)["note"] == TOKEN  # what an API reading JSON from bytes sees
    with pytest.raises(Uninspectable):
        judge(body, "application/json")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (BODY.encode("utf-16-le"), "text/plain; charset=utf-16le"),
        (BODY.encode("utf-7"), "application/json; charset=UTF-7"),
        (BODY.encode("utf-7"), 'text/plain; charset="utf-7"'),
    ],
)
def test_a_charset_that_is_not_asciis_superset_is_not_passed_as_read(body: bytes, content_type: str) -> None:
    with pytest.raises(Uninspectable, match=r"charset|NUL"):
        judge(body, content_type)


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "text/plain; charset=ISO-8859-1"]
)
def test_utf8_and_ascii_supersets_are_read(content_type: str) -> None:
    assert [event["kind"] for event in judge(BODY.encode(), content_type).events] == ["dlp-outbound"]
