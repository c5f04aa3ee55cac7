"""Attack: a NUL character in what an anonymous caller asks the read API (``/v0.1``) for.

PostgreSQL holds no NUL in text, and its driver refuses a query parameter holding one, so
``/v0.1/servers?search=%00`` and ``/v0.1/servers/io.example%00x/versions`` were an uncaught
error, a 500, on a registry on PostgreSQL (SQLite takes it and finds nothing) until 2026-12-05.
Now a search or name holding a control character is a 422 / a 404, on both.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from mcpward.registry import Registry
from mcpward.registry.web import create_app


@pytest.mark.parametrize(
    "path",
    [
        "/v0.1/servers?search=a%00b",
        "/v0.1/servers?search=a%00b&include_deleted=true",
        "/v0.1/servers/io.example%2Fa%00b/versions",
        "/v0.1/servers/io.example%2Fa%00b/versions/latest",
        "/v0.1/servers/io.example%2Fa/versions/1%00",
    ],
)
def test_a_nul_in_a_query_is_bad_input_not_a_500(registry: Registry, path: str) -> None:
    client = TestClient(create_app(registry), raise_server_exceptions=False)
    answer = client.get(path)
    assert answer.status_code in (404, 422), (answer.status_code, answer.text[:200])  # was 500 on PostgreSQL
    assert "\x00" not in answer.text and "\\u0000" not in answer.text


def test_a_search_holding_no_control_character_still_answers(registry: Registry) -> None:
    client = TestClient(create_app(registry))
    answer: Any = client.get("/v0.1/servers", params={"search": "files ü"})
    assert answer.status_code == 200 and answer.json()["servers"] == []
