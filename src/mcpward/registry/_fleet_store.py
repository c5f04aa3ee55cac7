"""The fleet inventory: what each (machine, home) last reported, judged against the registry
when it is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
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
from mcpward.registry._matching import ApprovalIndex
from mcpward.registry._tables import FleetServerRow, MachineRow
from mcpward.registry.interface import Conflict, InventoryUpload, ObservedServer


def _stopped(stale_before: datetime) -> Any:
    """Records whose last report is older than ``stale_before`` (compared as stored: UTC
    without a zone on SQLite, as ``published`` compares ``updated_at``)."""
    return MachineRow.reported_at < stale_before.astimezone(UTC).replace(tzinfo=None)


def _machine_of(row: MachineRow) -> str:
    return machine_fingerprint(row.machine if row.machine is not None else row.machine_key)


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


class FleetStore(AuditTrail):
    def approval_index(self) -> ApprovalIndex:  # the entries' (Registry)
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
        index = self.approval_index()
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
            read = []
            for machine, row in rows:
                observed = ObservedServer(
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
                read.append(
                    (
                        machine.hostname,
                        _utc(machine.reported_at),
                        machine.home,
                        _machine_of(machine),
                        observed,
                    )
                )
        advisories = fleet_advisories(observed for *_, observed in read)
        judged = [
            FleetServer(
                hostname=hostname,
                reported_at=reported_at,
                server=observed,
                judgement=index.judge(observed),
                home=home,
                machine=machine_label,
                advisories=advisories.get(observed, ()),
            )
            for hostname, reported_at, home, machine_label, observed in read
        ]
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
        counts = (
            select(FleetServerRow.machine_id, func.count().label("servers"))
            .group_by(FleetServerRow.machine_id)
            .subquery()
        )
        query = (
            select(MachineRow, func.coalesce(counts.c.servers, 0))
            .outerjoin(counts, counts.c.machine_id == MachineRow.id)
            .order_by(MachineRow.hostname, MachineRow.home, MachineRow.id)
            .limit(limit)
        )
        if stale is not None:
            query = query.where(_stopped(stale_before) if stale else ~_stopped(stale_before))
        with self.database.reading() as session:
            return [
                FleetMachine(
                    machine=_machine_of(row),
                    hostname=row.hostname,
                    home=row.home,
                    os=row.os,
                    reported_by=row.reported_by,
                    reported_at=_utc(row.reported_at),
                    servers=int(servers),
                    stale=_utc(row.reported_at) < stale_before,
                    age_seconds=int((now - _utc(row.reported_at)).total_seconds()),
                )
                for row, servers in session.execute(query).all()
            ]

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
