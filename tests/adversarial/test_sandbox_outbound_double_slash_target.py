"""Outbound inspection split a request's target with ``urlsplit``, which reads a target that
starts with ``//`` as an authority and a path: ``POST //<token>/x`` (or ``//u:<token>@h/``)
was judged by its path ``/x`` alone, the token in what ``urlsplit`` took for a host name left
unread (``allow``), while the API, for which an origin-form target is all path, read it whole.
``//[x/a`` made ``urlsplit`` raise, uncaught: the connection ended with no record. Now the
target is split at its ``?`` only: everything before is the path."""

from __future__ import annotations

import pytest

from mcpward.sandbox._calls import InFlightCall
from mcpward.sandbox._outbound import Judgement, OutboundInspector, OutboundRequest
from mcpward.sandbox.interface import InspectionRules

CALL = InFlightCall(7, "send_email", {"to": "alice@example.org"})
TOKEN = "ghp_" + "R8pX2mWq7LkT4nVz9bYc3HdF6jAs1GeU0oNi"


def judge(target: str) -> Judgement:
    request = OutboundRequest("GET", "api.mail.test", 443, target, (), b"")
    return OutboundInspector("mail", InspectionRules(tls=True)).judge(request, [CALL])


@pytest.mark.parametrize("target", [f"//{TOKEN}/x", f"//u:{TOKEN}@h/", f"//{TOKEN}?q=1"])
def test_a_secret_after_a_double_slash_is_read(target: str) -> None:
    assert [event["kind"] for event in judge(target).events] == ["dlp-outbound"]


def test_a_target_urlsplit_cannot_read_is_judged_not_raised() -> None:
    assert judge("//[x/a").events == []
