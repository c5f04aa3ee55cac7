"""Attack: one requester token floods the review queue: ``/api/import`` takes 1,000 server.json
documents a call, ``POST /api/entries`` one, and nothing bounded the calls, so one token (a CI
job's, a leaked one) made a million requests an hour, each a row, an audit event and a line in
every reviewer's queue, burying the requests people made. Before 2026-12-05 there was no rate.

Now one token holder asks for at most ``requests_per_minute`` entries a minute (an import counts
each document; then 429 with Retry-After, nothing stored), a ``registry serve`` option; another
holder is not held by it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_registry_import_limit import _document

from mcpward.registry import Registry, Role
from mcpward.registry.web import RequestLimits, create_app


@pytest.fixture
def registry(tmp_path: Any) -> Iterator[Registry]:
    opened = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")
    yield opened
    opened.database.dispose()


def _request(index: int) -> dict[str, object]:
    return {"name": f"io.github.acme/r{index}", "identity": {"kind": "remote", "url": f"https://r{index}.example.com/mcp"},
            "owner": "team", "scope": {}}  # fmt: skip


def test_one_token_asks_for_at_most_its_rate_of_entries(registry: Registry) -> None:
    client = TestClient(create_app(registry, requests=RequestLimits(per_minute=5)))
    mallory = {"Authorization": f"Bearer {registry.create_token('mallory', Role.REQUESTER, 'setup')}"}
    alice = {"Authorization": f"Bearer {registry.create_token('alice', Role.REQUESTER, 'setup')}"}
    assert (
        client.post(
            "/api/import?owner=team", json=[_document(i) for i in range(3)], headers=mallory
        ).status_code
        == 201
    )
    over = client.post("/api/import?owner=team", json=[_document(i) for i in range(3, 6)], headers=mallory)
    assert over.status_code == 429, over.text
    assert (
        1 <= int(over.headers["retry-after"]) <= 60 and "5 entry requests a minute" in over.json()["detail"]
    )
    assert registry.count() == 3  # nothing of the refused import
    assert client.post("/api/entries", json=_request(1), headers=mallory).status_code == 201
    assert client.post("/api/entries", json=_request(2), headers=mallory).status_code == 201
    assert client.post("/api/entries", json=_request(3), headers=mallory).status_code == 429
    # Another holder still asks.
    assert client.post("/api/entries", json=_request(4), headers=alice).status_code == 201
    # An import that can never fit the rate is told to split, not to wait.
    too_big = client.post("/api/import?owner=team", json=[_document(i) for i in range(10, 16)], headers=alice)
    assert too_big.status_code == 422 and "split" in too_big.json()["detail"]
    assert registry.count() == 6


def test_the_default_rate_is_stated_and_fits_two_whole_imports() -> None:
    assert RequestLimits().per_minute == 2000


def test_registry_serve_takes_the_rate(cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import uvicorn

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **_: served.append(application))
    database = f"sqlite:///{tmp_path / 'r.db'}"
    assert cli("registry", "serve", "--database", database, "--requests-per-minute", "9").exit_code == 0
    assert served[0].state.request_rate.per_minute == 9
