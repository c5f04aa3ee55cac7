"""Attack: someone who can write the registry database (not the registry host's files) rewrites
history. Before, deleting the newest events, recomputing the whole chain, or emptying it all
verified as intact, and direct edits of entries, reviews and tokens (approving an entry, raising
a token's role) were not looked at. The chain is now signed with a key kept outside the database,
its head is mirrored outside it, and entries, reviews and tokens are bound to it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from mcpward.registry import Registry, RegistryError, Role
from mcpward.registry._audit_trail import _event_hash, _utc
from test_registry import package_request


def _history(registry: Registry) -> dict[str, Any]:
    first = registry.request(package_request(name="a"), "alice")
    registry.approve(first.id, "bob", "read the code")
    second = registry.request(package_request(name="b"), "alice")
    registry.create_token("carol", Role.VIEWER, "admin")
    registry.create_token("dave", Role.REQUESTER, "admin")
    registry.revoke_tokens("dave", "admin")
    assert registry.verify_audit() is None
    return {"approved": first.id, "requested": second.id}


def _around_the_triggers(registry: Registry, edit: Callable[[Connection], None]) -> None:
    with registry.database.write_engine.begin() as connection:
        if registry.database.dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        edit(connection)


def _recompute_chain(connection: Connection, *, alter: Callable[[dict[str, Any]], None]) -> None:
    """What an attacker with the source and the database does: rewrite events and recompute
    every hash from the first one on (the key is not theirs, so the MACs stay stale or empty)."""
    rows = [dict(r) for r in connection.execute(text("SELECT * FROM audit_events ORDER BY seq")).mappings()]
    connection.execute(text("DELETE FROM audit_events"))
    previous = "0" * 64
    for row in rows:
        row["detail"] = _json(row["detail"])
        alter(row)
        at = row["at"] if isinstance(row["at"], datetime) else datetime.fromisoformat(str(row["at"]))
        state = row["state"] = _json(row.get("state"))
        extra = () if state is None else (state,)
        row["hash"] = _event_hash(
            previous, _utc(at), row["actor"], row["action"], row["entry_id"], row["detail"], *extra
        )
        row["prev_hash"] = previous
        previous = row["hash"]
        columns = ", ".join(row)
        values = {key: json.dumps(value) if key in ("detail", "state") and value is not None else value
                  for key, value in row.items()}  # fmt: skip
        connection.execute(
            text(f"INSERT INTO audit_events ({columns}) VALUES ({', '.join(':' + k for k in row)})"),  # noqa: S608
            values,
        )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _rationale(row: dict[str, Any]) -> None:
    if row["action"] == "approve":
        row["detail"] = row["detail"] | {"rationale": "never reviewed"}


TAMPERING: dict[str, Callable[[Registry, dict[str, Any]], None]] = {
    "delete the newest events": lambda r, ids: _around_the_triggers(
        r,
        lambda c: c.execute(
            text("DELETE FROM audit_events WHERE seq > (SELECT MAX(seq) - 2 FROM audit_events)")
        ),
    ),
    "empty the trail": lambda r, ids: _around_the_triggers(
        r, lambda c: c.execute(text("DELETE FROM audit_events"))
    ),
    "recompute the chain": lambda r, ids: _around_the_triggers(
        r, lambda c: _recompute_chain(c, alter=_rationale)
    ),
    "recompute the chain unsigned": lambda r, ids: _around_the_triggers(
        r, lambda c: _recompute_chain(c, alter=lambda row: (_rationale(row), row.update(mac=None)))
    ),
    "approve an entry in the table": lambda r, ids: _around_the_triggers(
        r,
        lambda c: c.execute(
            text("UPDATE entries SET status = 'approved', review_due = :due WHERE id = :id"),
            {"due": datetime.now(UTC).date().replace(year=2099), "id": ids["requested"]},
        ),
    ),
    "delete a review": lambda r, ids: _around_the_triggers(
        r, lambda c: c.execute(text("DELETE FROM reviews"))
    ),
    "add a review": lambda r, ids: _around_the_triggers(
        r,
        lambda c: c.execute(
            text(
                "INSERT INTO reviews (entry_id, reviewer, decision, rationale, override, revision, at) "
                "VALUES (:id, 'bob', 'approve', 'ok', false, 1, :at)"
            ),
            {"id": ids["requested"], "at": datetime.now(UTC)},
        ),
    ),
    "raise a token's role": lambda r, ids: _around_the_triggers(
        r, lambda c: c.execute(text("UPDATE api_tokens SET role = 'admin' WHERE name = 'carol'"))
    ),
    "bring back a revoked token": lambda r, ids: _around_the_triggers(
        r, lambda c: c.execute(text("UPDATE api_tokens SET revoked_at = NULL WHERE name = 'dave'"))
    ),
    "add a token": lambda r, ids: _around_the_triggers(
        r,
        lambda c: c.execute(
            text(
                "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ('mallory', 'admin', :h, :at)"
            ),
            {"h": hashlib.sha256(b"mcpw_mallory").hexdigest(), "at": datetime.now(UTC)},
        ),
    ),
}


@pytest.mark.parametrize("tampering", sorted(TAMPERING))
def test_tampering_with_the_database_is_detected(registry: Registry, tampering: str, cli: Any) -> None:
    ids = _history(registry)
    TAMPERING[tampering](registry, ids)
    problem = registry.verify_audit()
    assert problem is not None, tampering
    result = cli("registry", "audit", "--verify", "--database", _url(registry))
    assert result.exit_code == 1 and "audit trail broken" in result.stderr, (result.stdout, result.stderr)


def test_an_intact_registry_verifies_and_the_key_stays_outside_the_database(
    registry: Registry, cli: Any
) -> None:
    _history(registry)
    assert registry.verify_audit() is None
    assert registry.anchor.key_file.stat().st_mode & 0o077 == 0
    key = registry.anchor.key_file.read_text().strip()
    with registry.database.read_engine.connect() as connection:
        dumped = " ".join(str(row) for table in ("audit_events", "entries", "api_tokens")
                          for row in connection.execute(text(f"SELECT * FROM {table}")))  # noqa: S608  # fmt: skip
    assert key not in dumped
    assert cli("registry", "audit", "--verify", "--database", _url(registry)).exit_code == 0


def _url(registry: Registry) -> str:
    return registry.database.write_engine.url.render_as_string(hide_password=False)


def test_a_trail_from_before_anchoring_is_anchored_by_the_next_change(
    registry: Registry, tmp_path: Any
) -> None:
    ids = _history(registry)
    # The trail as the previous version wrote it: no MACs, no row digests.
    _around_the_triggers(
        registry, lambda c: _recompute_chain(c, alter=lambda row: row.update(mac=None, state=None))
    )
    upgraded = Registry(registry.database, key_file=tmp_path / "fresh" / "registry-audit.key")
    assert upgraded.verify_audit() is None
    upgraded.request(package_request(name="c"), "alice")
    assert [event.action for event in upgraded.audit(limit=2)] == ["request", "anchor"]
    assert upgraded.verify_audit() is None
    _around_the_triggers(
        upgraded,
        lambda c: c.execute(
            text("UPDATE entries SET status = 'approved' WHERE id = :id"), {"id": ids["requested"]}
        ),
    )
    anchor = upgraded.audit(limit=2)[1].seq
    problem = (
        f"entry {ids['requested']} was changed outside mcpward: it is not as audit event {anchor} recorded it"
    )
    assert upgraded.verify_audit() == problem


def test_without_its_key_the_registry_refuses_to_extend_the_trail(registry: Registry, cli: Any) -> None:
    _history(registry)
    registry.anchor.key_file.unlink()
    fresh = Registry(registry.database, key_file=registry.anchor.key_file)  # no key cached
    assert "audit key" in str(fresh.verify_audit())
    result = cli("registry", "token", "create", "mallory", "--role", "admin", "--database", _url(registry))
    assert result.exit_code == 2 and "audit key" in result.stderr and "Traceback" not in result.stderr
    assert not registry.anchor.key_file.exists() and [t[0] for t in fresh.tokens()].count("mallory") == 0


def test_a_host_with_another_key_cannot_sign_on(registry: Registry, tmp_path: Any) -> None:
    """A host pointed at a shared database with its own (other) key would fork the trail into
    two keys that nobody can verify whole: it is refused before anything is written."""
    _history(registry)
    other = Registry(registry.database, key_file=tmp_path / "other" / "registry-audit.key")
    other.anchor.key(create=True)
    before = registry.audit(limit=1)[0].seq
    with pytest.raises(RegistryError, match="not the key this database's trail is signed with"):
        other.create_token("eve", Role.ADMIN, "eve")
    assert registry.audit(limit=1)[0].seq == before and registry.verify_audit() is None
