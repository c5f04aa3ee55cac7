"""Attack: a requester's ``server.json`` nested a few hundred levels deep (``"_meta": {"x":
[[[…]]]}``, 600 bytes for 300 levels, well within the 64 KiB a document may hold).

Before 2026-12-05, over ``POST /api/entries``: at 300 levels the request was stored and only its
answer failed (a 500: the answer's serializer stops at a depth), and from then on every
``/api/entries`` listing was a 500 for every caller, the list gateways with an HTTP registry
source read their approvals from (so no server could start through them), and once approved the
entry's ``/v0.1/servers/NAME/versions`` was a 500 too; at 450 levels and more it was a 500 with
nothing stored. Now a ``server.json`` nested deeper than 32 levels is a 422 and nothing is
stored, whatever the path it comes by (the API's request or import, the CLI's import).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mcpward.registry import Registry, Role
from mcpward.registry.web import create_app

_REQUEST = (
    '{"name": "io.github.acme/files", "owner": "team-platform", '
    '"identity": {"kind": "package", "ecosystem": "npm", "name": "@acme/files", "version": "1.0.0"}, '
    '"server_json": {"name": "io.github.acme/files", "version": "1.0.0", "description": "Files.", '
    '"_meta": {"x": %s}}}'
)
_IMPORT = (
    '{"name": "io.github.acme/other", "version": "1.0.0", "description": "Files.", "_meta": {"x": %s}, '
    '"packages": [{"registryType": "npm", "identifier": "@acme/other", "version": "1.0.0", '
    '"transport": {"type": "stdio"}}]}'
)


@pytest.fixture
def site(tmp_path: Any) -> Iterator[tuple[Registry, TestClient, dict[str, str]]]:
    registry = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")
    token = registry.create_token("mallory", Role.REQUESTER, "setup")
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    yield registry, TestClient(create_app(registry), raise_server_exceptions=False), headers
    registry.database.dispose()


@pytest.mark.parametrize("depth", [40, 300, 450, 900])
def test_a_deeply_nested_server_json_is_refused_and_not_stored(
    site: tuple[Registry, TestClient, dict[str, str]], depth: int
) -> None:
    registry, client, headers = site
    nested = "[" * depth + "]" * depth
    requested = client.post("/api/entries", content=_REQUEST % nested, headers=headers)
    assert requested.status_code == 422, requested.text[:200]  # was 500 (at 300: stored all the same)
    imported = client.post("/api/import?owner=team-platform", content=_IMPORT % nested, headers=headers)
    assert imported.status_code == 422, imported.text[:200]
    assert registry.count() == 0
    listed = client.get("/api/entries", headers=headers)
    assert listed.status_code == 200 and listed.json()["entries"] == []


def test_a_server_json_as_deep_as_real_ones_is_stored_and_served(
    site: tuple[Registry, TestClient, dict[str, str]],
) -> None:
    registry, client, headers = site
    nested = "[" * 20 + "]" * 20
    requested = client.post("/api/entries", content=_REQUEST % nested, headers=headers)
    assert requested.status_code == 201, requested.text[:200]
    registry.approve(requested.json()["id"], "bob", "reviewed", override=True)
    assert client.get("/api/entries", headers=headers).status_code == 200
    versions = client.get("/v0.1/servers/io.github.acme%2Ffiles/versions")
    assert versions.status_code == 200, versions.text[:200]


def test_a_deeply_nested_vet_claim_is_a_422(site: tuple[Registry, TestClient, dict[str, str]]) -> None:
    """The requester's own vet claim, with a finding nested 300 levels: a 500 until 2026-12-05
    (the secret check could not write it out), nothing stored."""
    registry, client, headers = site
    nested = "[" * 300 + "]" * 300
    body = (
        '{"name": "io.github.acme/files", "owner": "team-platform", "identity": {"kind": "package", '
        '"ecosystem": "npm", "name": "@acme/files", "version": "1.0.0"}, '
        '"vet": {"verdict": "pass", "findings": [{"severity": "low", "x": %s}]}}'
    )
    requested = client.post("/api/entries", content=body % nested, headers=headers)
    assert requested.status_code == 422, requested.text[:200]  # was 500
    assert registry.count() == 0
