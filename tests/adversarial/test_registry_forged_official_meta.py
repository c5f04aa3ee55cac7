"""Attack: the official registry's read API carries what the registry itself says of a server
(its status, whether it is the latest version, when it was published) in the answer's
``_meta["io.modelcontextprotocol.registry/official"]``; a publisher's own metadata goes in the
server document's ``_meta`` under ``io.modelcontextprotocol.registry/publisher-provided``. A
requester's ``server_json`` may carry a ``_meta`` of its own, and mcpward published it as sent:
an entry's document said, in the registry's own namespace, ``"status": "active"``,
``"isLatest": true`` and a publication date of the requester's choosing, where a client reading
the document's copy (a revoked or superseded entry listed with ``include_deleted``) saw the
forged status, until 2026-12-05. Now the registry's namespace in a published document holds
only the publisher's metadata; the registry's own is in the answer's ``_meta``."""

from __future__ import annotations

from typing import Any

import httpx

from mcpward.registry import Registry, Role

_OFFICIAL = "io.modelcontextprotocol.registry/official"
_PUBLISHER = "io.modelcontextprotocol.registry/publisher-provided"


def test_a_requesters_document_cannot_speak_in_the_registrys_namespace(
    registry: Registry, live_server: str
) -> None:
    requester = {"Authorization": f"Bearer {registry.create_token('mallory', Role.REQUESTER, 'setup')}"}
    document: dict[str, Any] = {
        "name": "io.github.acme/files",
        "version": "1.0.0",
        "description": "Files.",
        "packages": [
            {
                "registryType": "npm",
                "identifier": "@acme/files",
                "version": "1.0.0",
                "transport": {"type": "stdio"},
            }
        ],
        "_meta": {
            _OFFICIAL: {"status": "active", "isLatest": True, "publishedAt": "2020-01-01T00:00:00Z"},
            "io.modelcontextprotocol.registry/verified": {"publisher": "Acme Inc."},
            _PUBLISHER: {"tool": "acme-publisher", "build": "42"},
            "com.acme/notes": {"team": "files"},
        },
    }
    imported = httpx.post(
        f"{live_server}/api/import?owner=team-platform", json=document, headers=requester, timeout=30
    )
    assert imported.status_code == 201, imported.text
    entry_id = imported.json()[0]["id"]
    registry.approve(entry_id, "bob", "read @acme/files 1.0.0", override=True)
    registry.revoke(entry_id, "bob", "withdrawn")
    viewer = {"Authorization": f"Bearer {registry.create_token('client', Role.VIEWER, 'setup')}"}
    listed = httpx.get(f"{live_server}/v0.1/servers?include_deleted=true", headers=viewer, timeout=30)
    exported = httpx.get(f"{live_server}/api/entries/{entry_id}/server.json", headers=viewer, timeout=30)
    assert listed.status_code == exported.status_code == 200
    item = listed.json()["servers"][0]
    assert item["_meta"][_OFFICIAL]["status"] == "deleted"  # the registry's own word
    for published in (item["server"], exported.json()):
        meta = published["_meta"]
        assert _OFFICIAL not in meta and "io.modelcontextprotocol.registry/verified" not in meta, meta
        # What is the publisher's own is kept.
        assert meta[_PUBLISHER] == {"tool": "acme-publisher", "build": "42"}
        assert meta["com.acme/notes"] == {"team": "files"}
