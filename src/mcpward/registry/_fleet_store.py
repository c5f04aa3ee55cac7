"""The fleet inventory: what each (machine, home) last reported, judged against the registry
when it is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from mcpward.registry._audit_trail import AuditTrail, _utc
from mcpward.registry._fleet import (
    STALE_DAYS,
    FleetMachine,
    FleetServer,
    fleet_advisories,
    fleet_key,
    machine_fingerprint,
)
from mcpward.registry._matching import ApprovalIndex, Judgement
from mcpward.registry._tables import FleetServerRow, MachineRow
from mcpward.registry.interface import Conflict, InventoryUpload, ObservedServer


def _stopped(stale_before: datetime) -> Any:
    """Records whose last report is older than ``stale_before`` (compared as stored: UTC
    without a zone on SQLite, as ``published`` compares ``updated_at``)."""
    return MachineRow.reported_at < stale_before.astimezone(UTC).replace(tzinfo=None)


def _machine_of(row: MachineRow) -> str:
    return machine_fingerprint(row.machine if row.machine is not None else row.machine_key)


def _observed(row: FleetServerRow) -> ObservedServer:
    return ObservedServer(
        host=row.host,
        name=row.name,
        config_path=row.config_path,
        kind=row.kind,  # type: ignore[arg-type]
        ecosystem=row.ecosystem,
        package=row.package,
        version=row.version,
        digest=row.digest,
        launch=row.launch,
    )


def _server_count() -> Any:
    """A (machine, home) record's servers, counted on the index of its own rows (a count grouped
    over the whole fleet read every server to list a few records)."""
    return (
        select(func.count())
        .select_from(FleetServerRow)
        .where(FleetServerRow.machine_id == MachineRow.id)
        .correlate(MachineRow)
        .scalar_subquery()
    )


#: A position in the API's fleet lists: the last (record, server) ids read. Records keep their
#: id when reported again, and new ones get higher ids, so what is made meanwhile comes later.
ServerCursor = tuple[int, int]


def _within_quota(
    session: Session,
    machine: MachineRow | None,
    upload: InventoryUpload,
    reporter: str,
    max_records: int | None,
    max_servers: int | None,
) -> None:
    """Conflict when ``upload`` would make ``reporter`` the last reporter of more records, or of
    more servers, than it may be. Counted only when the report adds to what is the reporter's
    (a new record, or more servers than its record had): a machine's next like report reads
    nothing more."""
    own = machine is not None and machine.reported_by == reporter
    if max_records is not None and not own:
        held = session.scalar(
            select(func.count()).select_from(MachineRow).where(MachineRow.reported_by == reporter)
        )
        if int(held or 0) >= max_records:
            raise Conflict(
                f"the last reports of {max_records} (machine, home) records are this token's, its "
                "limit: nothing was stored (an admin raises `registry serve --fleet-records-per-token`)"
            )
    if max_servers is None or not upload.servers:
        return
    before = 0
    if own and machine is not None:
        before = int(
            session.scalar(
                select(func.count())
                .select_from(FleetServerRow)
                .where(FleetServerRow.machine_id == machine.id)
            )
            or 0
        )
    if len(upload.servers) <= before:
        return
    held = session.scalar(
        select(func.count())
        .select_from(FleetServerRow)
        .join(MachineRow, MachineRow.id == FleetServerRow.machine_id)
        .where(MachineRow.reported_by == reporter)
    )
    if int(held or 0) - before + len(upload.servers) > max_servers:
        raise Conflict(
            f"this token's reports would hold more than {max_servers} servers, its limit: nothing "
            "was stored (an admin raises `registry serve --fleet-servers-per-token`)"
        )


#: What a fleet server's list shows of its (machine, home) record: host name, last report, home,
#: machine fingerprint, who reported it (read in the session: its rows are not usable after).
_Record = tuple[str, datetime, str | None, str, str]


def _record(machine: MachineRow) -> _Record:
    return (
        machine.hostname,
        _utc(machine.reported_at),
        machine.home,
        _machine_of(machine),
        machine.reported_by,
    )


def _judged(read: list[tuple[_Record, ObservedServer, Judgement]]) -> list[FleetServer]:
    advisories = fleet_advisories(observed for _, observed, _ in read)
    return [
        FleetServer(
            hostname=hostname,
            reported_at=reported_at,
            server=observed,
            judgement=judgement,
            home=home,
            machine=label,
            reported_by=reporter,
            advisories=advisories.get(observed, ()),
        )
        for (hostname, reported_at, home, label, reporter), observed, judgement in read
    ]


def _listed(row: MachineRow, servers: int | None, now: datetime, stale_before: datetime) -> FleetMachine:
    return FleetMachine(
        machine=_machine_of(row),
        hostname=row.hostname,
        home=row.home,
        os=row.os,
        reported_by=row.reported_by,
        reported_at=_utc(row.reported_at),
        servers=int(servers or 0),
        stale=_utc(row.reported_at) < stale_before,
        age_seconds=int((now - _utc(row.reported_at)).total_seconds()),
    )


class FleetStore(AuditTrail):
    def approval_index(self) -> ApprovalIndex:  # the entries' (Registry)
        raise NotImplementedError

    def judging_index(self) -> ApprovalIndex:  # the entries' summaries (Registry)
        raise NotImplementedError

    def record_inventory(
        self,
        upload: InventoryUpload,
        reporter: str,
        *,
        max_records: int | None = None,
        max_servers: int | None = None,
    ) -> int:
        """Replace what one (machine, home) reported before, and nothing else; returns the
        number of servers stored. ``max_records``, ``max_servers``: the most (machine, home)
        records, and servers in them, whose last report may be ``reporter``'s; a report that
        would pass either is a conflict, and nothing of it is stored."""
        now = self.now()
        key = fleet_key(upload.machine_id, upload.home)
        with self.database.writing() as session:
            machine = session.scalar(select(MachineRow).where(MachineRow.machine_key == key))
            _within_quota(session, machine, upload, reporter, max_records, max_servers)
            if machine is None:
                machine = MachineRow(
                    machine_key=key,
                    machine=upload.machine_id,
                    home=upload.home,
                    hostname=upload.hostname,
                    os=upload.os,
                    reported_by=reporter,
                    reported_at=now,
                )
                session.add(machine)
                session.flush()
            else:
                machine.hostname, machine.os, machine.reported_by, machine.reported_at = (
                    upload.hostname,
                    upload.os,
                    reporter,
                    now,
                )
                session.execute(delete(FleetServerRow).where(FleetServerRow.machine_id == machine.id))
            if upload.servers:
                session.execute(
                    insert(FleetServerRow),
                    [{"machine_id": machine.id, **server.model_dump()} for server in upload.servers],
                )
        return len(upload.servers)

    def fleet(
        self, *, status: str | None = None, limit: int = 500, offset: int = 0, read_at_most: int | None = None
    ) -> tuple[list[FleetServer], int]:
        """Every server of every (machine, home) with its approval status and the advisories
        known for its version, and the total count.

        A status filter is applied after judging (statuses are not stored: they change when the
        registry does), so it reads every row, or the first ``read_at_most`` (then the total is
        of those); the fleet view pages the unfiltered list."""
        index = self.judging_index()
        query = (
            select(MachineRow, FleetServerRow)
            .join(MachineRow, MachineRow.id == FleetServerRow.machine_id)
            .order_by(
                MachineRow.hostname,
                MachineRow.home,
                FleetServerRow.host,
                FleetServerRow.name,
                FleetServerRow.id,
            )
        )
        with self.database.reading() as session:
            if status is None:
                total = int(session.scalar(select(func.count()).select_from(FleetServerRow)) or 0)
                rows = session.execute(query.offset(offset).limit(limit)).all()
            else:
                rows = session.execute(query.limit(read_at_most)).all()
                total = 0
            read = [(_record(machine), _observed(row)) for machine, row in rows]
        judged = _judged([(record, observed, index.judge(observed)) for record, observed in read])
        if status is not None:
            judged = [item for item in judged if item.judgement.status == status]
            total = len(judged)
            judged = judged[offset : offset + limit]
        return judged, total

    def machines(self, *, stale: bool | None = None, limit: int | None = None) -> list[FleetMachine]:
        """Every (machine, home) that ever reported, those with no servers and those that
        stopped reporting too, with the date of its last report; ``stale``: only those that
        stopped (True) or not (False); ``limit``: the first so many."""
        now = self.now()
        stale_before = now - timedelta(days=STALE_DAYS)
        query = (
            select(MachineRow, _server_count())
            .order_by(MachineRow.hostname, MachineRow.home, MachineRow.id)
            .limit(limit)
        )
        if stale is not None:
            query = query.where(_stopped(stale_before) if stale else ~_stopped(stale_before))
        with self.database.reading() as session:
            return [_listed(row, servers, now, stale_before) for row, servers in session.execute(query).all()]

    def fleet_after(
        self,
        after: ServerCursor | None,
        *,
        status: str | None,
        limit: int,
        offset: int = 0,
        read_at_most: int,
    ) -> tuple[list[FleetServer], ServerCursor | None]:
        """The servers after ``after`` in the order their records were made (``None``: from the
        first), at most ``limit`` of them, the first ``offset`` (of those ``status`` keeps) left
        out, and where to read on (``None``: nothing more). Reads at most ``read_at_most`` rows:
        a status filter that matches few of them answers fewer, or none, and where to read on."""
        index = self.judging_index()
        query = select(MachineRow, FleetServerRow).join(
            MachineRow, MachineRow.id == FleetServerRow.machine_id
        )
        if after is not None:
            machine_id, server_id = after
            query = query.where(
                or_(
                    FleetServerRow.machine_id > machine_id,
                    and_(FleetServerRow.machine_id == machine_id, FleetServerRow.id > server_id),
                )
            )
        query = query.order_by(FleetServerRow.machine_id, FleetServerRow.id)
        if status is None:
            query = query.offset(offset).limit(min(limit + 1, read_at_most))
        else:
            query = query.limit(read_at_most)
        with self.database.reading() as session:
            read = [
                (_record(machine), row.machine_id, row.id, _observed(row))
                for machine, row in session.execute(query)
            ]
        kept: list[tuple[_Record, ObservedServer, Judgement]] = []
        cursor: ServerCursor | None = None
        skipped = 0 if status is None else offset
        for position, (record, machine_id, server_id, observed) in enumerate(read):
            judgement = index.judge(observed)
            if status is not None and judgement.status != status:
                continue
            if skipped:
                skipped -= 1
                continue
            kept.append((record, observed, judgement))
            if len(kept) == limit:
                if position + 1 < len(read) or len(read) == read_at_most:
                    cursor = (machine_id, server_id)
                break
        else:
            if read and len(read) == read_at_most:
                cursor = read[-1][1], read[-1][2]
        return _judged(kept), cursor

    def machines_after(
        self, after: int | None, *, stale: bool | None, limit: int, read_at_most: int
    ) -> tuple[list[FleetMachine], int | None]:
        """The (machine, home) records after the record ``after`` in the order they were made,
        at most ``limit``, and where to read on (``None``: nothing more). Reads at most
        ``read_at_most`` records: a ``stale`` filter that keeps few answers fewer, or none."""
        now = self.now()
        stale_before = now - timedelta(days=STALE_DAYS)
        window = select(MachineRow.id).order_by(MachineRow.id).limit(read_at_most)
        if after is not None:
            window = window.where(MachineRow.id > after)
        ids = window.subquery()
        query = (
            select(MachineRow, _server_count())
            .where(MachineRow.id.in_(select(ids.c.id)))
            .order_by(MachineRow.id)
            .limit(limit + 1)
        )
        if stale is not None:
            query = query.where(_stopped(stale_before) if stale else ~_stopped(stale_before))
        with self.database.reading() as session:
            rows = session.execute(query).all()
            cursor: int | None = None
            if len(rows) > limit:
                rows = rows[:limit]
                cursor = rows[-1][0].id
            else:
                read, last = session.execute(select(func.count(), func.max(ids.c.id))).one()
                if int(read or 0) == read_at_most:
                    cursor = int(last)
            return [_listed(row, servers, now, stale_before) for row, servers in rows], cursor

    def machine_count(self) -> int:
        """Machines, not homes: the records of one machine's homes count once."""
        reported = func.coalesce(MachineRow.machine, MachineRow.machine_key)
        with self.database.reading() as session:
            return int(session.scalar(select(func.count(func.distinct(reported)))) or 0)

    def home_count(self, *, stale: bool | None = None) -> int:
        query = select(func.count()).select_from(MachineRow)
        if stale is not None:
            stale_before = self.now() - timedelta(days=STALE_DAYS)
            query = query.where(_stopped(stale_before) if stale else ~_stopped(stale_before))
        with self.database.reading() as session:
            return int(session.scalar(query) or 0)

    def server_count(self) -> int:
        with self.database.reading() as session:
            return int(session.scalar(select(func.count()).select_from(FleetServerRow)) or 0)
