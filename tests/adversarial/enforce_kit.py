"""What the enforce attacks start from: an approved entry as the registry's API gives it, and
the policy of one allowed server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcpward.enforce import Decision, Policy, PolicyServer
from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome


def approved_entry(
    entry_id: int, name: str, package: str, *, ecosystem: str = "npm", version: str = "1.0.0"
) -> dict[str, Any]:
    """Entry ``entry_id`` named ``name``, approved for ``package`` at ``version``, tier 2, due
    for review in 2099, as the registry's API answers it."""
    return {
        "id": entry_id,
        "name": name,
        "identity": {"kind": "package", "ecosystem": ecosystem, "name": package, "version": version},
        "scope": {},
        "owner": "team",
        "tier": 2,
        "derived_tier": 2,
        "status": "approved",
        "revision": 2,
        "requested_by": "alice",
        "requested_at": "2026-12-01T00:00:00Z",
        "updated_at": "2026-12-01T00:00:00Z",
        "review_due": "2099-01-01",
    }


def one_server_policy() -> Policy:
    """The policy that allows ``io.github.acme/files`` alone, run by npx at its pinned version."""
    server = PolicyServer(
        name="io.github.acme/files",
        key="io-github-acme-files",
        decision=Decision.ALLOW,
        command=("npx", "-y", "@acme/files@1.0.0"),
        direct_command=("npx", "-y", "@acme/files@1.0.0"),
    )
    return Policy(servers=(server,))


def registry_with_a_remote(tmp_path: Path) -> str:
    """The URL of a registry database holding one approved remote server (on probation)."""
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:
        remote = Identity(kind="remote", url="https://mcp.example.com/mcp")
        request = EntryRequest(name="io.github.acme/search", identity=remote, owner="team",
                               scope=DataScope(), vet=VetOutcome(verdict="pass"))  # fmt: skip
        entry = registry.request(request, "alice")
        registry.approve(entry.id, "bob", "reviewed", override=True)
    finally:
        registry.database.dispose()
    return database
