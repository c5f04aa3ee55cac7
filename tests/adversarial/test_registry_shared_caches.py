"""A shared cache (a company proxy, a CDN) in front of ``mcpward registry serve``, keeping
answers as HTTP caching allows (RFC 9111): by URL, told apart by the request headers the
answer's ``Vary`` names, never one whose ``Cache-Control`` says ``no-store`` or ``private``, and
one to a request with ``Authorization`` only when the answer says ``public``; any other 200 it
may keep for a heuristic time.

1. The read API (``/v0.1``) sends ``Access-Control-Allow-Origin`` only to a request with an
   ``Origin`` (a browser client such as vscode.dev), and said nothing of it in ``Vary``: a
   client syncing from a server (no ``Origin``) had its answer kept, and then served to every
   browser client under the same URL without the CORS header, which the browser refuses: the
   registry's browser clients saw nothing until the cache let go. Now every read API answer
   (and preflight) says ``Vary: Origin``.
2. The reviewers' pages (a session cookie opens them: the review queue, an entry, the fleet,
   a gateway's held results) and the JSON API carried no ``Cache-Control``: a page a reviewer
   signed in to could be kept and served to the next person asking for its URL, signed in or
   not, with the reviewer's CSRF token in its forms (the browser's own cache too kept it on
   disk after signing out). Now every answer but
   the public read API's and the static files says ``Cache-Control: no-store``, so does the
   read API of a registry served with tokens only (``public_v0=False``), whose answers are
   private. The public read API stays cacheable: its answers are the same for everyone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, Role, VetOutcome
from mcpward.registry.web import create_app

ORIGIN = "https://vscode.dev"


class SharedCache:
    """The few rules of RFC 9111 a shared cache keeps an answer by (sections 3, 3.5 and 4.1)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.kept: dict[str, tuple[dict[str, str | None], httpx.Response]] = {}

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        asked = {name.lower(): value for name, value in (headers or {}).items()}
        found = self.kept.get(path)
        if found is not None:
            selected, answer = found
            if all(asked.get(name) == value for name, value in selected.items()):
                return answer
        answer = self.client.get(path, headers=headers)
        if self._storable(answer, asked):
            vary = [
                name.strip().lower() for name in answer.headers.get("vary", "").split(",") if name.strip()
            ]
            if "*" not in vary:
                self.kept[path] = ({name: asked.get(name) for name in vary}, answer)
        return answer

    @staticmethod
    def _storable(answer: httpx.Response, asked: dict[str, str]) -> bool:
        directives = {
            d.strip().split("=")[0].lower() for d in answer.headers.get("cache-control", "").split(",")
        }
        if answer.status_code != 200 or directives & {"no-store", "private"}:
            return False
        return "authorization" not in asked or bool(directives & {"public", "s-maxage", "must-revalidate"})


@pytest.fixture
def registry(tmp_path: Any) -> Iterator[Registry]:
    opened = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")
    request = EntryRequest(name="io.example/docs", identity=Identity(kind="remote", url="https://docs.example/mcp"),
                           owner="team", scope=DataScope(), vet=VetOutcome(verdict="pass"))  # fmt: skip
    opened.approve(opened.request(request, "alice").id, "bob", "reviewed")
    yield opened
    opened.database.dispose()


def test_a_browser_client_is_not_served_a_server_clients_read_api_answer(registry: Registry) -> None:
    cache = SharedCache(TestClient(create_app(registry)))
    synced = cache.get("/v0.1/servers")  # a client syncing from a server: no Origin
    assert synced.status_code == 200 and "access-control-allow-origin" not in synced.headers
    browser = cache.get("/v0.1/servers", {"Origin": ORIGIN})
    assert browser.headers.get("access-control-allow-origin") == "*"
    # Nor the other way round, nor one origin's answer to another's (the same today, but told apart).
    assert "origin" in browser.headers["vary"].lower()
    assert "access-control-allow-origin" not in cache.get("/v0.1/servers").headers


def test_every_read_api_answer_and_preflight_says_it_varies_by_origin(registry: Registry) -> None:
    client = TestClient(create_app(registry))
    for path in ("/v0.1/servers", "/v0/servers", "/v0.1/servers/io.example%2Fdocs/versions", "/v0.1/nowhere"):
        for headers in ({}, {"Origin": ORIGIN}):
            answer = client.get(path, headers=headers)
            assert "origin" in [v.strip().lower() for v in answer.headers.get("vary", "").split(",")], path
    preflight = client.options(
        "/v0.1/servers", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert "origin" in preflight.headers.get("vary", "").lower()


def test_the_public_read_api_stays_cacheable(registry: Registry) -> None:
    cache = SharedCache(TestClient(create_app(registry)))
    first = cache.get("/v0.1/servers")
    assert "no-store" not in first.headers.get("cache-control", "")
    assert cache.get("/v0.1/servers") is first


def _signed_in(client: TestClient, registry: Registry) -> None:
    token = registry.create_token("bob", Role.REVIEWER, "setup")
    assert client.post("/login", data={"token": token, "next": "/queue"}).status_code in (200, 303)


@pytest.mark.parametrize("path", ["/queue", "/entries/1", "/fleet"])
def test_a_reviewers_page_is_never_kept_for_the_next_asker(path: str, registry: Registry) -> None:
    client = TestClient(create_app(registry))
    _signed_in(client, registry)
    cache = SharedCache(client)
    page = cache.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)  # the reviewer's session's own
    assert page.status_code == 200 and found
    client.cookies.clear()
    stranger = cache.get(path, {"Accept": "text/html"})
    assert found.group(1) not in stranger.text
    assert "no-store" in page.headers.get("cache-control", "")


def test_private_answers_of_the_api_are_never_stored(registry: Registry) -> None:
    token = registry.create_token("carol", Role.VIEWER, "setup")
    bearer = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app(registry))
    assert "no-store" in client.get("/api/entries", headers=bearer).headers.get("cache-control", "")
    private = TestClient(create_app(registry, public_v0=False))
    answer = private.get("/v0.1/servers", headers=bearer)
    assert answer.status_code == 200
    assert "no-store" in answer.headers.get("cache-control", "")
    assert re.search(r"\borigin\b", answer.headers.get("vary", ""), re.IGNORECASE)
