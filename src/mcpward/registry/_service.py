"""The registry service: requests, reviews, the audit trail, tokens and the fleet inventory.

Every change runs in one write transaction that also appends its audit event, so a change and
its record land together or not at all. Decisions are optimistic: an entry's ``revision`` is
checked in the UPDATE itself, so of two reviewers deciding at once one wins and the other gets a
:class:`Conflict`, whatever the database.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Select,
    Text,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only

from mcpward.dlp import redact_text
from mcpward.output.words import counted
from mcpward.registry._anchor import AuditAnchor
from mcpward.registry._audit_trail import _state, _utc
from mcpward.registry._checks import check_pins, check_secrets, inspect_pins, without_secret_values
from mcpward.registry._database import Database, in_chunks
from mcpward.registry._fleet_store import FleetStore
from mcpward.registry._gateway_events import GatewayEventStore
from mcpward.registry._gateway_state import GatewayStateStore
from mcpward.registry._matching import ApprovalIndex, identity_key
from mcpward.registry._persons import Acting, acting, one_person, requester_of, reviewer_of
from mcpward.registry._probation import ProbationStore, probation_values, read_only_choice
from mcpward.registry._tables import (
    EntryRow,
    ReviewRow,
)
from mcpward.registry._tier import derive_tier
from mcpward.registry._tokens import TokenStore
from mcpward.registry.interface import (
    Conflict,
    DataScope,
    Decision,
    Entry,
    EntryRequest,
    Identity,
    InvalidInput,
    NotFound,
    OtherVersion,
    PolicyRefusal,
    RegistryError,
    Review,
    Status,
    VetOutcome,
)

#: Days between an approval and the re-review it must have.
REVIEW_DAYS = 90
#: Days a version stays approved once a newer approval of the same identity supersedes it, so
#: that machines can move to the new one; ``MCPWARD_SUPERSEDE_GRACE_DAYS`` changes it (0: at once).
SUPERSEDE_GRACE_DAYS = 14
MAX_GRACE_DAYS = 365
GRACE_VARIABLE = "MCPWARD_SUPERSEDE_GRACE_DAYS"
#: Statuses of an approval that still stands, or stood until its re-review fell due.
_LIVE = (Status.APPROVED.value, Status.EXPIRED.value)
_SEVERITIES = ("info", "low", "medium", "high", "critical")
#: An entry's columns a requester fills up to the body limit (2 MiB each): what a summary of it
#: (the queue, an entry answered by its identity) does not read.
_HEAVY = ("description", "scope", "tier_reasons", "pins", "vet_claim", "inspect_findings", "server_json")
#: The rest, read for a summary; ``vet`` is mcpward's own outcome, never the requester's text.
_LIGHT = tuple(c.key for c in EntryRow.__table__.columns if c.key not in _HEAVY)
#: What an entry adds to a page beside its columns (names, dates, reviews), in characters.
_ENTRY_OVERHEAD = 2000


class Registry(TokenStore, FleetStore, GatewayEventStore, GatewayStateStore, ProbationStore):
    """Requests, reviews and decisions on entries; with the audit trail, tokens, the fleet
    inventory, the gateways' records and their shared state (each in its own module) it is the
    registry service."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] | None = None,
        key_file: Path | None = None,
        grace_days: int | None = None,
    ) -> None:
        self.database = database
        self._clock = clock or (lambda: datetime.now(UTC))
        #: Days a superseded approval still stands (see SUPERSEDE_GRACE_DAYS).
        self.grace_days = default_grace_days() if grace_days is None else _checked_grace(grace_days)
        #: The audit key and the heads of the chain, kept outside the database.
        self.anchor = AuditAnchor(key_file)

    @classmethod
    def open(
        cls, url: str | None = None, *, key_file: Path | None = None, grace_days: int | None = None
    ) -> Registry:
        grace = default_grace_days() if grace_days is None else _checked_grace(grace_days)
        database = Database(url)
        database.migrate()
        return cls(database, key_file=key_file, grace_days=grace)

    # -- entries -----------------------------------------------------------------------------

    def request(
        self, request: EntryRequest, actor: str, *, from_requester: bool = False, token_id: int | None = None
    ) -> Entry:
        return self.request_many([request], actor, from_requester=from_requester, token_id=token_id)[0]

    def request_many(
        self,
        requests: Sequence[EntryRequest],
        actor: str,
        *,
        from_requester: bool = False,
        token_id: int | None = None,
    ) -> list[Entry]:
        """Store requests in one transaction: all of them, or (on any conflict) none.

        ``from_requester``: the requests come from a requester (the API), not from mcpward's own
        vetting and inspection: their ``vet`` is kept as the requester's claim only, never a
        verdict, and their inspect findings are replaced by those mcpward makes from the pins.
        ``token_id``: the API token the change is made with, bound to the event (see _state)."""
        for request in requests:
            try:
                _check_storable(request.identity)
                check_pins(request.pins)
                check_secrets(request, from_requester=from_requester)
            except InvalidInput as exc:
                raise InvalidInput(f"{request.name} {request.identity.release}: {exc}") from None
        ids = []
        try:
            with self._changing() as session:
                requester = acting(session, actor, token_id)
                for request in requests:
                    row = self._request_row(request, actor, from_requester)
                    row.requester_person, row.requester_minted_by = requester
                    session.add(row)
                    session.flush()
                    ids.append(row.id)
                    detail = {"identity": request.identity.display, "owner": request.owner, "tier": row.tier}
                    state = _state(session, entries=[row.id], acting=token_id)
                    self._append(session, actor, "request", row.id, detail, state)
        except IntegrityError:
            raise Conflict(
                f"{requests[len(ids)].name} {requests[len(ids)].identity.release} is already in the "
                "registry; show it, or request another version (nothing was stored)"
            ) from None
        return [self.get(entry_id) for entry_id in ids]

    def _request_row(self, request: EntryRequest, actor: str, from_requester: bool) -> EntryRow:
        vet = None if from_requester else request.vet
        claim = request.vet if from_requester else None
        findings = inspect_pins(request.name, request.pins) if from_requester else request.inspect_findings
        derived, reasons = derive_tier(request.scope, request.pins, vet)
        tier = min(derived, request.tier) if request.tier is not None else derived
        if request.tier is not None and request.tier < derived:
            reasons = (*reasons, f"raised by hand to Tier-{request.tier}")
        _kind, package = identity_key(request.identity)
        now = self.now()
        return EntryRow(
            name=request.name,
            release=request.identity.release,
            title=request.title,
            description=request.description,
            kind=request.identity.kind,
            ecosystem=request.identity.ecosystem,
            package=package,
            identity=request.identity.model_dump(mode="json"),
            repository=request.repository or (vet.repository if vet else None),
            repository_verified=bool(vet and vet.repository_verified),
            scope=request.scope.model_dump(mode="json"),
            owner=request.owner,
            tier=tier,
            derived_tier=derived,
            tier_reasons=list(reasons),
            pins=request.pins,
            vet=vet.model_dump(mode="json") if vet else None,
            vet_claim=claim.model_dump(mode="json") if claim else None,
            inspect_findings=list(findings),
            advisories=known_advisories(request.identity, vet) or None,
            server_json=without_secret_values(request.server_json) if request.server_json else None,
            status=Status.REQUESTED.value,
            revision=1,
            round_revision=1,
            requested_by=actor,
            requested_at=now,
            updated_at=now,
        )

    def approve(
        self,
        entry_id: int,
        actor: str,
        rationale: str,
        *,
        expected_revision: int | None = None,
        override: bool = False,
        token_id: int | None = None,
        grace_days: int | None = None,
        read_only_tools: Sequence[str] | None = None,
    ) -> Entry:
        """``read_only_tools``: the tools the reviewer confirms as read-only for the probation
        the approval starts (None: inspect's suggestion, recorded as such)."""
        return self.decide(
            entry_id,
            Decision.APPROVE,
            actor,
            rationale,
            expected_revision,
            override,
            token_id=token_id,
            grace_days=grace_days,
            read_only_tools=read_only_tools,
        )

    def reject(
        self,
        entry_id: int,
        actor: str,
        rationale: str,
        *,
        expected_revision: int | None = None,
        token_id: int | None = None,
    ) -> Entry:
        return self.decide(entry_id, Decision.REJECT, actor, rationale, expected_revision, token_id=token_id)

    def revoke(
        self,
        entry_id: int,
        actor: str,
        rationale: str,
        *,
        expected_revision: int | None = None,
        token_id: int | None = None,
    ) -> Entry:
        return self.decide(entry_id, Decision.REVOKE, actor, rationale, expected_revision, token_id=token_id)

    def decide(
        self,
        entry_id: int,
        decision: Decision,
        actor: str,
        rationale: str,
        expected_revision: int | None = None,
        override: bool = False,
        *,
        token_id: int | None = None,
        grace_days: int | None = None,
        read_only_tools: Sequence[str] | None = None,
    ) -> Entry:
        """``grace_days``: how long the approvals this one supersedes still stand; at most the
        registry's grace period (a reviewer may end them sooner, never later)."""
        rationale = redact_text(rationale.strip())
        if not rationale:
            raise PolicyRefusal("a decision needs a rationale")
        grace = self.grace_days if grace_days is None else min(_checked_grace(grace_days), self.grace_days)
        now = self.now()
        with self._changing() as session:
            row = session.get(EntryRow, entry_id)
            if row is None:
                raise NotFound(f"no entry {entry_id}")
            if expected_revision is not None and row.revision != expected_revision:
                raise Conflict(_changed(row, expected_revision, session))
            reviews = self._reviews(session, entry_id)
            # Advisories published since the request count too: looked up again at every decision.
            advisories = _merged(row.advisories or [], known_advisories(_identity_of(row), row.vet))
            entry = _entry(row, reviews, self._lineage(session, [row]).get(row.id), advisories)
            # Only the current round's approvals count (a request, an expiry or a supersession
            # begins one): towards the approvals needed, and for the probation's read-only tools.
            approve = Decision.APPROVE.value
            approvals = [r for r in reviews if r.revision >= row.round_revision and r.decision == approve]
            approvers = [(r.reviewer, reviewer_of(r)) for r in approvals]
            deciding = acting(session, actor, token_id)
            status, review_due, note, overridden = self._outcome(
                entry,
                decision,
                (actor, deciding),
                requester_of(row),
                approvers,
                override,
                _name_taken(session, row),
            )
            values: dict[str, Any] = {
                "status": status.value,
                "revision": row.revision + 1,
                "updated_at": now,
                "review_due": review_due,
                "advisories": advisories or None,  # NULL when none: see _LATER_COLUMNS
            }
            # Kept with the review: a Tier-0 entry's first approver's choice binds the probation
            # the second approval starts (see probation_values).
            approving = decision is Decision.APPROVE
            choice = read_only_choice(row.tier, row.pins, read_only_tools) if approving else None
            probation: dict[str, Any] = {}
            if status is Status.APPROVED:
                values |= {"superseded_by": None, "superseded_on": None}
                choices = [(r.reviewer, r.read_only_tools) for r in approvals] + [(actor, choice)]
                columns, probation = probation_values(row.tier, row.pins, choices, now.date())
                values |= columns
            changed = session.execute(
                update(EntryRow)
                .where(EntryRow.id == entry_id, EntryRow.revision == row.revision)
                .values(**values)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(_changed(row, row.revision, session))
            session.add(
                ReviewRow(
                    entry_id=entry_id,
                    reviewer=actor,
                    decision=decision.value,
                    rationale=rationale,
                    override=override,
                    revision=row.revision,
                    at=now,
                    reviewer_person=deciding.person,
                    reviewer_minted_by=deciding.minted_by,
                    read_only_tools=choice,
                )
            )
            detail: dict[str, Any] = {"from": entry.status.value, "to": status.value, "rationale": rationale}
            if override:
                detail["override"] = True
            if overridden:
                detail["overridden"] = overridden
            if note:
                detail["note"] = note
            if probation:
                detail["probation"] = probation
            touched = [entry_id]
            if status is Status.APPROVED and entry.status is not Status.APPROVED:
                superseded = self._supersede(session, row, now, grace)
                if superseded:
                    detail["supersedes"] = superseded
                    touched += [int(item["entry"]) for item in superseded]
            if decision is Decision.REVOKE:
                restored = self._restore_superseded(session, entry_id, now)
                if restored:
                    detail["restores"] = restored
                    touched += [int(item["entry"]) for item in restored]
            session.flush()
            state = _state(session, entries=touched, acting=token_id)
            self._append(session, actor, decision.value, entry_id, detail, state)
        return self.get(entry_id)

    def _supersede(self, session: Session, row: EntryRow, now: datetime, grace: int) -> list[dict[str, Any]]:
        """The other live approvals of the entry's package, image or endpoint end ``grace`` days
        from now (an expired one at once): one identity has one approval, bar a grace period."""
        ends = (now + timedelta(days=grace)).date()
        others = session.scalars(
            _same_identity(select(EntryRow), row)
            .where(EntryRow.id != row.id, EntryRow.status.in_(_LIVE), EntryRow.superseded_by.is_(None))
            .order_by(EntryRow.id)
        ).all()
        superseded = []
        for other in others:
            at_once = grace == 0 or other.status == Status.EXPIRED.value
            values: dict[str, Any] = {
                "superseded_by": row.id,
                "superseded_on": now.date() if at_once else ends,
                "revision": other.revision + 1,
                "updated_at": now,
            }
            if at_once:
                values |= {"status": Status.SUPERSEDED.value, "round_revision": other.revision + 1}
            changed = session.execute(
                update(EntryRow)
                .where(EntryRow.id == other.id, EntryRow.revision == other.revision)
                .values(**values)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(_changed(other, other.revision, session))
            superseded.append(
                {
                    "entry": other.id,
                    "release": other.release,
                    "until": str(values["superseded_on"]),
                    "status": values.get("status", other.status),
                }
            )
        return superseded

    def _restore_superseded(self, session: Session, entry_id: int, now: datetime) -> list[dict[str, Any]]:
        """Revoking an approval cancels the supersessions it started that have not yet taken
        effect: the versions it would have replaced stay approved (a rollback)."""
        pending = session.scalars(
            select(EntryRow)
            .where(EntryRow.superseded_by == entry_id, EntryRow.status == Status.APPROVED.value)
            .order_by(EntryRow.id)
        ).all()
        restored = []
        for other in pending:
            changed = session.execute(
                update(EntryRow)
                .where(EntryRow.id == other.id, EntryRow.revision == other.revision)
                .values(superseded_by=None, superseded_on=None, revision=other.revision + 1, updated_at=now)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(_changed(other, other.revision, session))
            restored.append({"entry": other.id, "release": other.release})
        return restored

    def _outcome(
        self,
        entry: Entry,
        decision: Decision,
        deciding: tuple[str, Acting],
        requester: Acting,
        approvers: Sequence[tuple[str, Acting]],
        override: bool,
        name_taken: Sequence[tuple[str, str]] = (),
    ) -> tuple[Status, date | None, str | None, list[str]]:
        """The new status, re-review date, note and the policy checks an override set aside,
        or a refusal; the approval policy lives here. Separation of duties compares persons
        (see _persons.py): a token, an SSO sign-in and ``--as`` of one person are one reviewer."""
        actor, acting_as = deciding
        if decision is Decision.REVOKE:
            if entry.status not in (Status.APPROVED, Status.EXPIRED, Status.SUPERSEDED):
                raise PolicyRefusal(
                    f"entry {entry.id} is {entry.status.value}; only approved entries are revoked"
                )
            return Status.REVOKED, None, None, []
        if entry.status not in (Status.REQUESTED, Status.EXPIRED, Status.SUPERSEDED):
            raise Conflict(f"entry {entry.id} is already {entry.status.value}{_last_decision(entry)}")
        if decision is Decision.REJECT:
            return Status.REJECTED, None, None, []
        if one_person(acting_as, requester):
            raise PolicyRefusal(
                f"the requester cannot approve their own request{_as_whom(actor, entry.requested_by)}"
            )
        earlier = next((name for name, approver in approvers if one_person(acting_as, approver)), None)
        if earlier is not None:
            raise PolicyRefusal(
                f"{actor} has already approved entry {entry.id}{_as_whom(actor, earlier)}; "
                f"Tier-{entry.tier} needs {entry.approvals_needed} different reviewers"
            )
        refusals = policy_refusals(entry) + list(name_taken)
        refusal = "; ".join(text for _code, text in refusals) or None
        if refusal and not override:
            raise PolicyRefusal(refusal + "; approving needs an explicit, recorded override")
        overridden = [code for code, _text in refusals] if override else []
        if entry.approvals + 1 < entry.approvals_needed:
            note = f"approval {entry.approvals + 1} of {entry.approvals_needed}"
            return entry.status, None, note, overridden
        due = (self.now() + timedelta(days=REVIEW_DAYS)).date()
        return Status.APPROVED, due, refusal if override else None, overridden

    def refusals(self, entry: Entry) -> list[tuple[str, str]]:
        """What the approval policy holds against approving ``entry`` now (advisories looked up
        again), as (check, explanation); empty when a reviewer may approve without an override."""
        current = _merged(entry.advisories, known_advisories(entry.identity, entry.vet))
        with self.database.reading() as session:
            row = session.get(EntryRow, entry.id)
            taken = _name_taken(session, row) if row is not None else []
        return policy_refusals(entry.model_copy(update={"advisories": tuple(current)})) + taken

    def get(self, entry_id: int) -> Entry:
        with self.database.reading() as session:
            row = session.get(EntryRow, entry_id)
            if row is None:
                raise NotFound(f"no entry {entry_id}")
            return _entry(row, self._reviews(session, entry_id), self._lineage(session, [row]).get(row.id))

    def find(self, name: str, release: str | None = None) -> list[Entry]:
        return self.entries(name=name, release=release)

    def entries(
        self,
        *,
        status: Status | Sequence[Status] | None = None,
        name: str | None = None,
        release: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        max_chars: int | None = None,
        identity_only: Sequence[Status] = (),
    ) -> list[Entry]:
        """Entries in name order. ``max_chars``: the page ends once its entries pass that many
        characters of stored columns (at least one entry): a page of 1,000 requests each up to
        the body limit was built whole. ``identity_only``: entries of these statuses come as
        summaries (:meth:`summaries`' columns, no worst finding), their heavy columns not read."""
        query = select(EntryRow).order_by(EntryRow.name, EntryRow.id)
        if status is not None:
            query = query.where(_of_status(status))
        if name is not None:
            query = query.where(EntryRow.name == name)
        if release is not None:
            query = query.where(EntryRow.release == release)
        query = query.offset(offset).limit(limit)
        summarised = [s.value for s in identity_only]
        with self.database.reading() as session:
            summaries: set[int] = set()
            if max_chars is None and not summarised:
                rows = list(session.scalars(query).all())
            else:
                rows, summaries = self._within(session, query, max_chars, summarised)
            reviews = self._reviews_of(session, [row.id for row in rows])
            lineage = self._lineage(session, rows)
            return [
                _entry(row, reviews.get(row.id, []), lineage.get(row.id), light=row.id in summaries)
                for row in rows
            ]

    @staticmethod
    def _within(
        session: Session, query: Select[Any], max_chars: int | None, summarised: list[str]
    ) -> tuple[list[EntryRow], set[int]]:
        """The rows of ``query`` up to ``max_chars`` characters (sized in the database first, so
        that no row past it is read), those of ``summarised`` statuses without their heavy
        columns (nor counting them), and the ids of those (by the status they had when sized)."""
        summary_size = _ENTRY_OVERHEAD + func.coalesce(func.length(cast(EntryRow.vet, Text)), 0)
        whole_size = summary_size + sum(
            (func.coalesce(func.length(cast(getattr(EntryRow, c), Text)), 0) for c in _HEAVY), start=0
        )
        size = (
            case((EntryRow.status.in_(summarised), summary_size), else_=whole_size)
            if summarised
            else whole_size
        )
        sized = query.with_only_columns(EntryRow.id, EntryRow.status, size)
        chosen: list[int] = []  # in the query's order
        summaries: set[int] = set()
        used = 0
        for entry_id, status, chars in session.execute(sized).all():
            if max_chars is not None and used >= max_chars:
                break
            used += int(chars or 0)
            chosen.append(entry_id)
            if status in summarised:
                summaries.add(entry_id)
        whole = [i for i in chosen if i not in summaries]
        by_id: dict[int, EntryRow] = {}
        light = (load_only(*_LIGHT_COLUMNS, raiseload=True),)
        for ids, options in ((whole, ()), (sorted(summaries), light)):
            for chunk in in_chunks(ids, 500):
                found = select(EntryRow).where(EntryRow.id.in_(chunk)).options(*options)
                by_id |= {row.id: row for row in session.scalars(found)}
        for entry_id in sorted(summaries):
            row = by_id.get(entry_id)
            if row is not None and row.status not in summarised:  # decided on again meanwhile
                session.expunge(row)
                by_id[entry_id] = session.get_one(EntryRow, entry_id)
                summaries.discard(entry_id)
        # A row deleted meanwhile is left out.
        return [by_id[i] for i in chosen if i in by_id], summaries

    def summaries(self, *, status: Status | Sequence[Status], limit: int) -> tuple[list[Entry], set[int]]:
        """What the review queue shows of each entry of ``status`` (name order): its identity,
        tier, vet verdict, advisories, approvals and worst inspect finding, without its pins,
        ``server.json``, claims or scope (a requester's, up to the body limit each: 200 of them
        built whole were a gigabyte for one look at the queue). With the ids of those that have
        pins (inspected: "clean" when no finding)."""
        pinned = func.length(cast(EntryRow.pins, Text)) > 2  # not {}
        query = (
            select(EntryRow, pinned)
            .options(load_only(*_LIGHT_COLUMNS, raiseload=True))
            .where(_of_status(status))
            .order_by(EntryRow.name, EntryRow.id)
            .limit(limit)
        )
        with self.database.reading() as session:
            found = session.execute(query).all()
            rows = [row for row, _pinned in found]
            inspected = {row.id for row, has_pins in found if has_pins}
            worst: dict[int, dict[str, Any] | None] = {}
            # One entry's findings at a time: they are as many as its pins make.
            findings = select(EntryRow.id, EntryRow.inspect_findings).execution_options(yield_per=1)
            for chunk in in_chunks([row.id for row in rows], 500):
                for entry_id, each in session.execute(findings.where(EntryRow.id.in_(chunk))):
                    worst[entry_id] = _worst(each or ())
            reviews = self._reviews_of(session, [row.id for row in rows])
            lineage = self._lineage(session, rows)
            entries = [
                _entry(row, reviews.get(row.id, []), lineage.get(row.id), light=True).model_copy(
                    update={"worst_inspect": worst.get(row.id)}
                )
                for row in rows
            ]
        return entries, inspected

    def approved(
        self, *, after: int = 0, limit: int = 30, search: str | None = None, name: str | None = None
    ) -> tuple[list[Entry], set[int]]:
        """Approved entries with ids above ``after``, in id order, and the ids of each name's
        newest approved entry (the official API's ``isLatest``)."""
        today = self.now().date()
        current = and_(  # not yet expired, nor superseded
            or_(EntryRow.review_due.is_(None), EntryRow.review_due >= today),
            or_(EntryRow.superseded_on.is_(None), EntryRow.superseded_on > today),
        )
        query = (
            select(EntryRow)
            .where(EntryRow.status == Status.APPROVED.value, current, EntryRow.id > after)
            .order_by(EntryRow.id)
            .limit(limit)
        )
        query = _by_name(query, search, name)
        latest = select(EntryRow.name, EntryRow.id, EntryRow.superseded_on).where(
            EntryRow.status == Status.APPROVED.value, current
        )
        with self.database.reading() as session:
            rows = session.scalars(query).all()
            reviews = self._reviews_of(session, [row.id for row in rows])
            if name is not None:
                latest = latest.where(EntryRow.name == name)
            elif rows:
                latest = latest.where(EntryRow.name.in_({row.name for row in rows}))
            # A name's latest is the approval reviewers made current (not superseded), the newest
            # of those; the newest request was the latest until 2026-12-05, so a version
            # requested later but approved first (and superseded, in its grace period) was it.
            best: dict[str, tuple[bool, int]] = {}
            for each, entry_id, superseded_on in session.execute(latest).all() if rows else ():
                best[each] = max(best.get(each, (False, 0)), (superseded_on is None, entry_id))
            newest = {entry_id for _current, entry_id in best.values()}
            return [_entry(row, reviews.get(row.id, [])) for row in rows], newest

    def published(
        self,
        *,
        after: int = 0,
        limit: int = 30,
        search: str | None = None,
        name: str | None = None,
        updated_since: datetime | None = None,
        include_deleted: bool = False,
    ) -> tuple[list[Entry], set[int]]:
        """What the official read API lists: the current approvals, and with ``include_deleted``
        the withdrawn ones (revoked, superseded, expired), in id order; ``updated_since`` keeps
        the entries changed after it. With the ids of each name's newest current approval."""
        if not include_deleted and updated_since is None:
            return self.approved(after=after, limit=limit, search=search, name=name)
        statuses = [Status.APPROVED.value]
        if include_deleted:
            statuses += [Status.REVOKED.value, Status.SUPERSEDED.value, Status.EXPIRED.value]
        query = (
            select(EntryRow)
            .where(EntryRow.status.in_(statuses), EntryRow.id > after)
            .order_by(EntryRow.id)
            .limit(limit)
        )
        query = _by_name(query, search, name)
        if updated_since is not None:
            # An approval that lapsed (its review date or grace period passed) is not rewritten
            # until the next sweep (expire_due): listed as changed until then, or a syncing
            # client never learns that it ended.
            today = self.now().date()
            lapsed = and_(
                EntryRow.status == Status.APPROVED.value,
                or_(EntryRow.review_due < today, EntryRow.superseded_on <= today),
            )
            changed = EntryRow.updated_at > updated_since.astimezone(UTC).replace(tzinfo=None)
            query = query.where(or_(changed, lapsed))
        with self.database.reading() as session:
            rows = session.scalars(query).all()
            reviews = self._reviews_of(session, [row.id for row in rows])
            entries = [_entry(row, reviews.get(row.id, [])) for row in rows]
        names = {entry.name for entry in entries}
        newest: set[int] = set()
        for each in names:
            _current, latest = self.approved(name=each, limit=1)
            newest |= latest
        return entries, newest

    def pinned_before(self, entry: Entry) -> Entry | None:
        """The newest other entry of the same package, image or endpoint that was approved: the
        version whose tool pins a new request is compared with."""
        _kind, package = identity_key(entry.identity)
        query = (
            select(EntryRow)
            .where(
                EntryRow.kind == entry.identity.kind,
                EntryRow.package == package,
                EntryRow.id != entry.id,
                EntryRow.status.in_(
                    [
                        Status.APPROVED.value,
                        Status.EXPIRED.value,
                        Status.SUPERSEDED.value,
                        Status.REVOKED.value,
                    ]
                ),
            )
            .order_by(EntryRow.id.desc())
            .limit(1)
        )
        if entry.identity.ecosystem is not None:
            query = query.where(EntryRow.ecosystem == entry.identity.ecosystem)
        with self.database.reading() as session:
            row = session.scalar(query)
            return _entry(row, self._reviews(session, row.id)) if row else None

    def approved_release_before(self, identity: Identity) -> Identity | None:
        """The highest version of the same package below ``identity`` that reviewers approved
        (still approved, expired or superseded; not revoked): what a new version is vetted
        against. The registry's previous release may be one nobody reviewed, published
        minutes before with the same backdoor, so that the diff shows nothing."""
        if identity.kind != "package" or identity.ecosystem is None or identity.version is None:
            return None
        from mcpward.advisories import parse_version
        from mcpward.model import Ecosystem

        ecosystem = Ecosystem(identity.ecosystem)
        current = parse_version(ecosystem, identity.version)
        if current is None:
            return None
        _kind, package = identity_key(identity)
        statuses = [Status.APPROVED.value, Status.EXPIRED.value, Status.SUPERSEDED.value]
        query = select(EntryRow.identity).where(
            EntryRow.kind == "package",
            EntryRow.ecosystem == identity.ecosystem,
            EntryRow.package == package,
            EntryRow.status.in_(statuses),
        )
        best: tuple[Any, Identity] | None = None
        with self.database.reading() as session:
            for stored in session.scalars(query).all():
                try:
                    other = Identity.model_validate(stored)
                except ValueError:
                    continue
                key = parse_version(ecosystem, other.version or "")
                if key is not None and key < current and (best is None or key > best[0]):
                    best = (key, other)
        return best[1] if best else None

    def count(self, *, status: Status | Sequence[Status] | None = None, name: str | None = None) -> int:
        query = select(func.count()).select_from(EntryRow)
        if name is not None:
            query = query.where(EntryRow.name == name)
        if status is not None:
            query = query.where(_of_status(status))
        with self.database.reading() as session:
            return int(session.scalar(query) or 0)

    def expire_due(self) -> int:
        """Approved entries past their re-review date become ``expired``, and those whose grace
        period after a newer approval has ended become ``superseded``, each recorded; the number
        of entries changed. Probations whose period ended quietly are granted too
        (:meth:`grant_quiet`)."""
        changed = self._expire()
        self.grant_quiet()
        return changed

    def _expire(self) -> int:
        today = self.now().date()
        changed = 0
        with self._changing() as session:
            rows = session.scalars(
                select(EntryRow)
                .where(
                    EntryRow.status == Status.APPROVED.value,
                    or_(EntryRow.review_due < today, EntryRow.superseded_on <= today),
                )
                .order_by(EntryRow.id)
            ).all()
            for row in rows:
                superseded = row.superseded_on is not None and row.superseded_on <= today
                status = Status.SUPERSEDED if superseded else Status.EXPIRED
                session.execute(
                    update(EntryRow)
                    .where(EntryRow.id == row.id, EntryRow.revision == row.revision)
                    .values(
                        status=status.value,
                        revision=row.revision + 1,
                        round_revision=row.revision + 1,
                        updated_at=self.now(),
                    )
                )
                if superseded:
                    action = "supersede"
                    detail = {"superseded_by": row.superseded_by, "superseded_on": str(row.superseded_on)}
                else:
                    action, detail = "expire", {"review_due": str(row.review_due)}
                self._append(session, "mcpward", action, row.id, detail, _state(session, entries=[row.id]))
                changed += 1
        return changed

    def approval_index(self) -> ApprovalIndex:
        return ApprovalIndex(self.entries(), self.now().date())

    def judging_index(self) -> ApprovalIndex:
        """The approval index of every entry's summary: what judging a server reads (identity,
        status, dates), not the pins a gateway enforces. The fleet's page and API judged with
        every entry built whole, requests waiting included, at each view."""
        return ApprovalIndex(self.entries(identity_only=tuple(Status)), self.now().date())

    # -- the audit trail ---------------------------------------------------------------------

    # -- tokens and browser sessions ---------------------------------------------------------

    # -- the fleet inventory -----------------------------------------------------------------

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _lineage(
        session: Session, rows: Sequence[EntryRow]
    ) -> dict[int, tuple[str, tuple[OtherVersion, ...]]]:
        """For each row: what it is to the other live approvals of the same identity (new,
        update, downgrade or replacement), and those approvals, newest first."""
        packages = sorted({row.package for row in rows})
        live: dict[tuple[str, str | None, str], list[Any]] = {}
        for chunk in in_chunks(packages, 500):
            # Their columns, not the rows: an approval's pins are not read to say what it is.
            query = select(*_LINEAGE_COLUMNS).where(EntryRow.package.in_(chunk), EntryRow.status.in_(_LIVE))
            for other in session.execute(query):
                live.setdefault((other.kind, other.ecosystem, other.package), []).append(other)
        lineage = {}
        for row in rows:
            others = [o for o in live.get((row.kind, row.ecosystem, row.package), []) if o.id != row.id]
            others.sort(key=lambda o: o.id, reverse=True)
            versions = tuple(
                OtherVersion(
                    id=o.id, release=o.release, status=Status(o.status), superseded_on=o.superseded_on
                )
                for o in others
            )
            lineage[row.id] = (_change(row, others), versions)
        return lineage

    @staticmethod
    def _reviews(session: Session, entry_id: int) -> list[ReviewRow]:
        return list(
            session.scalars(select(ReviewRow).where(ReviewRow.entry_id == entry_id).order_by(ReviewRow.id))
        )

    @staticmethod
    def _reviews_of(session: Session, entry_ids: list[int]) -> dict[int, list[ReviewRow]]:
        grouped: dict[int, list[ReviewRow]] = {}
        if not entry_ids:
            return grouped
        for chunk in in_chunks(entry_ids, 500):
            query = select(ReviewRow).where(ReviewRow.entry_id.in_(chunk))
            for review in session.scalars(query.order_by(ReviewRow.id)):
                grouped.setdefault(review.entry_id, []).append(review)
        return grouped


def _check_storable(identity: Identity) -> None:
    """InvalidInput when the identity's key or release is longer than the entries' columns
    hold (on PostgreSQL such a request was an internal error, a 500, a traceback in the log), or
    when enforce could not write it (see _unwritable)."""
    _kind, package = identity_key(identity)
    if len(package) > _PACKAGE_COLUMN or len(identity.release) > _RELEASE_COLUMN:
        raise InvalidInput(
            f"the identity is longer than the registry holds (at most {_PACKAGE_COLUMN} characters "
            f"of package, image or URL without its query, {_RELEASE_COLUMN} of version)"
        )
    problem = _unwritable(identity)
    if problem:
        raise InvalidInput(f"enforce could not write this identity into the clients' files: {problem}")


def _unwritable(identity: Identity) -> str | None:
    """Why ``enforce`` could not write ``identity`` as an approved server (a launch line a
    launcher reads as another source, a name like an option, a URL holding what clients fill in
    from the user's environment), or None. It refuses a policy holding one, whole: approved, one
    such entry stopped every later enforce, so it is refused as a request instead."""
    from pydantic import ValidationError

    from mcpward.enforce import Decision, EnforceError, PolicyServer, direct_launch

    try:
        command, url = direct_launch(identity)
        PolicyServer(name="a/b", key="k", decision=Decision.ALLOW, command=command, url=url)
    except EnforceError as exc:
        return str(exc).removeprefix("entry identity ")
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    return None


#: The widths of the entries' ``package`` and ``release`` columns (see _tables.py).
_PACKAGE_COLUMN = 500
_RELEASE_COLUMN = 255


def _name_taken(session: Session, row: EntryRow) -> list[tuple[str, str]]:
    """The approval policy's objection to ``row``'s name, when it (compared case-insensitively:
    clients show ``io.github.Acme/files`` as ``io.github.acme/files``) is approved for another
    package, image or endpoint: the newest approval of a name is its ``isLatest`` on /v0.1, so
    a request naming another package under a known name took the name's clients with it when
    approved in one click, until 2026-12-05."""
    others = session.scalars(
        select(EntryRow)
        .where(
            func.lower(EntryRow.name) == row.name.lower(),
            EntryRow.status.in_(_LIVE),
            EntryRow.id != row.id,
        )
        .order_by(EntryRow.id.desc())
        .limit(50)
    ).all()
    holders = [
        o for o in others if (o.kind, o.ecosystem, o.package) != (row.kind, row.ecosystem, row.package)
    ]
    if not holders:
        return []
    held = ", ".join(
        sorted({f"{_identity_of(o).name or _identity_of(o).url} (entry {o.id})" for o in holders})
    )
    return [("name", f"the name {holders[0].name} is approved for {held}")]


def _pins_of_their_text(pins: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Pins as they leave the registry: each sha256 recomputed from the canonical text stored
    with it, so that what a gateway enforces is what the reviewer read, even for a pin stored
    before pins were checked or written into the database directly."""
    bound: dict[str, dict[str, str]] = {}
    for key, pin in pins.items():
        text = pin.get("canonical") if isinstance(pin, dict) else None
        if isinstance(text, str):
            bound[str(key)] = {"sha256": _digest_text(text), "canonical": text}
    return bound


def _digest_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


#: The columns a summary reads (see ``_HEAVY``).
_LIGHT_COLUMNS = tuple(getattr(EntryRow, c) for c in _LIGHT)


def _of_status(status: Status | Sequence[Status]) -> Any:
    """The condition that an entry has ``status`` (or one of them)."""
    wanted = [status] if isinstance(status, Status) else list(status)
    return EntryRow.status.in_([s.value for s in wanted])


#: What the lineage compares of the other approvals of an identity (not their pins).
_LINEAGE_COLUMNS = tuple(
    getattr(EntryRow, c)
    for c in ("id", "kind", "ecosystem", "package", "release", "identity", "status", "superseded_on")
)


def _entry(
    row: EntryRow,
    reviews: Sequence[ReviewRow],
    lineage: tuple[str, tuple[OtherVersion, ...]] | None = None,
    advisories: Sequence[dict[str, Any]] | None = None,
    *,
    light: bool = False,
) -> Entry:
    """``light``: a summary, from a row read without its heavy columns (none is touched): no
    pins, ``server.json``, claim, findings, scope, tier reasons or description."""
    if light:
        heavy: dict[str, Any] = {
            "description": None,
            "scope": DataScope(),
            "tier_reasons": (),
            "pins": {},
            "vet_claim": None,
            "inspect_findings": (),
            "server_json": None,
            "worst_inspect": None,
        }
    else:
        heavy = {
            "description": row.description,
            "scope": DataScope.model_validate(row.scope),
            "tier_reasons": tuple(row.tier_reasons),
            "pins": _pins_of_their_text(row.pins),
            "vet_claim": VetOutcome.model_validate(row.vet_claim) if row.vet_claim else None,
            "inspect_findings": tuple(row.inspect_findings),
            "server_json": row.server_json,
            "worst_inspect": _worst(row.inspect_findings),
        }
    change, versions = lineage or ("new", ())
    in_round = [r for r in reviews if r.revision >= row.round_revision]
    approvals = len([r for r in in_round if r.decision == Decision.APPROVE.value])
    return Entry(
        id=row.id,
        name=row.name,
        title=row.title,
        identity=Identity.model_validate(row.identity),
        repository=row.repository,
        repository_verified=row.repository_verified,
        owner=row.owner,
        tier=row.tier,
        derived_tier=row.derived_tier,
        vet=VetOutcome.model_validate(row.vet) if row.vet else None,
        status=Status(row.status),
        revision=row.revision,
        requested_by=row.requested_by,
        requested_at=_utc(row.requested_at),
        updated_at=_utc(row.updated_at),
        review_due=row.review_due,
        reviews=tuple(
            Review(
                reviewer=r.reviewer,
                decision=Decision(r.decision),
                rationale=r.rationale,
                at=_utc(r.at),
                override=r.override,
                read_only_tools=None if r.read_only_tools is None else tuple(r.read_only_tools),
            )
            for r in reviews
        ),
        approvals=approvals,
        approvals_needed=2 if row.tier == 0 else 1,
        advisories=tuple((row.advisories or ()) if advisories is None else advisories),
        read_only_tools=tuple(row.read_only_tools or ()),
        probation_until=row.probation_until,
        write_granted_by=row.write_granted_by,
        change=change,  # type: ignore[arg-type]
        approved_versions=versions,
        superseded_by=row.superseded_by,
        superseded_on=row.superseded_on,
        **heavy,
    )


def _by_name(query: Select[Any], search: str | None, name: str | None) -> Select[Any]:
    """``query`` kept to the entries whose name holds ``search`` (as typed: ``%`` and ``_`` are
    no wildcards) or is ``name``."""
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(EntryRow.name.ilike(f"%{escaped}%", escape="\\"))
    if name is not None:
        query = query.where(EntryRow.name == name)
    return query


def _worst(findings: Sequence[Any]) -> dict[str, Any] | None:
    graded = [f for f in findings if isinstance(f, dict) and f.get("severity") in _SEVERITIES]
    if not graded:
        return None
    worst = max(graded, key=lambda f: _SEVERITIES.index(str(f["severity"])))
    return {key: worst.get(key) for key in ("severity", "rule", "message")}


def _identity_of(row: EntryRow) -> Identity:
    return Identity.model_validate(row.identity)


def _same_identity(query: Select[Any], row: EntryRow) -> Select[Any]:
    ecosystem = EntryRow.ecosystem.is_(None) if row.ecosystem is None else EntryRow.ecosystem == row.ecosystem
    return query.where(EntryRow.kind == row.kind, EntryRow.package == row.package, ecosystem)


def _version_order(kind: str, ecosystem: str | None, version: str | None) -> tuple[str, Any] | None:
    """A sortable form of a version, or None when it has none that can be ordered."""
    if not version:
        return None
    import semver
    from packaging.version import InvalidVersion, Version

    try:
        if kind == "package" and ecosystem == "npm":
            return "semver", semver.Version.parse(version.removeprefix("v"))
        return "pep440", Version(version)
    except (InvalidVersion, ValueError, TypeError):
        return None


def _change(row: EntryRow, others: Sequence[Any]) -> str:
    """``others``: rows, or their lineage columns (:data:`_LINEAGE_COLUMNS`)."""
    if not others:
        return "new"
    mine = _version_order(row.kind, row.ecosystem, row.identity.get("version"))
    theirs = [_version_order(o.kind, o.ecosystem, o.identity.get("version")) for o in others]
    comparable = [t for t in theirs if mine is not None and t is not None and t[0] == mine[0]]
    if mine is not None and any(t[1] > mine[1] for t in comparable):
        return "downgrade"
    if mine is not None and len(comparable) == len(theirs) and all(t[1] < mine[1] for t in comparable):
        return "update"
    return "replacement"


def known_advisories(identity: Identity, vet: Mapping[str, Any] | VetOutcome | None) -> list[dict[str, Any]]:
    """Advisories affecting the exact version, from the offline snapshot and from the advisory
    ids of mcpward's own vet findings; malicious first, then by severity."""
    found: dict[str, dict[str, Any]] = {}
    if identity.kind == "package" and identity.version:
        from mcpward.advisories import advisories_for
        from mcpward.model import Ecosystem, PackageRef

        package = PackageRef(
            ecosystem=Ecosystem(str(identity.ecosystem)),
            name=str(identity.name),
            version=identity.version,
            pinned=True,
        )
        for advisory in advisories_for(package):
            found[advisory.id] = {
                "id": advisory.id,
                "severity": advisory.severity.value,
                "summary": advisory.summary,
                "malicious": advisory.malicious,
                "fixed": list(advisory.fixed),
            }
    findings = vet.findings if isinstance(vet, VetOutcome) else (vet or {}).get("findings", ())
    for finding in findings or ():
        if not isinstance(finding, dict):
            continue
        for advisory_id in finding.get("identifiers") or ():
            found.setdefault(
                str(advisory_id),
                {
                    "id": str(advisory_id),
                    "severity": str(finding.get("severity", "high")),
                    "summary": str(finding.get("message", ""))[:300],
                    "malicious": "malicious" in str(finding.get("rule", "")),
                    "fixed": [],
                },
            )
    return _ordered(found.values())


def _merged(stored: Sequence[Any], current: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {str(a.get("id")): dict(a) for a in stored if isinstance(a, dict)}
    by_id |= {str(a["id"]): a for a in current}
    return _ordered(by_id.values())


def _ordered(advisories: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    def rank(advisory: dict[str, Any]) -> tuple[bool, int, str]:
        severity = str(advisory.get("severity"))
        level = _SEVERITIES.index(severity) if severity in _SEVERITIES else 3
        return (not advisory.get("malicious"), -level, str(advisory.get("id")))

    return sorted(advisories, key=rank)


def policy_refusals(entry: Entry) -> list[tuple[str, str]]:
    """What the approval policy holds against approving ``entry`` without an override, as
    (check, explanation): vet's verdict, a critical inspect finding, a known advisory, a
    downgrade below an approved version."""
    refusals = []
    vet = _vet_refusal(entry)
    if vet:
        refusals.append(("vet", vet))
    critical = [f for f in entry.inspect_findings if f.get("severity") == "critical"]
    if critical:
        rules = ", ".join(sorted({str(f.get("rule")) for f in critical}))
        refusals.append(
            ("inspect-critical", f"inspect found {counted(len(critical), 'critical finding')} ({rules})")
        )
    if entry.advisories:
        malicious = [str(a.get("id")) for a in entry.advisories if a.get("malicious")]
        ids = ", ".join(str(a.get("id")) for a in entry.advisories)
        what = "is a known malicious package" if malicious else "has known advisories"
        refusals.append(("advisory", f"{entry.identity.display} {what} ({ids})"))
    if entry.change == "downgrade":
        newer = [v for v in entry.approved_versions if _is_newer(v.release, entry)]
        listed = ", ".join(f"{v.release} (entry {v.id})" for v in newer) or "a newer version"
        refusals.append(("downgrade", f"{entry.identity.release} is a downgrade: {listed} is approved"))
    return refusals


def _is_newer(release: str, entry: Entry) -> bool:
    kind, ecosystem = entry.identity.kind, entry.identity.ecosystem
    mine = _version_order(kind, ecosystem, entry.identity.version)
    theirs = _version_order(kind, ecosystem, release)
    return mine is not None and theirs is not None and mine[0] == theirs[0] and theirs[1] > mine[1]


def default_grace_days() -> int:
    raw = os.environ.get(GRACE_VARIABLE)
    if raw is None or not raw.strip():
        return SUPERSEDE_GRACE_DAYS
    try:
        return _checked_grace(int(raw))
    except ValueError:
        raise RegistryError(
            f"{GRACE_VARIABLE}={raw!r} is not a number of days from 0 to {MAX_GRACE_DAYS}"
        ) from None


def _checked_grace(days: int) -> int:
    if not 0 <= days <= MAX_GRACE_DAYS:
        raise InvalidInput(f"a grace period is 0 to {MAX_GRACE_DAYS} days, not {days}")
    return days


def _vet_refusal(entry: Entry) -> str | None:
    if entry.identity.kind != "package":
        return None
    if entry.vet is None:
        return f"{entry.identity.display} was not vetted"
    if entry.vet.verdict == "block":
        return f"vet's verdict on {entry.identity.display} is block"
    return None


def _as_whom(actor: str, other: str) -> str:
    """Why ``actor`` counts as ``other``, when their names differ."""
    if actor == other:
        return ""
    return f" ({actor} and {other} are one person, or one acted with a token the other made)"


def _last_decision(entry: Entry) -> str:
    if not entry.reviews:
        return ""
    last = entry.reviews[-1]
    return f" ({last.decision.value} by {last.reviewer} at {last.at:%Y-%m-%d %H:%M:%S} UTC)"


def _changed(row: EntryRow, seen: int, session: Session) -> str:
    session.refresh(row)
    return (
        f"entry {row.id} changed since revision {seen} (now revision {row.revision}, "
        f"{row.status}); reload it and decide again"
    )
