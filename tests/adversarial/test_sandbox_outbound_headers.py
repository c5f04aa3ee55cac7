"""Outbound inspection read a request's path, query and body, never its headers: a sandboxed
server sent a token out in a header of its own (``X-Data: ghp_...``), in a cookie, or cut over
a header it repeated, and the judgement was ``allow``. Now the headers are read for secrets
(the list a repeated header makes is joined as a body's list is), but for the server's
``Authorization`` (its credential to the API is its job) and the proxy's own headers; a secret
there under a ``redact`` policy is refused, since a header is not rewritten."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mcpward.dlp.policy import DlpPolicy
from mcpward.sandbox._calls import InFlightCall
from mcpward.sandbox._outbound import Judgement, OutboundInspector, OutboundRequest
from mcpward.sandbox.interface import InspectionRules

CALL = InFlightCall(7, "send_email", {"to": "alice@example.org"})
TOKEN = "ghp_" + "R8pX2mWq7LkT4nVz9bYc3HdF6jAs1GeU0oNi"


def judge(headers: list[tuple[str, str]], **options: Any) -> Judgement:
    body = orjson.dumps({"To": "alice@example.org"})
    request = OutboundRequest(
        "POST", "api.mail.test", 443, "/email", (("Content-Type", "application/json"), *headers), body
    )
    return OutboundInspector("mail", InspectionRules(tls=True), **options).judge(request, [CALL])


@pytest.mark.parametrize(
    "headers",
    [
        [("X-Data", TOKEN)],
        [("Cookie", f"theme=dark; t={TOKEN}")],
        [("X-Part", TOKEN[i : i + 4]) for i in range(0, 40, 4)],
    ],
    ids=["header", "cookie", "repeated-header"],
)
def test_a_secret_in_a_header_is_read(headers: list[tuple[str, str]]) -> None:
    assert [event["kind"] for event in judge(headers).events] == ["dlp-outbound"]


def test_a_redacting_policy_refuses_a_secret_in_a_header() -> None:
    policy = DlpPolicy.model_validate({"actions": {"secret": "redact"}})
    assert judge([("X-Data", TOKEN)], policy=policy).action == "block"


def test_ordinary_headers_and_the_servers_credential_stay_quiet() -> None:
    headers = [
        ("Authorization", f"Bearer {TOKEN}"),
        ("User-Agent", "Mozilla/5.0 (compatible; +http://www.example.com/bot.html)"),
        ("X-Request-Id", "0f8fad5b-d9cb-469f-a165-70867728950e"),
        ("Cookie", "session=8f14e45fceea167a5a36dedd4bea2543"),
        ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    ]
    assert judge(headers).events == []
    assert judge([("X-Data", TOKEN)], known_secrets=[TOKEN]).events == []
