"""Attack: ``/api/import`` with 1,001 valid documents and one invalid one answered 201 with the
first 1,000 stored (the invalid one was never read). Import is all or nothing, with a limit
that is stated, never applied silently."""

from __future__ import annotations

import httpx

from mcpward.registry import Registry, Role


def _document(index: int) -> dict[str, object]:
    return {
        "name": f"io.github.acme/s{index}",
        "description": "A server.",
        "version": "1.0.0",
        "remotes": [{"type": "streamable-http", "url": f"https://s{index}.example.com/mcp"}],
    }


def test_an_oversized_import_is_refused_whole(registry: Registry, live_server: str) -> None:
    token = registry.create_token("mallory", Role.REQUESTER, "setup")
    headers = {"Authorization": f"Bearer {token}"}
    documents = [_document(i) for i in range(1001)] + [{"name": "bad"}]
    answer = httpx.post(f"{live_server}/api/import?owner=team", json=documents, headers=headers, timeout=60)
    assert answer.status_code == 422, answer.status_code
    assert "1000" in answer.json()["detail"] and "nothing was stored" in answer.json()["detail"]
    assert registry.count() == 0
    just_over = httpx.post(
        f"{live_server}/api/import?owner=team", json=documents[:1001], headers=headers, timeout=60
    )
    assert just_over.status_code == 422 and registry.count() == 0
