"""Attack: a remote server's URL with a user name before its host,
``https://mcp.acme.example@evil.example/mcp``. The registry took it as a remote identity: the
queue and the entry page showed it, and it read as the trusted host (what is before ``@`` is
only a user name), while the derived network scope said ``mcp.acme.example@evil.example`` and,
once approved, clients told by ``/v0`` connected to ``evil.example``, until 2026-12-05. Now a
request or an import whose remote URL names a user (or a password) is refused as bad input:
no MCP remote is reached that way, and a credential never belongs in a URL the registry
publishes."""

from __future__ import annotations

import httpx

from mcpward.registry import Registry, Role

DISGUISED = "https://mcp.acme.example@evil.example/mcp"


def test_a_remote_url_naming_a_user_is_refused(registry: Registry, live_server: str) -> None:
    requester = {"Authorization": f"Bearer {registry.create_token('mallory', Role.REQUESTER, 'setup')}"}
    body = {
        "name": "io.github.acme/files",
        "identity": {"kind": "remote", "url": DISGUISED, "version": "1.0.0"},
        "owner": "team-platform",
    }
    created = httpx.post(f"{live_server}/api/entries", json=body, headers=requester, timeout=30)
    assert created.status_code == 422, created.text
    document = {
        "name": "io.github.acme/files",
        "version": "1.0.0",
        "description": "Files.",
        "remotes": [{"type": "streamable-http", "url": DISGUISED}],
    }
    imported = httpx.post(
        f"{live_server}/api/import?owner=team-platform", json=document, headers=requester, timeout=30
    )
    assert imported.status_code in (400, 422), imported.text
    assert registry.entries() == []


def test_a_plain_remote_url_is_taken(registry: Registry, live_server: str) -> None:
    requester = {"Authorization": f"Bearer {registry.create_token('alice', Role.REQUESTER, 'setup')}"}
    body = {
        "name": "io.github.acme/files",
        "identity": {"kind": "remote", "url": "https://mcp.acme.example/mcp?team=a@b", "version": "1.0.0"},
        "owner": "team-platform",
    }
    created = httpx.post(f"{live_server}/api/entries", json=body, headers=requester, timeout=30)
    assert created.status_code == 201, created.text
