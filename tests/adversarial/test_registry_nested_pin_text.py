"""Attack: a pin's canonical text is a JSON string inside the request, parsed again to check
that it describes the item its key names. Nested 100,000 deep (``[[[…]]]``, well within the
body limit), parsing it raised RecursionError, which nothing caught: a 500 with a traceback for
any requester, as often as the request rate allowed. Now it is a 422 naming the pin, nothing
stored."""

from __future__ import annotations

import httpx
import pytest

from mcpward.registry import Registry, Role

_DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
_DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000


@pytest.mark.parametrize(
    "canonical",
    [_DEEP_ARRAY, _DEEP_OBJECT, '{"description":' + _DEEP_ARRAY + ',"name":"read"}'],
    ids=["array", "object", "inside-a-tool"],
)
def test_a_deeply_nested_pin_text_is_refused_not_a_500(
    registry: Registry, live_server: str, canonical: str
) -> None:
    token = registry.create_token("mallory", Role.REQUESTER, "setup")
    body = {
        "name": "io.github.acme/files",
        "owner": "team-platform",
        "identity": {"kind": "package", "ecosystem": "npm", "name": "@acme/files", "version": "1.0.0"},
        "pins": {"tool:read": {"sha256": "0" * 64, "canonical": canonical}},
    }
    answer = httpx.post(
        f"{live_server}/api/entries", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    assert answer.status_code == 422, answer.text[:200]
    assert "tool:read" in answer.json()["detail"]
    assert registry.entries() == []
