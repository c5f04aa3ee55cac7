"""The registry service on SQLite and on a real PostgreSQL server: requests, the approval
policy, conflicts between reviewers, the audit trail, expiry, tokens and migrations."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from mcpward.registry import (
    Conflict,
    DataScope,
    EntryRequest,
    Identity,
    NotFound,
    PolicyRefusal,
    Registry,
    Role,
    Status,
    VetOutcome,
)
from mcpward.registry._tier import derive_tier


def package_request(name: str = "files", version: str = "1.2.3", **changes: Any) -> EntryRequest:
    base: dict[str, Any] = {
        "name": f"io.github.acme/{name}",
        "identity": Identity(kind="package", ecosystem="npm", name=f"@acme/{name}", version=version),
        "owner": "team-platform",
        "scope": DataScope(reads=("project files",)),
        "vet": VetOutcome(verdict="pass"),
    }
    base.update(changes)
    return EntryRequest(**base)


def shell_pins(*names: str) -> dict[str, dict[str, str]]:
    return {
        f"tool:{n}": {"sha256": "0" * 64, "canonical": json.dumps({"description": "x", "name": n})}
        for n in names
    }


def test_request_then_approve_sets_the_rereview_date(registry: Registry) -> None:
    entry = registry.request(package_request(), "alice")
    assert (entry.status, entry.tier, entry.approvals_needed, entry.revision) == (Status.REQUESTED, 2, 1, 1)
    approved = registry.approve(entry.id, "bob", "read the code", expected_revision=1)
    assert approved.status is Status.APPROVED
    assert approved.review_due == (datetime.now(UTC) + timedelta(days=90)).date()
    assert [r.reviewer for r in approved.reviews] == ["bob"]
    assert registry.entries(status=Status.APPROVED)[0].id == entry.id


def test_the_requester_cannot_approve_their_own_request(registry: Registry) -> None:
    entry = registry.request(package_request(), "alice")
    with pytest.raises(PolicyRefusal, match="own request"):
        registry.approve(entry.id, "alice", "trust me")
    assert registry.get(entry.id).status is Status.REQUESTED


def test_tier0_needs_two_different_reviewers(registry: Registry) -> None:
    entry = registry.request(package_request(scope=DataScope(shell=True)), "alice")
    assert entry.tier == 0 and entry.approvals_needed == 2
    once = registry.approve(entry.id, "bob", "first look")
    assert (once.status, once.approvals) == (Status.REQUESTED, 1)
    with pytest.raises(PolicyRefusal, match="already approved"):
        registry.approve(entry.id, "bob", "again")
    twice = registry.approve(entry.id, "carol", "second look")
    assert (twice.status, twice.approvals) == (Status.APPROVED, 2)


def test_a_blocked_vet_verdict_needs_a_recorded_override(registry: Registry) -> None:
    entry = registry.request(package_request(vet=VetOutcome(verdict="block")), "alice")
    with pytest.raises(PolicyRefusal, match=re.escape("verdict on npm:@acme/files@1.2.3 is block")):
        registry.approve(entry.id, "bob", "looks fine")
    approved = registry.approve(entry.id, "bob", "false positive: the URL is the vendor's", override=True)
    assert approved.status is Status.APPROVED and approved.reviews[-1].override
    event = registry.audit(entry.id)[0]
    assert event.action == "approve" and event.detail["override"] is True and "block" in event.detail["note"]


def test_a_package_that_was_not_vetted_is_not_approved_without_override(registry: Registry) -> None:
    entry = registry.request(package_request(vet=None), "alice")
    with pytest.raises(PolicyRefusal, match="was not vetted"):
        registry.approve(entry.id, "bob", "ok")
    remote = registry.request(
        package_request(
            name="remote", identity=Identity(kind="remote", url="https://mcp.example.com/mcp"), vet=None
        ),
        "alice",
    )
    assert registry.approve(remote.id, "bob", "vendor endpoint, contract in place").status is Status.APPROVED


def test_a_decision_on_a_stale_revision_is_a_conflict_and_stores_nothing(registry: Registry) -> None:
    entry = registry.request(package_request(), "alice")
    registry.reject(entry.id, "carol", "not needed", expected_revision=1)
    before = registry.audit()
    with pytest.raises(Conflict, match="changed since revision 1"):
        registry.approve(entry.id, "bob", "ok", expected_revision=1)
    after = registry.get(entry.id)
    assert after.status is Status.REJECTED and len(after.reviews) == 1
    assert registry.audit() == before


def _race(registry: Registry, entry_id: int, deciders: list[tuple[str, str]]) -> dict[str, Any]:
    """Every decider decides at the same moment, each on revision 1; what happened to each."""
    barrier = threading.Barrier(len(deciders))
    outcomes: dict[str, Any] = {}

    def decide(reviewer: str, decision: str) -> None:
        barrier.wait()
        try:
            getattr(registry, decision)(entry_id, reviewer, f"{reviewer} decides", expected_revision=1)
            outcomes[reviewer] = "won"
        except Conflict as exc:
            outcomes[reviewer] = exc

    threads = [threading.Thread(target=decide, args=pair) for pair in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_reviewers_deciding_at_once_one_wins_the_other_gets_a_conflict(
    registry: Registry, second: str
) -> None:
    for round_ in range(4):
        entry = registry.request(package_request(name=f"race{round_}"), "alice")
        outcomes = _race(registry, entry.id, [("bob", "approve"), ("carol", second)])
        winners = [who for who, outcome in outcomes.items() if outcome == "won"]
        losers = [outcome for outcome in outcomes.values() if isinstance(outcome, Conflict)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        final = registry.get(entry.id)
        assert len(final.reviews) == 1 and final.reviews[0].reviewer == winners[0]
        assert final.revision == 2
        assert [e.action for e in registry.audit(entry.id)] in (["approve", "request"], ["reject", "request"])
    assert registry.verify_audit() is None


def test_a_second_request_for_the_same_version_is_refused_and_a_batch_is_all_or_nothing(
    registry: Registry,
) -> None:
    registry.request(package_request(), "alice")
    with pytest.raises(Conflict, match="already in the registry"):
        registry.request(package_request(), "dave")
    with pytest.raises(Conflict):
        registry.request_many([package_request(name="new"), package_request()], "dave")
    assert [e.name for e in registry.entries()] == ["io.github.acme/files"]


def test_the_audit_trail_cannot_be_edited_and_a_forged_edit_is_detected(registry: Registry) -> None:
    entry = registry.request(package_request(), "alice")
    registry.approve(entry.id, "bob", "fine")
    engine = registry.database.write_engine
    for statement in ("UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert registry.verify_audit() is None
    # Someone with the database owner's rights drops the trigger: the hash chain still tells.
    with engine.begin() as connection:
        if registry.database.dialect == "postgresql":
            connection.execute(text("DROP TRIGGER audit_events_no_change ON audit_events"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE action = 'approve'"))
    assert registry.verify_audit() == "event 2 was altered"


def test_approvals_expire_after_the_review_period_and_can_be_renewed(registry: Registry) -> None:
    entry = registry.request(package_request(), "alice")
    registry.approve(entry.id, "bob", "fine")
    later = Registry(registry.database, clock=lambda: datetime.now(UTC) + timedelta(days=91))
    assert later.expire_due() == 1 and later.expire_due() == 0
    expired = later.get(entry.id)
    assert expired.status is Status.EXPIRED and expired.approvals == 0
    renewed = later.approve(entry.id, "carol", "re-reviewed")
    assert renewed.status is Status.APPROVED and renewed.review_due > expired.review_due  # type: ignore[operator]
    assert later.audit(entry.id)[1].action == "expire"


def test_revoke_only_what_was_approved(registry: Registry) -> None:
    entry = registry.request(package_request(), "alice")
    with pytest.raises(PolicyRefusal, match="only approved entries are revoked"):
        registry.revoke(entry.id, "bob", "no")
    registry.approve(entry.id, "bob", "fine")
    assert registry.revoke(entry.id, "carol", "vendor compromised").status is Status.REVOKED
    with pytest.raises(NotFound):
        registry.approve(9999, "bob", "x")


def test_no_secret_is_stored_from_a_rationale(registry: Registry) -> None:
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    entry = registry.request(package_request(), "alice")
    approved = registry.approve(entry.id, "bob", f"tested with token {secret}")
    assert secret not in approved.reviews[0].rationale and "ghp_" in approved.reviews[0].rationale
    assert secret not in str(registry.audit())


def test_tokens_are_stored_as_hashes_and_can_be_revoked(registry: Registry) -> None:
    token = registry.create_token("bob", Role.REVIEWER, "admin")
    assert registry.authenticate(token) == registry.authenticate(token) is not None
    assert registry.authenticate(token + "x") is None
    with registry.database.write_engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert token not in stored and len(stored[0]) == 64
    assert registry.revoke_tokens("bob", "admin") == 1 and registry.authenticate(token) is None


def test_the_migrated_schema_matches_the_table_definitions(registry: Registry) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mcpward.registry._tables import Base

    with registry.database.write_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_opening_twice_migrates_once(database_url: str) -> None:
    first = Registry.open(database_url)
    first.request(package_request(), "alice")
    second = Registry.open(database_url)
    assert [e.name for e in second.entries()] == ["io.github.acme/files"]
    first.database.dispose()
    second.database.dispose()


# -- tiers: derived from scope, tools and vet; never lowered by hand -------------------------


@pytest.mark.parametrize(
    ("tools", "expected"),
    [
        (("execute_command",), 0),
        (("bash",), 0),
        (("run_python_code",), 0),
        (("get_secret",), 0),
        (("search_code", "run_tests", "get_weather", "list_issues"), 2),
        (("executive_summary", "shellfish_prices", "commander_status"), 2),
    ],
)
def test_tier_from_tool_names(tools: tuple[str, ...], expected: int) -> None:
    assert derive_tier(DataScope(), shell_pins(*tools), None)[0] == expected


def test_tier_from_scope_and_vet() -> None:
    assert derive_tier(DataScope(writes=("production orders database",)), {}, None)[0] == 0
    assert derive_tier(DataScope(reads=("~/.aws credentials",)), {}, None)[0] == 0
    assert derive_tier(DataScope(writes=("issue comments",)), {}, None)[0] == 1
    assert derive_tier(DataScope(credentials=("GITHUB_TOKEN",)), {}, None)[0] == 1
    spawn = VetOutcome(verdict="review", findings=({"rule": "capability-process-spawn"},))
    assert derive_tier(DataScope(), {}, spawn) == (0, ("vet: the code starts processes",))


def test_a_tier_can_be_raised_by_hand_but_not_lowered(registry: Registry) -> None:
    raised = registry.request(package_request(tier=0), "alice")
    assert (raised.tier, raised.derived_tier) == (0, 2) and "raised by hand" in raised.tier_reasons[-1]
    kept = registry.request(package_request(name="sh", scope=DataScope(shell=True), tier=2), "alice")
    assert (kept.tier, kept.derived_tier) == (0, 0)
