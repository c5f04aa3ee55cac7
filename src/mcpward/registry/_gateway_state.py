"""What gateway replicas share through the registry database: the tool pins every replica
compares a server's tools with, the changes held back for a reviewer, and the baseline's learned
profile of each tool (merged from the traffic of all replicas)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite

from mcpward.registry._audit_trail import AuditTrail
from mcpward.registry._database import in_chunks
from mcpward.registry._tables import GatewayPinnedServerRow, GatewayPinRow, GatewayProfileRow
from mcpward.registry.interface import InvalidInput

#: "kind:name" -> {"sha256": ..., "canonical": ...}, as the pin file holds one server's pins.
PinRecord = dict[str, dict[str, str]]

_PINNED, _PENDING = "pinned", "pending"
#: Bounds of a learned profile, as the baseline keeps them.
MAX_FIELDS, MAX_DESTINATIONS = 200, 1000


@dataclass(slots=True)
class ProfileDelta:
    """What one replica saw of a tool since it last merged: added to the shared profile."""

    calls: int
    first: float
    last: float
    fields: set[str] = field(default_factory=set)
    destinations: set[str] = field(default_factory=set)


class GatewayStateStore(AuditTrail):
    def _insert_or_skip(self, table: Any) -> Any:
        """An INSERT that leaves an existing row (same key) as it is, in the database's dialect."""
        dialect = postgresql if self.database.dialect == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

    # -- pins ------------------------------------------------------------------------------------

    def gateway_pins(self, server: str) -> PinRecord | None:
        """The pins of ``server``, or None when no gateway has pinned it yet."""
        with self.database.reading() as session:
            if session.get(GatewayPinnedServerRow, server) is None:
                return None
            return _record(session.scalars(_rows(server, _PINNED)))

    def gateway_pending_pins(self, server: str) -> PinRecord:
        with self.database.reading() as session:
            return _record(session.scalars(_rows(server, _PENDING)))

    def pin_on_first_use(self, server: str, record: PinRecord) -> PinRecord | None:
        """Pin ``record`` as ``server``'s tools unless a gateway pinned the server first: None
        when these pins now stand, else the pins that were there (the first lister wins, so two
        replicas that list a new server at once end up comparing with the same pins)."""
        with self.database.writing() as session:
            claimed = session.scalar(  # a row back only when this insert wrote it
                self._insert_or_skip(GatewayPinnedServerRow)
                .values(server=server, pinned_at=self.now())
                .returning(GatewayPinnedServerRow.server)
            )
            if claimed is not None:
                _write(session, server, _PINNED, record)
                return None
            return _record(session.scalars(_rows(server, _PINNED)))

    def pin_more_on_first_use(self, server: str, record: PinRecord) -> PinRecord:
        """Pin the items of ``record`` that ``server`` has no pin of (the later pages of the
        tool list a gateway pinned on first use): the pins of those items as they now stand,
        another replica's where it pinned one first (a pin is never replaced here)."""
        if not record:
            return {}
        with self.database.writing() as session:
            session.execute(
                self._insert_or_skip(GatewayPinnedServerRow).values(server=server, pinned_at=self.now())
            )
            rows = [
                {"server": server, "item": item, "state": _PINNED, "sha256": pin["sha256"],
                 "canonical": pin["canonical"]}
                for item, pin in sorted(record.items())
            ]  # fmt: skip
            session.execute(self._insert_or_skip(GatewayPinRow), rows)
            # The server's pins read whole and chosen here: a list of the page's items in the
            # statement is bounded (PostgreSQL takes 65,535 parameters), and in chunks its
            # prepared plan compares every row with every item of a chunk.
            return _record(row for row in session.scalars(_rows(server, _PINNED)) if row.item in record)

    def hold_pins(self, server: str, record: PinRecord, *, keep: int = 0) -> None:
        """Replace the signatures of ``server`` waiting for a reviewer with ``record``, those of
        the kinds ``record`` holds (a tool list's wait does not drop the instructions' wait);
        up to ``keep`` of those, only those of the items ``record`` holds (a page of a list)."""
        if not record:
            return
        kinds = {key.split(":", 1)[0] for key in record}
        of_kinds = or_(*(GatewayPinRow.item.startswith(f"{kind}:", autoescape=True) for kind in kinds))
        with self.database.writing() as session:
            waiting = session.scalar(
                select(func.count())
                .select_from(GatewayPinRow)
                .where(GatewayPinRow.server == server, GatewayPinRow.state == _PENDING, of_kinds)
            )
            replace = (waiting or 0) > keep
            for kind in sorted(kinds) if replace else ():
                session.execute(
                    delete(GatewayPinRow).where(
                        GatewayPinRow.server == server,
                        GatewayPinRow.state == _PENDING,
                        GatewayPinRow.item.startswith(f"{kind}:", autoescape=True),
                    )
                )
            items = [] if replace else sorted(record)
            _custom_plans(session)
            for chunk in in_chunks(items):
                session.execute(
                    delete(GatewayPinRow).where(
                        GatewayPinRow.server == server,
                        GatewayPinRow.state == _PENDING,
                        GatewayPinRow.item.in_(chunk),
                    )
                )
            _write(session, server, _PENDING, record)

    def approve_gateway_pins(
        self,
        server: str,
        actor: str,
        tools: Iterable[str] | None = None,
        *,
        expected: Iterable[str] | None = None,
    ) -> list[str]:
        """Move the waiting signatures of ``server`` (all, or the named tools) into its pins, with
        an event in the registry's audit trail; the names approved. A name that fits two waiting
        signatures approves neither (see ``inspect.chosen_pins``); with ``expected``, one waiting
        that is not a version the reviewer read refuses them all (``inspect.check_expected``)."""
        from mcpward.inspect import check_expected, chosen_pins

        with self._changing() as session:
            pending = list(session.scalars(_rows(server, _PENDING).with_for_update()))
            try:
                wanted = None if tools is None else set(chosen_pins((row.item for row in pending), tools))
                chosen = [row for row in pending if wanted is None or row.item in wanted]
                check_expected({row.item: row.sha256 for row in chosen}, expected or ())
            except ValueError as exc:
                raise InvalidInput(f"pins of {server}: {exc}") from None
            if not chosen:
                return []
            session.execute(
                self._insert_or_skip(GatewayPinnedServerRow).values(server=server, pinned_at=self.now())
            )
            items = [row.item for row in chosen]
            _custom_plans(session)
            for chunk in in_chunks(items):
                # Not matched against the rows loaded above in Python (each chunk against every
                # row: minutes for 70,000): they are not used again.
                session.execute(
                    delete(GatewayPinRow)
                    .where(GatewayPinRow.server == server, GatewayPinRow.item.in_(chunk))
                    .execution_options(synchronize_session=False)
                )
            record = {row.item: {"sha256": row.sha256, "canonical": row.canonical} for row in chosen}
            _write(session, server, _PINNED, record)
            detail = {
                "server": server,
                "tools": {item: pin["sha256"] for item, pin in sorted(record.items())},
            }
            self._append(session, actor, "gateway-pins-approve", None, detail)
        return sorted(item.split(":", 1)[1] for item in items)

    # -- the baseline's profiles -----------------------------------------------------------------

    def merge_profiles(self, deltas: Mapping[str, ProfileDelta]) -> dict[str, dict[str, Any]]:
        """Add what a replica saw to the shared profiles; every profile as it now stands."""
        if deltas:
            with self.database.writing() as session:
                session.execute(
                    self._insert_or_skip(GatewayProfileRow),
                    [
                        {
                            "tool_key": key,
                            "calls": 0,
                            "first_seen": delta.first,
                            "last_seen": delta.last,
                            "fields": [],
                            "destinations": [],
                        }
                        for key, delta in sorted(deltas.items())
                    ],
                )
                keys = sorted(deltas)
                _custom_plans(session)
                rows = (
                    row
                    for chunk in in_chunks(keys)
                    for row in session.scalars(
                        select(GatewayProfileRow)
                        .where(GatewayProfileRow.tool_key.in_(chunk))
                        .order_by(GatewayProfileRow.tool_key)
                        .with_for_update()
                    )
                )
                for row in rows:
                    delta = deltas[row.tool_key]
                    row.calls += delta.calls
                    row.first_seen = min(row.first_seen, delta.first)
                    row.last_seen = max(row.last_seen, delta.last)
                    # New lists, not changed ones: the ORM writes a JSON column it sees replaced.
                    row.fields = sorted(set(row.fields) | delta.fields)[:MAX_FIELDS]
                    row.destinations = sorted(set(row.destinations) | delta.destinations)[:MAX_DESTINATIONS]
        return self.profiles()

    def profiles(self) -> dict[str, dict[str, Any]]:
        """Every tool's learned profile, in the baseline's own shape."""
        with self.database.reading() as session:
            return {
                row.tool_key: {
                    "calls": row.calls,
                    "first": row.first_seen,
                    "last": row.last_seen,
                    "fields": list(row.fields),
                    "destinations": list(row.destinations),
                }
                for row in session.scalars(select(GatewayProfileRow))
            }


def _rows(server: str, state: str) -> Any:
    return (
        select(GatewayPinRow)
        .where(GatewayPinRow.server == server, GatewayPinRow.state == state)
        .order_by(GatewayPinRow.item)
    )


def _custom_plans(session: Any) -> None:
    """Statements that name items in chunks (``in_chunks``) planned for their
    values on PostgreSQL, for the rest of the transaction: psycopg prepares a statement run
    five times, and the generic plan of ``item IN ($1, ..., $1000)`` compared every row of the
    table with every item of the chunk (70,000 waits of a page kept took a minute, not 3 s)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _record(rows: Iterable[GatewayPinRow]) -> PinRecord:
    return {row.item: {"sha256": row.sha256, "canonical": row.canonical} for row in rows}


def _write(session: Any, server: str, state: str, record: PinRecord) -> None:
    if record:
        session.execute(
            insert(GatewayPinRow),
            [
                {
                    "server": server,
                    "item": item,
                    "state": state,
                    "sha256": pin["sha256"],
                    "canonical": pin["canonical"],
                }
                for item, pin in sorted(record.items())
            ],
        )
