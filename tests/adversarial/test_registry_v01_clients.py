"""What a client pointed at this registry asks of it, as VS Code does (``chat.mcp.gallery.
serviceUrl`` + ``/v0.1/servers?limit=1``) and as a browser client does (CORS preflight): the
stable ``/v0.1`` paths answer, a revoked approval is listed only as deleted and only when asked
for, and cross-origin reads never reach the cookie-authenticated API or pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome
from mcpward.registry.web import create_app

OFFICIAL = "io.modelcontextprotocol.registry/official"
ORIGIN = "https://vscode.dev"


@pytest.fixture
def site(tmp_path: Any) -> Iterator[tuple[Registry, TestClient]]:
    registry = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")
    yield registry, TestClient(create_app(registry))
    registry.database.dispose()


def _approved(registry: Registry, name: str, url: str) -> int:
    request = EntryRequest(name=name, identity=Identity(kind="remote", url=url), owner="team",
                           scope=DataScope(), vet=VetOutcome(verdict="pass"))  # fmt: skip
    return registry.approve(registry.request(request, "alice").id, "bob", "reviewed").id


def test_the_stable_v01_paths_answer_as_vscode_asks_them(site: tuple[Registry, TestClient]) -> None:
    registry, client = site
    _approved(registry, "io.example/search", "https://mcp.example.com/mcp")
    listed = client.get("/v0.1/servers", params={"limit": 1})
    assert listed.status_code == 200, listed.text  # was 404: mounted at /v0.1/v0/servers
    assert listed.json()["servers"][0]["server"]["name"] == "io.example/search"
    latest = client.get("/v0.1/servers/io.example%2Fsearch/versions/latest")
    assert latest.status_code == 200 and latest.json()["_meta"][OFFICIAL]["status"] == "active"
    assert client.get("/v0.1/v0/servers").status_code == 404


def test_a_revoked_server_is_deleted_and_listed_only_when_asked(site: tuple[Registry, TestClient]) -> None:
    registry, client = site
    kept = _approved(registry, "io.example/kept", "https://mcp.example.com/kept")
    gone = _approved(registry, "io.example/gone", "https://mcp.example.com/gone")
    before = client.get("/v0.1/servers").json()["servers"]
    since = max(item["_meta"][OFFICIAL]["updatedAt"] for item in before)
    registry.revoke(gone, "carol", "the vendor's key leaked: do not use")
    names = [item["server"]["name"] for item in client.get("/v0.1/servers").json()["servers"]]
    assert names == ["io.example/kept"]
    everything = client.get("/v0.1/servers", params={"include_deleted": "true"}).json()["servers"]
    statuses = {item["server"]["name"]: item["_meta"][OFFICIAL] for item in everything}
    assert statuses["io.example/gone"]["status"] == "deleted"
    assert statuses["io.example/gone"]["statusMessage"].startswith("approval revoked")
    assert "key leaked" not in str(statuses)  # the reviewer's rationale stays in the registry
    assert statuses["io.example/kept"]["status"] == "active"
    # updated_since: only what changed after, deleted ones included (as the official API does).
    changed = client.get("/v0.1/servers", params={"updated_since": since}).json()["servers"]
    assert [item["server"]["name"] for item in changed] == ["io.example/gone"]
    assert client.get("/v0.1/servers", params={"updated_since": "yesterday"}).status_code == 422
    assert kept


def test_cross_origin_reads_reach_the_read_api_only(site: tuple[Registry, TestClient]) -> None:
    _registry, client = site
    preflight = client.options(
        "/v0.1/servers",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    read = client.get("/v0.1/servers", headers={"Origin": ORIGIN})
    assert read.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in read.headers  # never with cookies
    for path in ("/api/entries", "/queue", "/api/fleet/machines"):
        answer = client.get(path, headers={"Origin": ORIGIN})
        assert "access-control-allow-origin" not in answer.headers, path
    refused = client.options(
        "/api/entries", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in refused.headers
