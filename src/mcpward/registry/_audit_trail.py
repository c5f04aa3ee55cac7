"""The registry's audit trail: every change appends an event in the same write transaction, each
event hashed onto the one before and sealed with a key kept outside the database, its head
mirrored to a file; ``verify_audit`` finds an altered, removed or recomputed event and a change
made to entries, reviews or tokens behind the trail's back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Select, func, insert, select, text, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from mcpward._anchor import same_secret
from mcpward._regex import compiled
from mcpward.registry._anchor import AuditAnchor
from mcpward.registry._database import Database, in_chunks
from mcpward.registry._tables import AuditRow, EntryRow, ReviewRow, TokenRow
from mcpward.registry.interface import AuditEvent, RegistryError

_GENESIS = "0" * 64

_AUDIT_LOCK = 7_160_410_002

#: Where a write transaction keeps the (seq, hash) of the last event it appended.
_HEAD = "mcpward_audit_head"

#: The prefix of the state item naming the API token an event's change was made with.
_ACTING = "by-token:"


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive times; everything here is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _acting_problem(seq: int, item: str, digest: str, recorded: Mapping[str, tuple[str, int]]) -> str | None:
    """A change made with a token that was not, at that moment, as mcpward last recorded it."""
    token = item.removeprefix(_ACTING)
    before = recorded.get(f"token:{token}")
    if before is None:
        return (
            f"event {seq} was made with token {token}, which no earlier audit event records: "
            "it was added outside mcpward"
        )
    if before[0] != digest:
        return (
            f"event {seq} was made with token {token} as no audit event recorded it (audit event "
            f"{before[1]} did): it was changed outside mcpward"
        )
    return None


def _event_hash(
    previous: str,
    at: datetime,
    actor: str,
    action: str,
    entry_id: int | None,
    detail: dict[str, Any],
    state: Mapping[str, Any] | None = None,
) -> str:
    fields: dict[str, Any] = {
        "at": _utc(at).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "entry": entry_id,
        "detail": detail,
    }
    if state is not None:  # events from before anchoring have none, and hash as they did
        fields["state"] = dict(state)
    body = json.dumps(
        fields,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return _digest(previous + body)


def _state(
    session: Session,
    *,
    entries: Sequence[int] | None = (),
    tokens: Sequence[int] | None = (),
    acting: int | None = None,
) -> dict[str, str]:
    """Digests of entries (with their reviews) and API tokens as the database holds them now,
    "entry:ID" / "token:ID" -> digest; None means every row of that table. Read with plain
    SELECTs, so what is digested is what is stored, not what the session believes.

    ``acting``: the API token the change is made with, as "by-token:ID" -> digest. Verify
    requires it to be as an earlier event recorded it, so a token planted in the database (or
    its role raised for a moment), used, then deleted or set back, is seen."""
    entry_table, review_table, token_table = EntryRow.__table__, ReviewRow.__table__, TokenRow.__table__
    state: dict[str, str] = {}
    for chosen in _chunks(entries):
        query = _stored(entry_table)
        reviews_query = _stored(review_table).order_by(review_table.c.id)
        if chosen is not None:
            query = query.where(entry_table.c.id.in_(chosen))
            reviews_query = reviews_query.where(review_table.c.entry_id.in_(chosen))
        reviews: dict[int, list[dict[str, Any]]] = {}
        for review in session.execute(reviews_query).mappings():
            reviews.setdefault(int(review["entry_id"]), []).append(_plain_row(review))
        for row in session.execute(query).mappings():
            body = {"row": _plain_row(row), "reviews": reviews.get(int(row["id"]), [])}
            state[f"entry:{row['id']}"] = _digest(_canonical_json(body))
    for chosen in _chunks(tokens):
        token_query = _stored(token_table)
        if chosen is not None:
            token_query = token_query.where(token_table.c.id.in_(chosen))
        for row in session.execute(token_query).mappings():
            state[f"token:{row['id']}"] = _digest(_canonical_json(_plain_row(row)))
    if acting is not None:
        used = session.execute(_stored(token_table).where(token_table.c.id == acting)).mappings().first()
        state[f"{_ACTING}{acting}"] = _digest(_canonical_json(_plain_row(used))) if used else "missing"
    return state


def _chunks(ids: Sequence[int] | None) -> Iterator[Sequence[int] | None]:
    """None (every row) once, else ``ids`` in chunks (``in_chunks``; revoking more tokens of one
    name than a statement takes parameters failed, and left them valid); nothing for none."""
    if ids is None:
        yield None
    else:
        yield from in_chunks(ids)


def _stored(table: Any) -> Select[Any]:
    """A SELECT of every column of ``table`` with dates and times as the database stores them:
    not through SQLAlchemy's converter, which reads more than it writes (an ISO week date
    "2026-W49-2" as a date) and raises on a value of another type (SQLite keeps any type)."""
    columns = [
        type_coerce(column, NullType()).label(column.name)
        if isinstance(column.type, Date | DateTime)
        else column
        for column in table.c
    ]
    return select(*columns)


#: How SQLAlchemy writes a date and a time into SQLite (text); PostgreSQL hands back objects.
_STORED_DATE = compiled(r"\d{4}-\d{2}-\d{2}")

_STORED_TIME = compiled(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}")

#: Columns added after the trail was anchored (0004): NULL in them is left out of a row's
#: digest, so that rows recorded before the migration still match what their events recorded.
_LATER_COLUMNS = frozenset(
    {
        "advisories",
        "superseded_by",
        "superseded_on",
        "read_only_tools",
        "probation_until",
        "write_granted_by",
        "requester_person",
        "requester_minted_by",
        "reviewer_person",
        "reviewer_minted_by",
        "person",
        "minted_by",
    }
)


def _plain_row(row: Mapping[Any, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for column, value in row.items():
        if value is None and str(column) in _LATER_COLUMNS:
            continue
        if isinstance(value, datetime):
            value = _utc(value).isoformat(timespec="microseconds")
        elif isinstance(value, date):
            value = value.isoformat()
        elif str(column) in _DATE_COLUMNS and value is not None:
            value = _stored_date(value)
        plain[str(column)] = value
    return plain


def _stored_date(value: Any) -> Any:
    """A date or time as SQLite stores it: digested like the value it is when it is spelled as
    mcpward writes it; otherwise (another spelling of the same day, another type) as stored, so
    that the row no longer matches what its audit event recorded."""
    try:
        if isinstance(value, str) and _STORED_TIME.fullmatch(value):
            return _utc(datetime.fromisoformat(value)).isoformat(timespec="microseconds")
        if isinstance(value, str) and _STORED_DATE.fullmatch(value):
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    return {"stored": repr(value)}


#: The date and time columns of the tables digested into the audit trail.
_DATE_COLUMNS = frozenset(
    column.name
    for table in (EntryRow.__table__, ReviewRow.__table__, TokenRow.__table__)
    for column in table.c
    if isinstance(column.type, Date | DateTime)
)


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class AuditTrail:
    """What every part of the registry service shares: the database, the clock, the audit
    anchor, and the one way a change is written (with its event)."""

    database: Database
    _clock: Callable[[], datetime]
    anchor: AuditAnchor

    def now(self) -> datetime:
        return self._clock()

    def generation(self) -> int:
        """A number that changes whenever anything in the registry does (every change appends
        an audit event): what caches of its answers are keyed on."""
        with self.database.reading() as session:
            return int(session.scalar(select(func.max(AuditRow.seq))) or 0)

    @contextmanager
    def _changing(self) -> Iterator[Session]:
        """A write transaction that appends audit events; once it commits, the chain's new head
        is recorded outside the database."""
        with self.database.writing() as session:
            yield session
            head = session.info.get(_HEAD)
        if head is not None:
            self.anchor.advance(self.database.display, head[0], head[1])

    def _append(
        self,
        session: Session,
        actor: str,
        action: str,
        entry_id: int | None,
        detail: dict[str, Any],
        state: dict[str, str] | None = None,
    ) -> None:
        if self.database.dialect == "postgresql":
            # One appender at a time, so that each event chains onto the one before it.
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK})
        last = session.execute(
            select(AuditRow.hash, AuditRow.mac).order_by(AuditRow.seq.desc()).limit(1)
        ).first()
        signed = session.scalar(select(AuditRow.seq).where(AuditRow.mac.is_not(None)).limit(1)) is not None
        key = self.anchor.key(create=not signed)
        if key is None:
            raise RegistryError(
                f"the registry's audit key {self.anchor.key_file} is missing, but this database's "
                "trail was signed with one: restore the key file (or set MCPWARD_REGISTRY_KEY to it); "
                "nothing was changed"
            )
        if (
            last is not None
            and last[1] is not None
            and not same_secret(last[1], self.anchor.mac(key, last[0]))
        ):
            # Signing on with another key would make the trail unverifiable for every holder.
            raise RegistryError(
                f"the audit key {self.anchor.key_file} is not the key this database's trail is signed "
                "with (the newest event does not verify with it): copy the key file of the hosts that "
                "write this database, or set MCPWARD_REGISTRY_KEY to it; nothing was changed"
            )
        previous = last[0] if last else _GENESIS
        if last is not None and not signed:
            # A trail from before anchoring: sign an event that records every entry and token
            # as they are now, so that from here on they are bound to the chain.
            anchor_state = _state(session, entries=None, tokens=None)
            previous = self._insert_event(session, key, previous, "mcpward", "anchor", None, {}, anchor_state)
        self._insert_event(session, key, previous, actor, action, entry_id, detail, state)

    def _insert_event(
        self,
        session: Session,
        key: bytes,
        previous: str,
        actor: str,
        action: str,
        entry_id: int | None,
        detail: dict[str, Any],
        state: dict[str, str] | None,
    ) -> str:
        at = self.now()
        event_hash = _event_hash(previous, at, actor, action, entry_id, detail, state)
        seq = session.scalar(
            insert(AuditRow)
            .values(
                at=at,
                actor=actor,
                action=action,
                entry_id=entry_id,
                detail=detail,
                prev_hash=previous,
                hash=event_hash,
                state=state,
                mac=self.anchor.mac(key, event_hash),
            )
            .returning(AuditRow.seq)
        )
        session.info[_HEAD] = (int(seq or 0), event_hash)
        return event_hash

    def audit(self, entry_id: int | None = None, *, limit: int = 1000) -> list[AuditEvent]:
        query = select(AuditRow).order_by(AuditRow.seq.desc()).limit(limit)
        if entry_id is not None:
            query = query.where(AuditRow.entry_id == entry_id)
        with self.database.reading() as session:
            return [
                AuditEvent(
                    seq=row.seq,
                    at=_utc(row.at),
                    actor=row.actor,
                    action=row.action,
                    entry_id=row.entry_id,
                    detail=row.detail,
                    hash=row.hash,
                )
                for row in session.scalars(query)
            ]

    def verify_audit(self) -> str | None:
        """None when the trail holds; else the first problem found.

        Detected: an event altered, removed from the middle or inserted; events written or
        re-signed without the audit key (a recomputed chain); the newest events deleted or the
        trail emptied, back to before the head this host recorded; an entry (with its reviews)
        or an API token added, changed or deleted other than through mcpward. Not detected:
        changes made with the key file in hand; the newest events deleted on a host that did not
        write them; rows of other tables (sessions, fleet inventory, gateway mirror)."""
        key = self.anchor.key(create=False)
        head = self.anchor.head(self.database.display)
        previous = _GENESIS
        signed = False
        last_seq = 0
        recorded: dict[str, tuple[str, int]] = {}
        with self.database.reading() as session:
            for row in session.scalars(select(AuditRow).order_by(AuditRow.seq)):
                if row.prev_hash != previous:
                    return f"event {row.seq} does not follow the event before it"
                if not isinstance(row.detail, dict) or not isinstance(row.state, dict | None):
                    return f"event {row.seq} was altered"
                expected = _event_hash(
                    previous, _utc(row.at), row.actor, row.action, row.entry_id, row.detail, row.state
                )
                if row.hash != expected:
                    return f"event {row.seq} was altered"
                if row.mac is None:
                    if signed:
                        return (
                            f"event {row.seq} is not signed with the audit key: it was written around mcpward"
                        )
                elif key is None:
                    return (
                        f"the audit key {self.anchor.key_file} is missing: the signed trail cannot be "
                        "checked (restore the key file, or set MCPWARD_REGISTRY_KEY to it)"
                    )
                elif not same_secret(row.mac, self.anchor.mac(key, row.hash)):
                    return (
                        f"event {row.seq} is not signed with this registry's audit key "
                        "(altered, or the chain was recomputed)"
                    )
                else:
                    signed = True
                for item, digest in (row.state or {}).items():
                    if item.startswith(_ACTING):
                        problem = _acting_problem(row.seq, item, str(digest), recorded)
                        if problem:
                            return problem
                        continue
                    recorded[item] = (str(digest), row.seq)
                previous = row.hash
                last_seq = row.seq
            if head is not None:
                head_seq, head_hash = head
                if head_seq > last_seq:
                    return (
                        f"the trail ends at event {last_seq}, but event {head_seq} was recorded in "
                        f"{self.anchor.heads_file}: the newest events were deleted"
                    )
                at_head = session.execute(
                    select(AuditRow.hash, AuditRow.mac).where(AuditRow.seq == head_seq)
                ).first()
                if at_head is None or at_head[0] != head_hash or at_head[1] is None:
                    return (
                        f"event {head_seq} is not the signed event recorded in {self.anchor.heads_file}: "
                        "the trail was replaced"
                    )
            if not signed:
                if key is not None and last_seq:
                    # Without a head here, an old trail and one stripped of its MACs and
                    # recomputed by whoever can write the database look the same: a host with
                    # the key (a second writer, a reviewer's copy) must not call it whole.
                    return (
                        f"no event of the trail is signed, though this host has the audit key "
                        f"{self.anchor.key_file}: it is a trail from before anchoring (any change "
                        "anchors it), or one stripped of its signatures and rewritten in the database"
                    )
                return None  # a trail from before anchoring: its rows are bound from the next change on
            current = _state(session, entries=None, tokens=None)
        for item, digest in current.items():
            if item not in recorded:
                return f"{item.replace(':', ' ')} was added outside mcpward: no audit event records it"
            if recorded[item][0] != digest:
                return (
                    f"{item.replace(':', ' ')} was changed outside mcpward: it is not as audit event "
                    f"{recorded[item][1]} recorded it"
                )
        for item, (_digest_value, seq) in recorded.items():
            if item not in current:
                return f"{item.replace(':', ' ')} was deleted outside mcpward (audit event {seq} recorded it)"
        return None
