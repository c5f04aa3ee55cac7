"""Independent attacks on the hardened registry, vet and DLP (review of issue 19).

Each test performs an attack that succeeded against the code as reviewed and asserts the
secure behaviour, so it fails until the defect is fixed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from mcpward.registry import Registry, Role, Status
from test_registry import package_request

# -- someone who can write the database, not the key file -----------------------------------


def test_a_token_planted_used_and_removed_in_the_database_is_noticed(
    registry: Registry, live_server: str
) -> None:
    """A DBA inserts an admin token row named like a real reviewer, approves an entry through
    the API with it (the registry signs that event itself, with its key), then deletes the row.
    No event ever recorded the token, so ``verify`` neither sees it added nor deleted, and the
    trail says the real "bob" approved. The same works for raising a token's role for a moment
    and setting it back. Every change a token makes should bind that token's row to the chain
    (its digest in the event's state), so that a token that is not as recorded, or gone, is seen."""
    registry.create_token("bob", Role.REVIEWER, "setup")
    requested = registry.request(package_request(name="shell"), "alice")
    assert registry.verify_audit() is None

    planted = "mcpw_planted-by-the-dba"
    with registry.database.write_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_tokens (name, role, token_hash, created_at) "
                "VALUES ('bob', 'admin', :hash, :at)"
            ),
            {"hash": hashlib.sha256(planted.encode()).hexdigest(), "at": datetime.now(UTC)},
        )
    approved = httpx.post(
        f"{live_server}/api/entries/{requested.id}/approve",
        json={"rationale": "looks fine", "override": True},
        headers={"Authorization": f"Bearer {planted}"},
        timeout=30,
    )
    assert approved.status_code == 200, approved.text
    with registry.database.write_engine.begin() as connection:
        connection.execute(text("DELETE FROM api_tokens WHERE token_hash = :hash"),
                           {"hash": hashlib.sha256(planted.encode()).hexdigest()})  # fmt: skip
    assert registry.get(requested.id).status == Status.APPROVED
    assert registry.verify_audit() is not None, "an approval made with a token planted in the database"
