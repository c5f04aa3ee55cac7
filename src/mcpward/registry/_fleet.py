"""The fleet inventory's vocabulary: a record per (machine, home), the key it is stored under,
and the advisories known for what a machine runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mcpward.advisories import advisories_for_many
from mcpward.model import Ecosystem, PackageRef
from mcpward.registry._matching import Judgement
from mcpward.registry.interface import ObservedServer

#: A (machine, home) that has not reported for this many days is marked stale.
STALE_DAYS = 30
_KEY_PREFIX = "mh1:"


def fleet_key(machine_id: str, home: str | None) -> str:
    """The key one (machine, home) record is stored under. A digest of the pair encoded
    unambiguously, so no choice of machine id and home label (one run into the other, a
    separator, the key itself) reaches another pair's record."""
    encoded = json.dumps([machine_id, home], ensure_ascii=False, separators=(",", ":"))
    return _KEY_PREFIX + hashlib.sha256(encoded.encode()).hexdigest()


def reportable_text(value: str) -> str:
    """``value`` as text a fleet report holds: a lone surrogate (a file name that is not UTF-8,
    a JSON escape in a config; no UTF-8 for it) and a NUL (PostgreSQL holds none) shown
    escaped, where a report holding either could not be built or stored."""
    return value.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")


def machine_fingerprint(machine_id: str) -> str:
    """What viewers see of a machine id: enough to tell machines apart, not the id an upload
    would need to replace that machine's records."""
    return hashlib.sha256(b"mcpward-fleet-machine\0" + machine_id.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class FleetAdvisory:
    id: str
    severity: str
    summary: str
    malicious: bool
    fixed: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "summary": self.summary,
                "malicious": self.malicious, "fixed": list(self.fixed)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class FleetServer:
    """One server as one (machine, home) last reported it, judged against the registry."""

    hostname: str
    reported_at: datetime
    server: ObservedServer
    judgement: Judgement
    #: The home the scan read (None: an older client's report, or a scan that named none).
    home: str | None = None
    machine: str = ""
    #: The token that sent the record's last report (any requester may send one: the host name
    #: and home in it are that token's word).
    reported_by: str = ""
    #: Advisories known for the exact version, malicious first, then by severity.
    advisories: tuple[FleetAdvisory, ...] = ()

    @property
    def worst_advisory(self) -> str | None:
        if not self.advisories:
            return None
        first = self.advisories[0]
        return "malicious" if first.malicious else first.severity


@dataclass(frozen=True, slots=True)
class FleetMachine:
    """One (machine, home) record: when it last reported and how many servers it had."""

    machine: str
    hostname: str
    home: str | None
    os: str | None
    reported_by: str
    reported_at: datetime
    servers: int
    stale: bool
    #: Seconds since the last report, when the list was read.
    age_seconds: int = 0

    @property
    def age(self) -> str:
        """The age of the last report in words: ``5 minutes``, ``3 hours``, ``12 days``."""
        seconds = max(self.age_seconds, 0)
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= size:
                count = seconds // size
                return f"{count} {unit}{'s' if count != 1 else ''}"
        return "just now"


_ORDER = ("critical", "high", "medium", "low", "info")


def _package(server: ObservedServer) -> PackageRef | None:
    """The package a server runs; without a version where it runs none, whose lookup gives the
    advisories that affect every version (a malicious package): left out, `npx -y evil-mcp`
    read clean in the fleet view while scan reported it on the same machine."""
    if server.kind != "package" or not server.package:
        return None
    try:
        ecosystem = Ecosystem(server.ecosystem or "")
    except ValueError:
        return None
    return PackageRef(
        ecosystem=ecosystem, name=server.package, version=server.version, pinned=server.version is not None
    )


def fleet_advisories(servers: Iterable[ObservedServer]) -> dict[ObservedServer, tuple[FleetAdvisory, ...]]:
    """Advisories for each server's exact package version (for one run unpinned, those that
    affect every version), from the same offline OSV snapshot scan and vet read; servers with
    none are left out."""
    packages = {server: ref for server in servers if (ref := _package(server)) is not None}
    known = advisories_for_many(packages.values())
    found: dict[ObservedServer, tuple[FleetAdvisory, ...]] = {}
    for server, ref in packages.items():
        advisories = known.get(ref)
        if not advisories:
            continue
        ordered = sorted(
            advisories,
            key=lambda a: (
                not a.malicious,
                _ORDER.index(a.severity.value) if a.severity.value in _ORDER else 9,
            ),
        )
        found[server] = tuple(
            FleetAdvisory(a.id, a.severity.value, a.summary, a.malicious, tuple(a.fixed)) for a in ordered
        )
    return found


def advised_first(rows: Iterable[FleetServer]) -> list[FleetServer]:
    """The servers with advisories, malicious packages first, then by severity."""

    def rank(row: FleetServer) -> tuple[bool, int]:
        first = row.advisories[0]
        return (not first.malicious, _ORDER.index(first.severity) if first.severity in _ORDER else 9)

    return sorted((row for row in rows if row.advisories), key=rank)
