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
    RegistryError,
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


def migrated(registry: Registry, *steps: tuple[str, str]) -> None:
    """The registry's database moved by its own migrations, as an older or newer mcpward leaves
    it: each step ``("downgrade" | "upgrade", revision)`` in order."""
    from alembic import command
    from alembic.config import Config

    from mcpward.registry._database import _MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with registry.database.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        for direction, revision in steps:
            getattr(command, direction)(config, revision)


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


# -- what a review decides on: inspect, advisories, downgrades; one live approval ------------


def _approved(registry: Registry, version: str, name: str = "files") -> int:
    entry = registry.request(package_request(name=name, version=version), "alice")
    return registry.approve(entry.id, "bob", f"reviewed {version}").id


def test_a_clean_update_is_approved_normally_and_supersedes_the_old_one_after_the_grace_period(
    registry: Registry,
) -> None:
    old = _approved(registry, "2026.7.4")
    update = registry.request(package_request(version="2026.8.31"), "alice")
    assert update.change == "update" and [v.release for v in update.approved_versions] == ["2026.7.4"]
    assert registry.refusals(update) == []
    approved = registry.approve(update.id, "bob", "diff read, nothing new")
    assert approved.status is Status.APPROVED and not approved.reviews[-1].override
    # The old version stands for the grace period, with the day it ends: not two open-ended approvals.
    ends = (datetime.now(UTC) + timedelta(days=registry.grace_days)).date()
    previous = registry.get(old)
    assert (previous.status, previous.superseded_by, previous.superseded_on) == (
        Status.APPROVED,
        update.id,
        ends,
    )
    event = registry.audit(update.id)[0]
    assert event.detail["supersedes"] == [
        {"entry": old, "release": "2026.7.4", "until": str(ends), "status": "approved"}
    ]
    assert registry.approval_index().judge(_observed("2026.7.4")).status == "approved"
    later = Registry(registry.database, clock=lambda: datetime.now(UTC) + timedelta(days=registry.grace_days))
    assert later.expire_due() == 1
    assert later.get(old).status is Status.SUPERSEDED and later.get(update.id).status is Status.APPROVED
    assert later.audit(old)[0].action == "supersede"
    drift = later.approval_index().judge(_observed("2026.7.4"))
    assert drift.status == "version-drift" and "superseded by entry" in drift.message
    assert later.approval_index().judge(_observed("2026.8.31")).status == "approved"
    assert [e.id for e in later.approved()[0]] == [update.id]
    assert later.verify_audit() is None


def _observed(version: str) -> Any:
    from mcpward.registry import ObservedServer

    return ObservedServer(
        host="claude", name="files", kind="package", ecosystem="npm", package="@acme/files", version=version
    )


def test_a_downgrade_is_refused_without_an_override_and_recorded_with_one(registry: Registry) -> None:
    newer = _approved(registry, "2026.8.31")
    downgrade = registry.request(package_request(version="2026.7.4"), "alice")
    assert downgrade.change == "downgrade"
    with pytest.raises(
        PolicyRefusal, match=r"2026\.7\.4 is a downgrade: 2026\.8\.31 \(entry \d+\) is approved"
    ):
        registry.approve(downgrade.id, "bob", "looks fine")
    assert registry.get(downgrade.id).status is Status.REQUESTED and registry.get(newer).superseded_by is None
    approved = registry.approve(downgrade.id, "bob", "rolling back: 2026.8.31 breaks the CI", override=True)
    assert approved.status is Status.APPROVED and approved.reviews[-1].override
    event = registry.audit(downgrade.id)[0]
    assert event.detail["override"] is True and event.detail["overridden"] == ["downgrade"]
    assert "downgrade" in event.detail["note"]
    # The rollback replaces the newer approval too (after the grace period), never two open-ended.
    assert registry.get(newer).superseded_by == downgrade.id
    assert registry.verify_audit() is None


def test_a_critical_inspect_finding_needs_an_override(registry: Registry) -> None:
    finding = {"severity": "critical", "rule": "conceal-from-user", "message": "tells the model to hide it"}
    low = {"severity": "low", "rule": "long-description", "message": "long"}
    entry = registry.request(package_request(inspect_findings=(low, finding)), "alice")
    assert entry.worst_inspect == finding
    with pytest.raises(PolicyRefusal, match=r"inspect found 1 critical finding \(conceal-from-user\)"):
        registry.approve(entry.id, "bob", "one click")
    approved = registry.approve(entry.id, "bob", "the text is the vendor's own warning", override=True)
    assert registry.audit(entry.id)[0].detail["overridden"] == ["inspect-critical"]
    assert approved.status is Status.APPROVED
    # A high finding is the reviewer's judgement, not the policy's.
    high = {"severity": "high", "rule": "hidden-instructions", "message": "x"}
    other = registry.request(package_request(name="other", inspect_findings=(high,)), "alice")
    assert registry.approve(other.id, "bob", "read it").status is Status.APPROVED


@pytest.mark.parametrize(
    ("package", "version", "advisory", "malicious"),
    [
        ("postmark-mcp", "1.0.16", "MCPWARD-MAL-2025-0001", True),
        ("mcp-remote", "0.1.15", "GHSA-6xpm-ggf7-wc3p", False),
    ],
)
def test_a_known_advisory_needs_an_override_and_a_fixed_version_does_not(
    registry: Registry, package: str, version: str, advisory: str, malicious: bool
) -> None:
    identity = Identity(kind="package", ecosystem="npm", name=package, version=version)
    entry = registry.request(package_request(name=package, identity=identity), "alice")
    assert [a["id"] for a in entry.advisories] == [advisory] and entry.advisories[0]["malicious"] is malicious
    wording = "is a known malicious package" if malicious else "has known advisories"
    with pytest.raises(PolicyRefusal, match=f"{wording} \\({advisory}\\)"):
        registry.approve(entry.id, "bob", "popular package")
    clean_version = "1.0.15" if malicious else "0.1.16"
    clean = registry.request(
        package_request(
            name=f"{package}-ok", identity=identity.model_copy(update={"version": clean_version})
        ),
        "alice",
    )
    assert clean.advisories == () and registry.refusals(clean) == []
    approved = registry.approve(entry.id, "bob", "isolated test machine only", override=True)
    assert approved.status is Status.APPROVED
    assert registry.audit(entry.id)[0].detail["overridden"] == ["advisory"]


def test_an_advisory_in_mcpwards_own_vet_findings_counts_and_a_claim_does_not(registry: Registry) -> None:
    vetted = VetOutcome(
        verdict="review",
        findings=(
            {"rule": "known-vulnerable", "severity": "high", "message": "x", "identifiers": ["GHSA-x"]},
        ),
    )
    entry = registry.request(package_request(vet=vetted), "alice")
    assert [a["id"] for a in entry.advisories] == ["GHSA-x"]
    claimed = registry.request(package_request(name="claimed", vet=vetted), "alice", from_requester=True)
    assert claimed.advisories == ()


def test_revoking_the_new_version_keeps_the_old_approval(registry: Registry) -> None:
    old = _approved(registry, "1.0.0")
    new = _approved(registry, "1.1.0")
    assert registry.get(old).superseded_by == new
    registry.revoke(new, "carol", "1.1.0 phones home")
    restored = registry.get(old)
    assert (restored.status, restored.superseded_by, restored.superseded_on) == (Status.APPROVED, None, None)
    assert registry.audit(new)[0].detail["restores"] == [{"entry": old, "release": "1.0.0"}]
    assert registry.verify_audit() is None


def test_the_grace_period_is_configurable_and_a_reviewer_may_only_shorten_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPWARD_SUPERSEDE_GRACE_DAYS", "3")
    registry = Registry.open(database_url)
    try:
        assert registry.grace_days == 3
        first = _approved(registry, "1.0.0")
        second = registry.request(package_request(version="1.1.0"), "alice")
        registry.approve(second.id, "bob", "fine", grace_days=30)  # asked for more: the policy's 3 days
        assert registry.get(first).superseded_on == (datetime.now(UTC) + timedelta(days=3)).date()
        third = registry.request(package_request(version="1.2.0"), "alice")
        registry.approve(third.id, "bob", "urgent fix", grace_days=0)
        ended = registry.get(second.id)
        assert ended.status is Status.SUPERSEDED and ended.superseded_by == third.id
        assert [e.id for e in registry.entries(status=Status.APPROVED)] == [first, third.id]
        assert registry.verify_audit() is None
    finally:
        registry.database.dispose()
    monkeypatch.setenv("MCPWARD_SUPERSEDE_GRACE_DAYS", "soon")
    with pytest.raises(RegistryError, match="MCPWARD_SUPERSEDE_GRACE_DAYS"):
        Registry.open(database_url)


def test_a_trail_from_before_the_review_context_migration_still_verifies(database_url: str) -> None:
    """An entry changed and recorded at schema 0003 (its digest made without the columns 0004
    adds) verifies after the upgrade: NULL in those columns is left out of the digest."""
    from sqlalchemy import MetaData, Table

    from mcpward.registry._audit_trail import _canonical_json, _digest, _plain_row, _stored

    registry = Registry.open(database_url)
    entry = registry.request(package_request(), "alice")
    registry.approve(entry.id, "bob", "fine")
    migrated(registry, ("downgrade", "0003"))
    # What mcpward 0003 did for a change: update the row, digest every column it had, append.
    with registry.database.writing() as session:
        session.execute(text("UPDATE entries SET owner = 'team-security', revision = revision + 1"))
        table = Table("entries", MetaData(), autoload_with=session.connection())
        row = session.execute(_stored(table)).mappings().one()
        review_table = Table("reviews", MetaData(), autoload_with=session.connection())
        reviews = session.execute(_stored(review_table).order_by(review_table.c.id)).mappings().all()
        body = {"row": _plain_row(row), "reviews": [_plain_row(r) for r in reviews]}
        state = {f"entry:{entry.id}": _digest(_canonical_json(body))}
        registry._append(session, "carol", "owner", entry.id, {"owner": "team-security"}, state)
    registry.anchor.advance(registry.database.display, *_head(registry))
    registry.database.dispose()
    reopened = Registry.open(database_url)
    try:
        assert reopened.verify_audit() is None
        assert reopened.get(entry.id).owner == "team-security"
    finally:
        reopened.database.dispose()


def _head(registry: Registry) -> tuple[int, str]:
    with registry.database.reading() as session:
        seq, head = session.execute(text("SELECT seq, hash FROM audit_events ORDER BY seq DESC")).first()  # type: ignore[misc]
    return int(seq), str(head)


# -- the fleet: one record per (machine, home) ----------------------------------------------------


def test_a_machine_reported_before_migration_0005_keeps_its_record_and_gains_homes(
    database_url: str,
) -> None:
    """A report stored at 0004 (keyed by the bare machine id) is, after the upgrade, the record a
    report without a home replaces; reports of homes stand beside it; a record that stopped
    reporting stays listed, marked stale after STALE_DAYS."""
    from mcpward.registry import STALE_DAYS, InventoryUpload, ObservedServer

    def servers(*names: str) -> tuple[ObservedServer, ...]:
        return tuple(ObservedServer(host="cursor", name=n, kind="local", launch=f"./{n}") for n in names)

    registry = Registry.open(database_url)
    migrated(registry, ("downgrade", "0004"))
    old = datetime.now(UTC) - timedelta(days=STALE_DAYS + 1)
    with registry.database.write_engine.begin() as connection:  # what mcpward 0004 stored
        for key, host, server in (("m-1", "laptop-1", "old"), ("m-2", "laptop-2", "gone")):
            connection.execute(
                text("INSERT INTO machines (machine_key, hostname, os, reported_by, reported_at) "
                     "VALUES (:key, :host, 'linux', 'agent', :at)"), {"key": key, "host": host, "at": old}
            )  # fmt: skip
            connection.execute(
                text("INSERT INTO fleet_servers (machine_id, host, name, config_path, kind, launch) "
                     "SELECT id, 'cursor', :name, '', 'local', './x' FROM machines WHERE machine_key = :key"),
                {"name": server, "key": key},
            )  # fmt: skip
    registry.database.dispose()
    registry = Registry.open(database_url)
    try:
        registry.record_inventory(
            InventoryUpload(machine_id="m-1", hostname="laptop-1", servers=servers("own")), "agent"
        )
        for home, names in (("/home/alice", ("a1", "a2")), ("/home/bob", ())):
            upload = InventoryUpload(
                machine_id="m-1", hostname="laptop-1", home=home, servers=servers(*names)
            )
            registry.record_inventory(upload, "agent")
        rows, total = registry.fleet()
        assert total == 4 and {(r.hostname, r.home, r.server.name) for r in rows} == {
            ("laptop-1", None, "own"),
            ("laptop-1", "/home/alice", "a1"),
            ("laptop-1", "/home/alice", "a2"),
            ("laptop-2", None, "gone"),
        }
        listed = {(m.hostname, m.home): m for m in registry.machines()}
        assert set(listed) == {("laptop-1", None), ("laptop-1", "/home/alice"), ("laptop-1", "/home/bob"),
                               ("laptop-2", None)}  # fmt: skip
        assert listed[("laptop-1", "/home/bob")].servers == 0 and not listed[("laptop-1", None)].stale
        assert listed[("laptop-2", None)].stale and listed[("laptop-2", None)].reported_at < old + timedelta(
            1
        )
        assert len({listed[("laptop-1", home)].machine for home in (None, "/home/alice", "/home/bob")}) == 1
        assert registry.machine_count() == 2 and registry.home_count() == 4
    finally:
        registry.database.dispose()


def test_the_fleet_names_the_advisories_of_what_machines_run(registry: Registry) -> None:
    from mcpward.registry import InventoryUpload, ObservedServer

    def npm(name: str, package: str, version: str) -> ObservedServer:
        return ObservedServer(
            host="cursor", name=name, kind="package", ecosystem="npm", package=package, version=version
        )

    upload = InventoryUpload(machine_id="m-1", hostname="laptop-1", home="/home/alice", servers=(
        npm("remote", "mcp-remote", "0.1.15"),
        npm("mail", "postmark-mcp", "1.0.16"),
        npm("mail-before", "postmark-mcp", "1.0.15"),
        npm("remote-fixed", "mcp-remote", "0.1.16"),
    ))  # fmt: skip
    registry.record_inventory(upload, "agent")
    rows, _ = registry.fleet()
    found = {row.server.name: [(a.id, a.malicious) for a in row.advisories] for row in rows}
    assert found == {
        "remote": [("GHSA-6xpm-ggf7-wc3p", False)],
        "mail": [("MCPWARD-MAL-2025-0001", True)],
        "mail-before": [],
        "remote-fixed": [],
    }
    assert [row.server.name for row in rows if row.worst_advisory] == ["mail", "remote"]
