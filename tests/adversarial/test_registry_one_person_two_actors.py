"""One person acting as two registry actors, to approve their own request or to give both of the
two approvals a Tier-0 entry needs.

Separation of duties compared actor names as stored: an API token's name (``alice``), the
``sso:`` row of a sign-in (``sso:alice@example.com``) and the CLI's ``--as`` text. So, before:
a person with a requester token and an SSO login requested with the one and approved with the
other; a reviewer approved a Tier-0 entry with their token and again with their SSO login (or
signed in once as ``Bob@Example.com`` and once as ``bob@example.com``); a token named ``Alice``,
`` alice ``, a full-width ``alice`` or ``alice`` with a zero-width space was another person
than ``alice``; ``--as ALICE`` on the CLI approved what the token ``alice`` requested; an admin
minted a token under a new name, requested with it and approved with their own (or the other
way round); the requester granted write to their own entry from their SSO login; and an admin
made a token named ``sso:alice@example.com``, the name of alice's SSO row, which her sign-in then
used as her own (its token held by the admin). Each of these is refused now: every actor has a
canonical person (tokens are bound to one when created), and actors are compared by person and
by who minted the token they acted with.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mcpward.registry import Registry, RegistryError, Role, Status
from mcpward.registry.web import create_app
from mcpward.registry.web._auth import SESSION_COOKIE

REMOTE = {
    "name": "com.example/files",
    "identity": {"kind": "remote", "url": "https://mcp.example.com/mcp"},
    "owner": "team-platform",
}


def _client(registry: Registry) -> TestClient:
    return TestClient(create_app(registry, max_body=256 * 1024))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _request(client: TestClient, token: str, **changes: Any) -> int:
    answer = client.post("/api/entries", json=REMOTE | changes, headers=_bearer(token))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _api_decision(client: TestClient, token: str, entry_id: int, decision: str = "approve") -> int:
    answer = client.post(
        f"/api/entries/{entry_id}/{decision}", json={"rationale": "read it"}, headers=_bearer(token)
    )
    return answer.status_code


def _page_decision(
    client: TestClient, registry: Registry, person: str, entry_id: int, decision: str = "approve"
) -> int:
    """The decision made on the entry page by ``person``, signed in through the identity provider."""
    session_id, csrf = registry.open_sso_session(person, Role.REVIEWER)
    client.cookies.set(SESSION_COOKIE, session_id)
    try:
        answer = client.post(
            f"/entries/{entry_id}/decide",
            data={
                "decision": decision,
                "rationale": "read it",
                "revision": str(registry.get(entry_id).revision),
                "csrf": csrf,
            },
            follow_redirects=False,
        )
    finally:
        client.cookies.clear()
    return answer.status_code


def test_a_requester_token_and_the_same_persons_sso_login(registry: Registry) -> None:
    client = _client(registry)
    alice = registry.create_token("alice", Role.REQUESTER, "setup")
    entry_id = _request(client, alice)
    assert _page_decision(client, registry, "alice@example.com", entry_id) == 422
    assert registry.get(entry_id).status is Status.REQUESTED


def test_two_approvals_of_tier_0_by_one_reviewers_token_and_sso_login(registry: Registry) -> None:
    client = _client(registry)
    mallory = registry.create_token("mallory", Role.REQUESTER, "setup")
    bob = registry.create_token("bob", Role.REVIEWER, "setup")
    entry_id = _request(client, mallory, tier=0)
    assert _api_decision(client, bob, entry_id) == 200
    assert _page_decision(client, registry, "bob@example.com", entry_id) == 422
    entry = registry.get(entry_id)
    assert (entry.status, entry.approvals) == (Status.REQUESTED, 1)


def test_a_reviewers_sso_email_in_another_case_is_the_same_reviewer(registry: Registry) -> None:
    client = _client(registry)
    mallory = registry.create_token("mallory", Role.REQUESTER, "setup")
    entry_id = _request(client, mallory, tier=0)
    assert _page_decision(client, registry, "Bob@Example.com", entry_id) == 303
    assert _page_decision(client, registry, "bob@example.com", entry_id) == 422
    assert registry.get(entry_id).status is Status.REQUESTED


@pytest.mark.parametrize(
    "other",
    ["Alice", " alice ", "ａｌｉｃｅ", "alice\u200b", "ALICE@example.com", "alice@Example.COM"],
)
def test_a_token_name_spelled_otherwise_is_the_same_person(registry: Registry, other: str) -> None:
    client = _client(registry)
    alice = registry.create_token("alice@example.com", Role.REQUESTER, "setup")
    again = registry.create_token(other, Role.REVIEWER, "setup")
    entry_id = _request(client, alice)
    assert _api_decision(client, again, entry_id) == 422
    assert registry.get(entry_id).status is Status.REQUESTED


def test_a_token_named_as_an_sso_row_is_refused(registry: Registry) -> None:
    """Its holder's changes were recorded as the SSO person's, and the person's sign-in took the
    row (whose token the admin who made it holds) as their own."""
    client = _client(registry)
    with pytest.raises(RegistryError, match="sso:"):
        registry.create_token("sso:alice@example.com", Role.REVIEWER, "setup")
    admin = registry.create_token("admin", Role.ADMIN, "setup")
    for name in ("sso:alice@example.com", "SSO:alice@example.com", " sso:alice@example.com"):
        made = client.post("/api/tokens", json={"name": name, "role": "reviewer"}, headers=_bearer(admin))
        assert made.status_code == 422, name
    assert [name for name, *_ in registry.tokens()] == ["admin"]


def test_the_cli_as_and_the_api_token_are_the_same_person(registry: Registry, cli: Any) -> None:
    client = _client(registry)
    alice = registry.create_token("alice", Role.REQUESTER, "setup")
    entry_id = _request(client, alice)
    url = registry.database.write_engine.url.render_as_string(hide_password=False)
    refused = cli("registry", "approve", str(entry_id), "-m", "read it", "--as", "ALICE", "--database", url)
    assert refused.exit_code == 1 and "requester" in refused.stderr
    assert registry.get(entry_id).status is Status.REQUESTED


@pytest.mark.parametrize("requests_with_the_minted_token", [True, False])
def test_an_admin_minting_a_token_under_a_new_name(
    registry: Registry, requests_with_the_minted_token: bool
) -> None:
    """An admin who makes a token has seen it: what it does counts as theirs too."""
    client = _client(registry)
    alice = registry.create_token("alice", Role.ADMIN, "setup")
    made = client.post("/api/tokens", json={"name": "helper", "role": "admin"}, headers=_bearer(alice))
    assert made.status_code == 201
    helper = made.json()["token"]
    requester, approver = (helper, alice) if requests_with_the_minted_token else (alice, helper)
    entry_id = _request(client, requester)
    assert _api_decision(client, approver, entry_id) == 422
    assert _page_decision(client, registry, "alice@example.com", entry_id) == 422
    assert registry.get(entry_id).status is Status.REQUESTED


def test_a_token_bound_to_its_holder_is_that_person(registry: Registry) -> None:
    """A token whose name is not its holder's sign-in name is bound to the person when made."""
    client = _client(registry)
    admin = registry.create_token("admin", Role.ADMIN, "setup")
    made = client.post(
        "/api/tokens",
        json={"name": "build-laptop", "role": "requester", "person": "Alice.Smith@example.com"},
        headers=_bearer(admin),
    )
    assert made.status_code == 201 and made.json()["person"] == "alice.smith@example.com"
    entry_id = _request(client, made.json()["token"])
    assert _page_decision(client, registry, "alice.smith@example.com", entry_id) == 422
    assert _page_decision(client, registry, "carol@example.com", entry_id) == 303
    assert registry.get(entry_id).status is Status.APPROVED


def test_the_requester_cannot_grant_write_from_their_sso_login(registry: Registry) -> None:
    client = _client(registry)
    alice = registry.create_token("alice", Role.REQUESTER, "setup")
    carol = registry.create_token("carol", Role.REVIEWER, "setup")
    pins = {"tool:read": _pin("read")}
    entry_id = _request(client, alice, pins=pins)
    assert _api_decision(client, carol, entry_id) == 200
    assert registry.get(entry_id).probation_until is not None
    assert _page_decision(client, registry, "alice@example.com", entry_id, "grant") == 422
    assert registry.get(entry_id).write_granted_by is None


def test_distinct_people_still_approve(registry: Registry) -> None:
    """The tokens every test makes come from one admin: minting two tokens does not make their
    holders one person."""
    client = _client(registry)
    admin = registry.create_token("admin", Role.ADMIN, "setup")
    tokens = {}
    for name, role in (("mallory", "requester"), ("bob", "reviewer"), ("carol", "reviewer")):
        made = client.post("/api/tokens", json={"name": name, "role": role}, headers=_bearer(admin))
        tokens[name] = made.json()["token"]
    entry_id = _request(client, tokens["mallory"], tier=0)
    assert _api_decision(client, tokens["bob"], entry_id) == 200
    assert _api_decision(client, tokens["carol"], entry_id) == 200
    assert registry.get(entry_id).status is Status.APPROVED


def _pin(name: str) -> dict[str, str]:
    canonical = '{"description":"Reads a file.","name":"' + name + '"}'
    return {"sha256": hashlib.sha256(canonical.encode()).hexdigest(), "canonical": canonical}


def test_rows_from_before_persons_were_recorded_compare_by_their_names(registry: Registry) -> None:
    """Tokens, requests and reviews from before migration 0008 have no person: their names stand
    for it (``alice`` is ``sso:alice@example.com``), so an upgrade does not reopen the hole."""
    from test_registry import migrated

    client = _client(registry)
    alice = registry.create_token("alice", Role.REQUESTER, "setup")
    bob = registry.create_token("bob", Role.REVIEWER, "setup")
    entry_id = _request(client, alice, tier=0)
    assert _api_decision(client, bob, entry_id) == 200
    migrated(registry, ("downgrade", "0007"), ("upgrade", "head"))
    with registry.database.reading() as session:
        from sqlalchemy import text

        assert session.execute(text("SELECT person FROM api_tokens")).scalars().all() == [None, None]
    assert _page_decision(client, registry, "alice@example.com", entry_id) == 422
    assert _page_decision(client, registry, "Bob@example.com", entry_id) == 422
    assert registry.get(entry_id).status is Status.REQUESTED
