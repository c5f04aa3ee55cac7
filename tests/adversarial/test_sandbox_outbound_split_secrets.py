"""Outbound inspection read a request's strings one by one, and its path as a path: a secret
the sandboxed server sent out in any other shape left unread.

- A JSON array of byte numbers (``list(token.encode())``, Node's ``Buffer.toJSON``), a JSON
  list of short pieces of the token, or a query parameter repeated once per piece
  (``?t=ghp_&t=R8pX&...``): each string alone is no secret, and the judgement passed them
  (``allow``). The DLP engine joins such lists (``scan_json``); the inspection did not use it.
- The key of a hosted MCP endpoint sent as the request's own path (``/api/mcp/s/<key>/sse``
  to an allowed host): the engine's ``url-path-key`` rule reads a URL, and the inspection
  scanned the path without its scheme and host, so the key passed.
- With a ``redact`` policy, a secret in the path of a request that had a body and no query
  string was reported as redacted and sent unmasked: the target was rewritten only when the
  request had a query.

Now the judgement scans the request as the engine reads a JSON value (lists joined) and the
path as the URL it is; a masked path is sent masked."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mcpward.dlp.policy import DlpPolicy
from mcpward.sandbox._calls import InFlightCall
from mcpward.sandbox._outbound import Judgement, OutboundInspector, OutboundRequest
from mcpward.sandbox.interface import InspectionRules

CALL = InFlightCall(7, "send_email", {"to": "alice@example.org", "body": "Lunch?"})
TOKEN = "ghp_" + "R8pX2mWq7LkT4nVz9bYc3HdF6jAs1GeU0oNi"
MCP_KEY = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg"


def judge(body: Any, target: str = "/email", **options: Any) -> Judgement:
    data = b"" if body is None else orjson.dumps(body)
    request = OutboundRequest(
        "POST", "api.mail.test", 443, target, (("Content-Type", "application/json"),), data
    )
    return OutboundInspector("mail", InspectionRules(tls=True), **options).judge(request, [CALL])


def _pieces(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize(
    "body",
    [
        {"To": "alice@example.org", "data": list(TOKEN.encode())},
        {"To": "alice@example.org", "data": {"type": "Buffer", "data": list(TOKEN.encode())}},
        {"To": "alice@example.org", "parts": _pieces(TOKEN)},
    ],
    ids=["bytes", "buffer-json", "pieces"],
)
def test_a_secret_split_into_a_json_list_is_read(body: Any) -> None:
    judgement = judge(body)
    assert judgement.action != "allow"
    assert [event["kind"] for event in judgement.events] == ["dlp-outbound"]


def test_a_secret_split_over_a_repeated_query_parameter_is_read() -> None:
    judgement = judge(None, target="/email?t=" + "&t=".join(_pieces(TOKEN)))
    assert [event["kind"] for event in judgement.events] == ["dlp-outbound"]


def test_an_mcp_endpoint_key_sent_as_the_path_is_read() -> None:
    judgement = judge({"To": "alice@example.org"}, target=f"/api/mcp/s/{MCP_KEY}/sse")
    assert [event["kind"] for event in judgement.events] == ["dlp-outbound"]
    assert "url-path-key" in judgement.events[0]["message"]


def test_the_servers_own_endpoint_key_from_its_environment_still_passes() -> None:
    own = f"https://api.mail.test/api/mcp/s/{MCP_KEY}/sse"
    assert (
        judge({"To": "alice@example.org"}, target=f"/api/mcp/s/{MCP_KEY}/sse", known_secrets=[own]).events
        == []
    )


def test_a_redacting_policy_masks_a_secret_in_the_path_too() -> None:
    policy = DlpPolicy.model_validate({"actions": {"secret": "redact"}})
    judgement = judge({"To": "alice@example.org"}, target=f"/upload/{TOKEN}", policy=policy)
    assert judgement.action == "redact"
    assert judgement.target is not None and TOKEN not in judgement.target
    assert judgement.target.startswith("/upload/")


def test_a_redacting_policy_masks_a_secret_split_into_a_list() -> None:
    policy = DlpPolicy.model_validate({"actions": {"secret": "redact"}})
    judgement = judge({"To": "alice@example.org", "data": list(TOKEN.encode())}, policy=policy)
    assert judgement.action == "redact" and judgement.body is not None
    sent = orjson.loads(judgement.body)
    assert sent["To"] == "alice@example.org" and sent["data"] != list(TOKEN.encode())
    assert TOKEN not in judgement.body.decode()


def test_lists_of_ordinary_values_stay_quiet() -> None:
    body = {"To": "alice@example.org", "ids": list(range(40)), "tags": ["a", "bb", "ccc", "dddd"]}
    assert judge(body).events == []
