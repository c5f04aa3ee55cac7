"""An approval on probation, as the read API (``/v0.1``) publishes it.

Attack: a client that reads this registry as its gallery (VS Code's ``chat.mcp.gallery.
serviceUrl``) and any tool that reads what an entry publishes (``/v0.1``, ``/api/entries/ID/
server.json``, ``registry export``) was told ``"status": "approved"`` and nothing more for a
server whose approval is still in its read-only period, so it was installed and used as fully
approved, every tool, until 2026-12-05. Now the registry's ``_meta`` says the probation (until
when, and which tools are confirmed read-only) until write is granted.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome
from mcpward.registry.web import create_app

OURS = "io.mcpward/registry"


def test_a_server_on_probation_is_published_as_on_probation(registry: Registry) -> None:
    request = EntryRequest(name="io.github.acme/files", owner="team", scope=DataScope(),
                           identity=Identity(kind="remote", url="https://mcp.acme.example/mcp"),
                           vet=VetOutcome(verdict="pass"))  # fmt: skip
    entry = registry.approve(registry.request(request, "alice").id, "bob", "reviewed", read_only_tools=[])
    assert entry.on_probation
    client = TestClient(create_app(registry))
    published = client.get("/v0.1/servers").json()["servers"][0]["server"]["_meta"][OURS]
    assert published["probation"] == {"until": str(entry.probation_until), "readOnlyTools": []}  # was absent
    registry.grant_write(entry.id, "carol", "a quiet week")
    published = client.get("/v0.1/servers").json()["servers"][0]["server"]["_meta"][OURS]
    assert "probation" not in published
