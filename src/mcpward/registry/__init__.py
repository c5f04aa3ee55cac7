"""The approved MCP registry: entries tied to an exact package, image or endpoint, a documented
data scope and a named owner, reviewed before use and re-reviewed every 90 days.

>>> registry = Registry.open()                       # SQLite in the user data folder
>>> entry = registry.request(prepare_request(...), actor="alice")
>>> registry.approve(entry.id, "bob", "reviewed the diff", expected_revision=entry.revision)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from mcpward.model import Finding, ScanError, ServerSpec, Severity, to_jsonable
from mcpward.registry._database import Database, default_url
from mcpward.registry._fleet import (
    STALE_DAYS,
    FleetAdvisory,
    FleetMachine,
    FleetServer,
    fleet_advisories,
    reportable_text,
)
from mcpward.registry._gateway_state import PinRecord, ProfileDelta
from mcpward.registry._identity import default_entry_name, parse_identity
from mcpward.registry._matching import ApprovalIndex, normalise_url, observe, registry_findings
from mcpward.registry._probation import BASELINE_ALERTS, client_key, probation_days, suggested_read_only
from mcpward.registry._server_json import export as export_server_json
from mcpward.registry._server_json import parse as parse_server_json
from mcpward.registry._server_json import to_request as request_from_server_json
from mcpward.registry._service import REVIEW_DAYS, Registry
from mcpward.registry.interface import (
    AuditEvent,
    Conflict,
    DataScope,
    Decision,
    Entry,
    EntryRequest,
    Forbidden,
    Identity,
    InvalidInput,
    InventoryUpload,
    NotFound,
    ObservedServer,
    PolicyRefusal,
    Principal,
    RegistryError,
    RegistryUnavailable,
    Role,
    Status,
    VetOutcome,
)

__all__ = [
    "BASELINE_ALERTS",
    "REVIEW_DAYS",
    "STALE_DAYS",
    "ApprovalIndex",
    "AuditEvent",
    "Conflict",
    "DataScope",
    "Database",
    "Decision",
    "Entry",
    "EntryRequest",
    "FleetAdvisory",
    "FleetMachine",
    "FleetServer",
    "Forbidden",
    "Identity",
    "InvalidInput",
    "InventoryUpload",
    "NotFound",
    "ObservedServer",
    "PinRecord",
    "PolicyRefusal",
    "Principal",
    "ProfileDelta",
    "Registry",
    "RegistryError",
    "RegistryUnavailable",
    "RequestEvidence",
    "Role",
    "Status",
    "VetOutcome",
    "all_entries",
    "approval_index",
    "client_key",
    "default_entry_name",
    "default_url",
    "export_server_json",
    "fleet_advisories",
    "fleet_report",
    "gather_evidence",
    "normalise_url",
    "observe",
    "parse_identity",
    "parse_server_json",
    "probation_days",
    "registry_findings",
    "report_to",
    "reportable_text",
    "request_from_server_json",
    "send_fleet_report",
    "shared_registry",
    "suggested_read_only",
]


@dataclass(slots=True)
class RequestEvidence:
    """What ``vet`` and ``inspect`` found, to be stored with a request."""

    vet: VetOutcome | None = None
    pins: dict[str, dict[str, str]] = field(default_factory=dict)
    inspect_findings: tuple[dict[str, object], ...] = ()
    #: Why a step could not run (no package to vet, a server that did not answer).
    notes: list[str] = field(default_factory=list)


def gather_evidence(
    identity: Identity,
    *,
    tools_files: tuple[Path, ...] = (),
    urls: tuple[str, ...] = (),
    offline: bool = False,
    cache_dir: Path | None = None,
    timeout: float = 20.0,
    approved: Identity | None = None,
) -> RequestEvidence:
    """Vet the package (never running it) and inspect what the server tells the model, from
    saved ``tools/list`` results or by asking a remote server. With ``approved``, the release
    of the package reviewers approved last, the package is vetted against it rather than the
    release before it on the package registry, which nobody may have reviewed."""
    evidence = RequestEvidence()
    if identity.kind == "package":
        from mcpward.vet import VetError, VetOptions, VetResult, vet_package

        result: VetResult | None = None
        try:
            if approved is not None:
                options = VetOptions(identity.display, approved.display, offline=offline, cache_dir=cache_dir)
                try:
                    result = vet_package(options)
                except VetError as exc:
                    evidence.notes.append(
                        f"vet could not compare with the approved {approved.display}: {exc}"
                    )
            if result is None:
                result = vet_package(
                    VetOptions(target=identity.display, offline=offline, cache_dir=cache_dir)
                )
        except VetError as exc:
            evidence.notes.append(f"vet could not run: {exc}")
        else:
            findings = [f for f in result.report.findings if f.severity is not Severity.INFO]
            evidence.vet = VetOutcome(
                verdict=result.report.verdict or "pass",  # type: ignore[arg-type]
                findings=tuple(_plain(f) for f in findings),
                repository=result.repository,
                repository_verified=result.repository_verified,
                integrity=result.integrity,
                capabilities=result.capabilities,
            )
    if tools_files or urls:
        _inspect(evidence, tools_files, urls, timeout)
    return evidence


def _inspect(
    evidence: RequestEvidence, tools_files: tuple[Path, ...], urls: tuple[str, ...], timeout: float
) -> None:
    from mcpward._documents import DocumentError
    from mcpward.inspect import (
        RefusedItem,
        ServerSurface,
        ServerTarget,
        SurfaceError,
        fetch_all,
        inspect_servers,
        pin_record,
        refused_finding,
        signature,
        surface_from_tools_file,
    )

    surfaces: list[ServerSurface] = []
    partial: set[str | None] = set()
    #: Listed items the SDK cannot read: each a finding, as ``mcpward inspect`` makes it (a
    #: note alone left the entry a reviewer approves with no word of them).
    refused: list[RefusedItem] = []
    for path in tools_files:
        try:
            surfaces.append(surface_from_tools_file(path))
        except (DocumentError, SurfaceError) as exc:
            # The requester's own file (a misspelt path): stored without its pins, the entry
            # approved no tool, and its version could not be requested again.
            raise InvalidInput(f"inspect could not read {path}: {exc} (nothing was stored)") from None
    if urls:
        targets = [ServerTarget(url, "http", url=url) for url in urls]
        fetched, failures = fetch_all(targets, timeout, refused)
        surfaces += [ServerSurface(target.name, target.origin, items) for target, items in fetched]
        evidence.notes += [f"inspect could not ask {f.path}: {f.message}" for f in failures]
        # A server a part of whose look failed is inspected for what was read, never pinned.
        partial = {f.host for f in failures}
    if not surfaces and not refused:
        return
    findings = [*inspect_servers(surfaces), *map(refused_finding, refused)]
    evidence.inspect_findings = tuple(_plain(f) for f in findings)
    whole = [s for s in surfaces if s.name not in partial]
    evidence.pins = pin_record([signature("", item.kind, item.raw) for s in whole for item in s.items])


def approval_index(source: str) -> ApprovalIndex:
    """The approved entries of ``source``: ``local`` (the default database), a database URL, or a
    registry server's http(s) URL."""
    if source.startswith(("http://", "https://")):
        from datetime import UTC, datetime

        from mcpward.registry._remote import fetch_entries

        return ApprovalIndex(fetch_entries(source), datetime.now(UTC).date())
    registry = Registry.open(None if source == "local" else source)
    try:
        return registry.approval_index()
    finally:
        registry.database.dispose()


_SHARED: dict[str, Registry] = {}
_SHARED_LOCK = threading.Lock()


def shared_registry(source: str) -> Registry:
    """One open registry per database for this process (``local`` or a database URL): what the
    gateway's sessions share instead of each opening the database."""
    with _SHARED_LOCK:
        registry = _SHARED.get(source)
        if registry is None:
            registry = _SHARED[source] = Registry.open(None if source == "local" else source)
        return registry


def all_entries(source: str) -> tuple[list[Entry], date]:
    """Every entry of ``source`` (as :func:`approval_index` names one), and the registry's
    today, by which approvals are judged."""
    from datetime import UTC, datetime

    if source.startswith(("http://", "https://")):
        from mcpward.registry._remote import fetch_entries

        return fetch_entries(source), datetime.now(UTC).date()
    registry = Registry.open(None if source == "local" else source)
    try:
        return registry.entries(), registry.now().date()
    finally:
        registry.database.dispose()


def fleet_report(
    servers: Sequence[ServerSpec],
    home: str | None = None,
    machine: str | None = None,
    unread: Sequence[ScanError] = (),
) -> InventoryUpload:
    """This machine's inventory of ``home``, as ``scan --report-to`` sends it; under the machine
    id ``machine`` (the agent's own), else the one every account here computes. ``unread``: the
    files the scan could not use (its errors), each a line of the report."""
    from mcpward.registry._remote import inventory

    return inventory(servers, home, machine, unread)


def send_fleet_report(base: str, upload: InventoryUpload, token: str | None = None) -> int:
    """Send one report; :class:`RegistryUnavailable` when it is worth sending again later."""
    from mcpward.registry._remote import report_inventory

    return report_inventory(base, upload, token=token)


def report_to(
    base: str, servers: Sequence[ServerSpec], home: str | None = None, unread: Sequence[ScanError] = ()
) -> int:
    """Upload this machine's inventory of ``home`` to a registry server; it replaces that
    (machine, home)'s previous report only. The number of servers stored."""
    from mcpward.registry._remote import inventory, report_inventory

    return report_inventory(base, inventory(servers, home, unread=unread))


def _plain(finding: Finding) -> dict[str, object]:
    data = to_jsonable(finding)
    return {key: value for key, value in data.items() if value not in (None, [], ())}
