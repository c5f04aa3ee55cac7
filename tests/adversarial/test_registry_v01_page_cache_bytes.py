"""Attack: fill the read API's page cache (``/v0.1/servers``, public by default) with big pages.

The cache kept the last 512 pages whatever their size. A page is up to 100 entries, each with a
``server.json`` of up to 64 KiB, and every search string, cursor and limit is a page of its own:
an anonymous caller asking for the same entries under 512 spellings (``search=i``, ``search=io``,
``limit=99`` …) made the registry hold 512 copies of the biggest page it could build, up to
3 GiB, for good, until 2026-12-05. Now the cache holds at most 64 MiB of pages (the least
recently used dropped first) and never a page bigger than an eighth of that.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome
from mcpward.registry.web import create_app

ENTRIES = 30
PADDING = 60_000  # bytes of description-like text in each server.json's _meta


@pytest.fixture
def site(tmp_path: Any) -> Iterator[tuple[Registry, TestClient]]:
    registry = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")
    for number in range(ENTRIES):
        name = f"io.github.acme/files-{number}"
        document = {"name": name, "version": "1.0.0", "description": "Files.",
                    "_meta": {"io.github.acme/notes": " ".join(["lorem ipsum"] * (PADDING // 12))}}  # fmt: skip
        request = EntryRequest(name=name, owner="team", scope=DataScope(), vet=VetOutcome(verdict="pass"),
                               identity=Identity(kind="remote", url=f"https://mcp.acme.example/{number}"),
                               server_json=document)  # fmt: skip
        registry.approve(registry.request(request, "alice").id, "bob", "reviewed")
    yield registry, TestClient(create_app(registry))
    registry.database.dispose()


def test_many_spellings_of_one_big_page_do_not_grow_the_cache_without_bound(
    site: tuple[Registry, TestClient],
) -> None:
    _registry, client = site
    held = client.app.state.v0_pages  # type: ignore[attr-defined]
    page = 0
    for limit in range(ENTRIES, ENTRIES + 45):  # each a page of every entry: 1.8 MB
        answer = client.get("/v0.1/servers", params={"limit": limit, "search": "io.github"})
        assert answer.status_code == 200 and answer.json()["metadata"]["count"] == ENTRIES
        page = len(answer.content)
    assert page > 1_500_000
    cached = sum(len(body) for body in held._pages.values())
    assert cached <= 64 * 1024 * 1024, cached  # was 45 pages: 81 MB, and 512 of them on
    # A page is still served from the cache when asked again.
    again = client.get("/v0.1/servers", params={"limit": ENTRIES + 44, "search": "io.github"})
    assert len(again.content) == page


def test_a_new_spelling_of_a_page_does_not_build_its_entries_again(
    site: tuple[Registry, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each entry's server.json is built (every string checked for secrets: 10 ms for 60 KB) once
    per change of the registry, not once per page: every new search string or limit, which
    anyone may send, built a whole page of them again until 2026-12-05 (0.3 s a request here)."""
    from mcpward.registry.web import _official

    registry, client = site
    built: list[int] = []
    real = _official.export

    def counted(entry: Any) -> dict[str, Any]:
        built.append(entry.id)
        return real(entry)

    monkeypatch.setattr(_official, "export", counted)
    for spelling in ("io", "io.", "io.g", "github", "acme", "files", "-1", "s-"):
        assert client.get("/v0.1/servers", params={"search": spelling, "limit": 100}).status_code == 200
    assert client.get("/v0.1/servers/io.github.acme%2Ffiles-3/versions").status_code == 200
    assert sorted(built) == sorted(set(built)) and len(built) == ENTRIES  # was 8 pages of them
    # A change of the registry is published at once.
    registry.revoke(1, "carol", "withdrawn")
    listed = client.get("/v0.1/servers", params={"search": "io", "limit": 100}).json()["servers"]
    assert len(listed) == ENTRIES - 1
