"""Attack: a requester's ``server.json`` names a package or remote other than the identity the
reviewers judged. ``POST /api/entries`` stored its ``server_json`` as sent, and an import took
the identity from the document's first package only; once the entry was approved, ``/v0`` (what
VS Code and other clients install from) and ``/api/entries/ID/server.json`` published the
document's own ``packages`` and ``remotes``: a backdoored package, a second package or remote
next to the judged one, or the judged name fetched from another package registry
(``registryBaseUrl``). Reviewers saw ``@acme/files@1.0.0``; clients installed what the requester
chose. Now an entry publishes only the package or remote of its identity, at the identity's
version and hash, from the ecosystem's own registry."""

from __future__ import annotations

from typing import Any

import httpx

from mcpward.registry import Registry, Role

_BACKDOOR = {
    "registryType": "npm",
    "identifier": "@mallory/backdoor",
    "version": "6.6.6",
    "transport": {"type": "stdio"},
}
_FILES = {
    "registryType": "npm",
    "identifier": "@acme/files",
    "version": "1.0.0",
    "transport": {"type": "stdio"},
    "environmentVariables": [{"name": "LOG_LEVEL", "default": "debug"}],
}
_ELSEWHERE = "https://packages.mallory.example"
_REMOTE = {"type": "streamable-http", "url": "https://mcp.mallory.example/mcp"}


def _document(**fields: Any) -> dict[str, Any]:
    return {"name": "io.github.acme/files", "version": "1.0.0", "description": "Files.", **fields}


def _published(registry: Registry, live_server: str, entry_id: int) -> list[dict[str, Any]]:
    """The entry's server.json as /v0 and the API publish it, once a reviewer approved it."""
    registry.approve(entry_id, "bob", "read @acme/files 1.0.0", override=True)
    viewer = {"Authorization": f"Bearer {registry.create_token('client', Role.VIEWER, 'setup')}"}
    listed = httpx.get(f"{live_server}/v0/servers", headers=viewer, timeout=30)
    exported = httpx.get(f"{live_server}/api/entries/{entry_id}/server.json", headers=viewer, timeout=30)
    assert listed.status_code == exported.status_code == 200
    return [listed.json()["servers"][0]["server"], exported.json()]


def _what_installs(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    packages = [
        (p["registryType"], p["identifier"], p.get("version"), p.get("registryBaseUrl"))
        for p in document.get("packages", [])
    ]
    return packages + [("remote", r["url"]) for r in document.get("remotes", [])]


def test_an_entry_publishes_only_the_package_reviewers_judged(registry: Registry, live_server: str) -> None:
    requester = {"Authorization": f"Bearer {registry.create_token('mallory', Role.REQUESTER, 'setup')}"}
    body = {
        "name": "io.github.acme/files",
        "identity": {"kind": "package", "ecosystem": "npm", "name": "@acme/files", "version": "1.0.0"},
        "owner": "team-platform",
        "server_json": _document(packages=[_BACKDOOR], remotes=[_REMOTE]),
    }
    created = httpx.post(f"{live_server}/api/entries", json=body, headers=requester, timeout=30)
    assert created.status_code == 201, created.text
    for document in _published(registry, live_server, created.json()["id"]):
        assert _what_installs(document) == [("npm", "@acme/files", "1.0.0", None)]


def test_an_import_publishes_neither_a_second_package_nor_a_remote(
    registry: Registry, live_server: str
) -> None:
    requester = {"Authorization": f"Bearer {registry.create_token('mallory', Role.REQUESTER, 'setup')}"}
    document = _document(packages=[_FILES, _BACKDOOR], remotes=[_REMOTE])
    imported = httpx.post(
        f"{live_server}/api/import?owner=team-platform", json=document, headers=requester, timeout=30
    )
    assert imported.status_code == 201, imported.text
    (entry,) = imported.json()
    assert entry["identity"]["name"] == "@acme/files"
    for published in _published(registry, live_server, entry["id"]):
        assert _what_installs(published) == [("npm", "@acme/files", "1.0.0", None)]
        # what the judged package needs to run stays
        (variable,) = published["packages"][0]["environmentVariables"]
        assert (variable["name"], variable["default"]) == ("LOG_LEVEL", "debug")


def test_the_judged_name_is_not_published_from_another_package_registry(
    registry: Registry, live_server: str
) -> None:
    requester = {"Authorization": f"Bearer {registry.create_token('mallory', Role.REQUESTER, 'setup')}"}
    document = _document(packages=[{**_FILES, "registryBaseUrl": _ELSEWHERE}])
    imported = httpx.post(
        f"{live_server}/api/import?owner=team-platform", json=document, headers=requester, timeout=30
    )
    assert imported.status_code == 201, imported.text
    for published in _published(registry, live_server, imported.json()[0]["id"]):
        assert _what_installs(published) == [("npm", "@acme/files", "1.0.0", None)]


def test_a_remote_entry_publishes_only_its_own_endpoint(registry: Registry, live_server: str) -> None:
    requester = {"Authorization": f"Bearer {registry.create_token('mallory', Role.REQUESTER, 'setup')}"}
    body = {
        "name": "io.github.acme/files",
        "identity": {"kind": "remote", "url": "https://mcp.acme.example/mcp", "version": "1.0.0"},
        "owner": "team-platform",
        "server_json": _document(remotes=[_REMOTE], packages=[_BACKDOOR]),
    }
    created = httpx.post(f"{live_server}/api/entries", json=body, headers=requester, timeout=30)
    assert created.status_code == 201, created.text
    for document in _published(registry, live_server, created.json()["id"]):
        assert _what_installs(document) == [("remote", "https://mcp.acme.example/mcp")]


def test_the_published_repository_is_the_one_reviewers_saw(registry: Registry, live_server: str) -> None:
    """The entry page shows the request's ``repository`` ("verified by provenance" when vet
    checked it); /v0 published the server.json's own, which the requester set to another."""
    requester = {"Authorization": f"Bearer {registry.create_token('mallory', Role.REQUESTER, 'setup')}"}
    body = {
        "name": "io.github.acme/files",
        "identity": {"kind": "package", "ecosystem": "npm", "name": "@acme/files", "version": "1.0.0"},
        "owner": "team-platform",
        "repository": "https://github.com/acme/files",
        "server_json": _document(repository={"url": "https://github.com/mallory/files", "source": "github"}),
    }
    created = httpx.post(f"{live_server}/api/entries", json=body, headers=requester, timeout=30)
    assert created.status_code == 201, created.text
    for document in _published(registry, live_server, created.json()["id"]):
        assert document["repository"]["url"] == "https://github.com/acme/files"


def test_a_server_json_of_the_wrong_shape_publishes_the_identity(
    registry: Registry, live_server: str
) -> None:
    """A server.json sent over ``POST /api/entries`` is stored as sent: "packages" and "remotes"
    that are not lists publish the identity, and a "_meta" that is not an object is replaced by
    ours: before, such a "_meta" made every /v0 page carrying the approved entry a 500."""
    requester = {"Authorization": f"Bearer {registry.create_token('mallory', Role.REQUESTER, 'setup')}"}
    body = {
        "name": "io.github.acme/files",
        "identity": {"kind": "package", "ecosystem": "npm", "name": "@acme/files", "version": "1.0.0"},
        "owner": "team-platform",
        "server_json": _document(
            packages=5, remotes={"url": "https://mcp.mallory.example/mcp"}, _meta=[1, 2]
        ),
    }
    created = httpx.post(f"{live_server}/api/entries", json=body, headers=requester, timeout=30)
    assert created.status_code == 201, created.text
    for document in _published(registry, live_server, created.json()["id"]):
        assert _what_installs(document) == [("npm", "@acme/files", "1.0.0", None)]
