"""Variants of the second review's attacks on the registry that its tests do not perform: a token
planted in the database and kept, a real token's role raised for one decision and set back, an
integrity that is not a hash, and a review's time respelt in SQLite."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from mcpward.registry import Registry, Role
from test_registry import package_request


def _approve_over_the_api(live_server: str, entry_id: int, token: str) -> httpx.Response:
    return httpx.post(
        f"{live_server}/api/entries/{entry_id}/approve",
        json={"rationale": "looks fine", "override": True},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_a_planted_token_kept_after_use_is_noticed(registry: Registry, live_server: str) -> None:
    """Recording the acting token in the event must not make a planted token look recorded."""
    requested = registry.request(package_request(name="kept"), "alice")
    planted = "mcpw_planted-and-kept"
    with registry.database.write_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ('bob', 'admin', :h, :at)"
            ),
            {"h": hashlib.sha256(planted.encode()).hexdigest(), "at": datetime.now(UTC)},
        )
    assert _approve_over_the_api(live_server, requested.id, planted).status_code == 200
    problem = registry.verify_audit()
    assert problem is not None and "token" in problem


def test_a_role_raised_for_one_decision_and_set_back_is_noticed(registry: Registry, live_server: str) -> None:
    token = registry.create_token("bob", Role.REVIEWER, "setup")
    requested = registry.request(package_request(name="raised"), "alice")
    assert registry.verify_audit() is None

    def set_role(role: str) -> None:
        with registry.database.write_engine.begin() as connection:
            connection.execute(text("UPDATE api_tokens SET role = :role WHERE name = 'bob'"), {"role": role})

    set_role("admin")
    assert _approve_over_the_api(live_server, requested.id, token).status_code == 200
    set_role("reviewer")
    problem = registry.verify_audit()
    assert problem is not None and "token" in problem


def test_a_legitimate_token_used_over_the_api_verifies(registry: Registry, live_server: str) -> None:
    """Both sides: decisions made with real tokens, one revoked afterwards, still verify."""
    token = registry.create_token("bob", Role.ADMIN, "setup")
    requested = registry.request(package_request(name="honest"), "alice")
    assert _approve_over_the_api(live_server, requested.id, token).status_code == 200
    registry.revoke_tokens("bob", "setup")
    assert registry.verify_audit() is None


@pytest.mark.parametrize(
    ("integrity", "accepted"),
    [
        ("sha512-" + "A" * 86 + "==", True),
        ("sha256:" + "ab" * 32, True),
        ("sha1:" + "0f" * 20, True),
        ("sha512-" + "A" * 20, False),  # too short for sha512
        ("sha256:" + "zz" * 32, False),
        ("md5-" + "A" * 22 + "==", False),
        ("built on friday", False),
    ],
)
def test_an_integrity_is_a_hash_of_its_algorithms_length(
    registry: Registry, live_server: str, integrity: str, accepted: bool
) -> None:
    requester = registry.create_token("mallory", Role.REQUESTER, "setup")
    body: dict[str, Any] = {
        "name": "io.github.acme/integrity",
        "identity": {"kind": "package", "ecosystem": "npm", "name": "@acme/i", "version": "1.0.0"},
        "owner": "team-platform",
    }
    body["identity"]["integrity"] = integrity
    created = httpx.post(
        f"{live_server}/api/entries", json=body, headers={"Authorization": f"Bearer {requester}"}, timeout=30
    )
    assert created.status_code == (201 if accepted else 422), created.text[:300]
    assert integrity not in created.text or accepted


def test_a_review_time_respelt_in_sqlite_is_noticed(sqlite_registry: Registry) -> None:
    """A review's time written in another spelling SQLAlchemy still reads (a "T" for the space)."""
    registry = sqlite_registry
    entry = registry.request(package_request(name="respelt"), "alice")
    registry.approve(entry.id, "bob", "ok")
    assert registry.verify_audit() is None
    with registry.database.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE reviews SET at = replace(at, ' ', 'T') WHERE entry_id = :id"), {"id": entry.id}
        )
    assert registry.get(entry.id).reviews  # still read as the same time
    assert registry.verify_audit() is not None
