"""``mcpward report audit``: one document from the registry, the fleet inventory and the
gateway's audit log, for the quarterly review. Every count comes with the items behind it.

The data is built once (:func:`build_audit`) as plain JSON-ready dicts; the formats render it.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from packaging.utils import canonicalize_name
from pydantic import ValidationError

from mcpward._regex import compiled
from mcpward.advisories import advisories_for_many, load_advisories
from mcpward.gateway import AuditVerdict, checked_audit_records
from mcpward.model import Ecosystem, PackageRef, ServerSpec
from mcpward.output.text import markdown_text, visible
from mcpward.output.words import counted
from mcpward.registry import (
    STALE_DAYS,
    ApprovalIndex,
    Entry,
    FleetServer,
    ObservedServer,
    Registry,
    RegistryError,
    Status,
    fleet_advisories,
    observe,
    reportable_text,
)

#: A re-review due within this many days is listed as due soon.
DUE_SOON_DAYS = 30


def build_audit(
    registry: Registry,
    *,
    since: timedelta,
    audit_log: Path | None = None,
    previous: dict[str, Any] | None = None,
    now: datetime | None = None,
    local: Sequence[tuple[str, ObservedServer]] = (),
) -> dict[str, Any]:
    """The audit document: the fleet, the registry, the gateway's usage, their summary and
    what to act on (one model: the report and the questionnaire are rendered from it).
    ``local``: this machine's servers (from a scan) as (machine, server), judged like the
    fleet's, for a registry that has no fleet reports or to add this machine to them."""
    now = now or datetime.now(UTC)
    start = now - since
    # Before anything is written (expire_due records what it changes, binding an entry edited
    # in the database to the chain): statuses read from tables someone edited straight in SQL
    # were reported as the registry's decisions.
    trail = _trail(registry)
    registry.expire_due()
    document: dict[str, Any] = {
        "generated_at": now.isoformat(),
        "period": {"from": start.isoformat(), "to": now.isoformat(), "days": since.days},
        "summary": {},
    }
    # Whole entries only where the report reads more than a summary (vet and inspect findings,
    # the questionnaire's answers): the approved ones. A registry's requests may each be a
    # requester's megabytes (server.json, claims), and the report read them all, twice.
    entries = registry.entries(identity_only=tuple(s for s in Status if s is not Status.APPROVED))
    approved = [e for e in entries if e.status is Status.APPROVED]
    document["registry_trail"] = trail
    document |= _fleet_section(registry, now, local)
    document |= _registry_section(entries, approved, now)
    if audit_log:
        # One pass: the records counted are the records verified (read twice, the file could
        # be swapped between the count and the check).
        verdict = AuditVerdict()
        records = checked_audit_records(audit_log, verdict)
        ran: dict[str, dict[str, Any]] = {}
        calls = _calls(records, start, now, ran)
        document |= _usage_section(calls, approved, _entries_run(ran, registry.judging_index()))
        document["audit_log"] = _chain(verdict)
    document["summary"] = _summary(document)
    document["act_on"] = act_on(document)
    # The sections in the order the JSON form has always had them.
    document = {key: document[key] for key in _ORDER if key in document}
    if previous is not None:
        # Only a count is a previous count: the file may be kept where others write, and its
        # values went raw into the Markdown table (a CR forged headings) and the HTML's chart.
        # A count of 2**64 made the JSON report an internal error, and one of thousands of digits
        # was written whole: a count is one every JSON reader takes exactly.
        before = {
            key: value
            for key, value in previous.get("summary", {}).items()
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT
        }
        document["trends"] = {
            key: {
                "now": value,
                "before": before.get(key),
                "change": value - before[key] if key in before else None,
            }
            for key, value in document["summary"].items()
        }
    return document


#: The largest count a previous report's summary may give (the largest integer a JSON reader
#: that takes numbers as doubles holds exactly).
MAX_COUNT = 2**53 - 1
#: The longest period, in days (100 years): --since 9000y went past the first date there is.
MAX_PERIOD_DAYS = 36_500

#: Who reported the servers of ``--local`` (this report's own scan).
LOCAL_REPORTER = "report audit --local"

#: Fleet servers read into one report (memory); more are counted and said, never cut silently.
MAX_FLEET_ROWS = 1_000_000

_ORDER = (
    "generated_at", "period", "registry_trail", "summary", "fleet", "fleet_unread", "machines",
    "fleet_advisories", "unapproved", "unpinned", "drifted", "revoked", "reviews_expired",
    "reviews_due", "advisories", "approved", "fleet_by_status", "registry", "review_findings",
    "unused", "calls", "audit_log", "act_on",
)  # fmt: skip


#: The launch line of a server of ``--local`` that the registry's model cannot hold as it is.
UNFIT_LAUNCH = "(not judged as it is: a value the registry cannot hold: too long, or a NUL)"


def observed_here(specs: Iterable[ServerSpec]) -> list[ObservedServer]:
    """This machine's servers (``--local``: a scan's) as the registry judges them. One that its
    model cannot hold as it is (a launch line over 2,000 characters, a NUL or a lone surrogate
    in its name: any config the scan reads may say so) is a local command the registry cannot
    tell, judged unapproved, its name shown escaped, as the fleet agent reports it. Such a
    server made the whole report an internal error."""
    found = []
    for spec in specs:
        try:
            found.append(observe(spec))
        except ValueError:  # pydantic's ValidationError: past the model's bounds
            host, name, path = (reportable_text(text) for text in (spec.host, spec.name, spec.config_path))
            found.append(
                ObservedServer(
                    host=host[:64],
                    name=name[:255],
                    config_path=path[:1000],
                    kind="local",
                    launch=UNFIT_LAUNCH,
                )
            )
    return found


def _fleet_section(
    registry: Registry, now: datetime, local: Sequence[tuple[str, ObservedServer]]
) -> dict[str, Any]:
    """Every (machine, home) and every server they reported, judged against the registry;
    the servers with advisories, malicious first; the fleet's problems by kind."""
    fleet_rows, total = registry.fleet(limit=MAX_FLEET_ROWS)
    # Read within a bound (memory), but never cut silently: rows are read by host name, so a
    # machine's token uploading many servers under names that sort first pushed every other
    # machine's servers out of the lists and counts without a word.
    unread = max(0, total - len(fleet_rows))
    machines = [
        {
            "machine": m.hostname,
            "machine_id": m.machine,
            "home": m.home,
            "os": m.os,
            "servers": m.servers,
            "reported_at": m.reported_at.isoformat(),
            "stale": m.stale,
            # Any requester token may report, under any host name: the reader weighs a record
            # by who sent it (the fleet page says; the report did not, so a planted record read
            # as the agent's).
            "reported_by": m.reported_by,
        }
        for m in registry.machines()
    ]
    if local:
        index = registry.judging_index()
        known = fleet_advisories(server for _, server in local)
        fleet_rows = [
            *fleet_rows,
            *(
                FleetServer(
                    hostname=machine,
                    reported_at=now,
                    server=server,
                    judgement=index.judge(server),
                    machine="local",
                    reported_by=LOCAL_REPORTER,
                    advisories=known.get(server, ()),
                )
                for machine, server in local
            ),
        ]
        for hostname in dict.fromkeys(machine for machine, _ in local):
            servers = sum(1 for machine, _ in local if machine == hostname)
            machines.append({"machine": hostname, "machine_id": "local", "home": None, "os": None,
                             "servers": servers, "reported_at": now.isoformat(), "stale": False,
                             "reported_by": LOCAL_REPORTER})  # fmt: skip
    fleet: list[dict[str, Any]] = [
        {
            "machine": row.hostname,
            "machine_id": row.machine,
            "home": row.home,
            "reported_at": row.reported_at.isoformat(),
            "reported_by": row.reported_by,
            "host": row.server.host,
            "server": row.server.name,
            "runs": row.server.launch or row.server.package,
            "status": row.judgement.status,
            "severity": row.judgement.severity.value,
            "detail": row.judgement.message,
            "entry": row.judgement.entry_id,
            "pinned": bool(row.server.version or row.server.digest) or row.server.kind == "remote",
            "advisories": [a.as_dict() for a in row.advisories],
            "advisory": _advisory_label(row),
        }
        for row in fleet_rows
    ]
    fleet_advised = [
        {
            **row,
            "worst": "malicious" if row["advisories"][0]["malicious"] else row["advisories"][0]["severity"],
            "summary": row["advisories"][0]["summary"],
            "fixed": ", ".join(row["advisories"][0]["fixed"]) or "no fixed version",
        }
        for row in sorted(
            (row for row in fleet if row["advisories"]),
            key=lambda row: (not row["advisories"][0]["malicious"], _rank(row["advisories"][0]["severity"])),
        )
    ]
    return {
        "fleet": fleet,
        "fleet_unread": unread,
        "machines": machines,
        "fleet_advisories": fleet_advised,
        "unapproved": [row for row in fleet if row["status"] == "unapproved"],
        "unpinned": [row for row in fleet if not row["pinned"]],
        "drifted": [row for row in fleet if row["status"] in ("version-drift", "integrity-mismatch")],
        "revoked": [row for row in fleet if row["status"] == "revoked"],
        "fleet_by_status": dict(Counter(row["status"] for row in fleet).most_common()),
    }


def _registry_section(entries: Sequence[Entry], approved: Sequence[Entry], now: datetime) -> dict[str, Any]:
    """The entries: reviews expired or due, approved versions with advisories or review
    findings, and the approved entries the questionnaire answers from."""
    due_by = (now + timedelta(days=DUE_SOON_DAYS)).date()
    return {
        "reviews_expired": [_entry(e) for e in entries if e.status is Status.EXPIRED],
        "reviews_due": [_entry(e) for e in approved if e.review_due and e.review_due <= due_by],
        "advisories": _advisories(approved),
        # What the questionnaire answers from, so that its numbers are this document's.
        "approved": [_approved(e) for e in approved],
        "registry": Counter(e.status.value for e in entries),
        "review_findings": [
            {
                **_entry(e),
                "vet": e.vet.verdict if e.vet else "not run",
                "vet_findings": len(e.vet.findings) if e.vet else 0,
                "inspect_findings": len(e.inspect_findings),
                "worst": _worst([*(e.vet.findings if e.vet else ()), *e.inspect_findings]),
            }
            for e in approved
            if (e.vet and (e.vet.verdict != "pass" or e.vet.findings)) or e.inspect_findings
        ],
    }


def _usage_section(calls: dict[str, Any], approved: Sequence[Entry], run: set[int]) -> dict[str, Any]:
    """The gateway's calls, and the approved entries none of them ran: by the entry a call ran
    under, or the package its launch line ran (``run``: the entries the registry judges those
    packages to be). Never by a server's name: the name is the config's word, and a host that
    ran another package, or a script, under an approved server's name had it counted as used."""
    return {
        "calls": calls,
        "unused": [_entry(e) for e in approved if e.id not in calls["by_entry"] and e.id not in run],
    }


def _entries_run(ran: dict[str, dict[str, Any]], index: ApprovalIndex) -> set[int]:
    """The entries the packages calls ran are approved releases of, judged by the registry's
    approval index as a fleet server running them is (a name's spelling, an image's digest)."""
    found: set[int] = set()
    for package in ran.values():
        oci = package.get("ecosystem") == "oci"
        try:
            server = ObservedServer(
                host="gateway",
                name="gateway",
                kind="oci" if oci else "package",
                ecosystem=None if oci else str(package.get("ecosystem")),
                package=str(package.get("name")),
                version=str(package["version"]) if package.get("version") else None,
                digest=str(package["digest"]) if package.get("digest") else None,
            )
        except ValidationError:  # past what a fleet server holds: no entry's
            continue
        judgement = index.judge(server)
        if judgement.entry_id is not None and judgement.status in ("approved", "review-expired"):
            found.add(judgement.entry_id)
    return found


def _trail(registry: Registry) -> dict[str, Any]:
    """The registry's audit trail as ``mcpward registry audit --verify`` checks it."""
    try:
        problem = registry.verify_audit()
    except RegistryError as exc:  # an unreadable key or heads file: not verified, said why
        problem = str(exc)
    return {"verified": problem is None, "problem": problem}


def _chain(verdict: AuditVerdict) -> dict[str, Any]:
    """The log's chain as ``mcpward audit verify`` checks it (its MACs, its head); the counts
    are of the records up to its first problem. A report citing records by ``seq`` must say
    when they do not hold: a DLP event cut out, the newest records removed or a call replayed
    changed the counts, and the report said nothing."""
    return {
        "records": verdict.count,
        "verified": verdict.problem is None,
        "anchored": verdict.anchored,
        "problem": verdict.problem,
        # Lines that do not parse, skipped as cut short by a gateway killed mid-write: anyone
        # who can write the file can add one, which a grep of the raw log reads as a record.
        "not_records": verdict.incomplete_lines,
        "not_records_first": verdict.incomplete[:10],
    }


def _summary(document: dict[str, Any]) -> dict[str, int]:
    """Every section's count, as the summary table and the trends show them."""
    machines, calls = document["machines"], document.get("calls")
    summary = {
        "machines": len({(row["machine"], row["machine_id"]) for row in machines}),
        "homes": len(machines),
        "stale_homes": sum(1 for row in machines if row["stale"]),
        "servers": len(document["fleet"]),
        "fleet_servers_with_advisories": len(document["fleet_advisories"]),
        "unapproved": len(document["unapproved"]),
        "unpinned": len(document["unpinned"]),
        "drifted": len(document["drifted"]),
        "revoked": len(document["revoked"]),
        "reviews_expired": len(document["reviews_expired"]),
        "reviews_due": len(document["reviews_due"]),
        "approved_with_advisories": len(document["advisories"]),
        "approved_entries": len(document["approved"]),
        "approved_with_review_findings": len(document["review_findings"]),
    }
    if calls is not None:
        summary |= {
            "calls": calls["total"],
            "unused_servers": len(document["unused"]),
            "tool_changes": calls["counted"]["tool_changes"],
            "dlp_events": calls["counted"]["dlp_events"],
            "egress_denials": calls["counted"]["egress_denials"],
            "baseline_alerts": calls["counted"]["baseline_alerts"],
        }
    return summary


def _quoted(name: object) -> str:
    """A name as a JSON string: in double quotes, its own quotes, backslashes and controls
    escaped (other characters as they are: the formats escape what a reader would not see)."""
    return json.dumps(str(name), ensure_ascii=False)


def act_on(document: dict[str, Any]) -> list[dict[str, Any]]:
    """What an auditor must act on, worst first, in a few lines: each with its severity, a
    sentence naming the count and the first items, and the section that lists them all."""
    summary = document["summary"]
    calls = document.get("calls") or {}
    events: dict[str, int] = calls.get("counted", {})  # every one of the period, listed or not
    misdated: dict[str, Any] = calls.get("misdated", {})
    advised = document["fleet_advisories"]
    malicious = [row for row in advised if row["worst"] == "malicious"]
    mismatched = [row for row in document["drifted"] if row["status"] == "integrity-mismatch"]

    def servers(rows: list[dict[str, Any]]) -> str:
        # Named by the rows a list shows first (a share of each reporter and machine, the most
        # severe first): the first three by host name were all of one flooding machine.
        # Each name quoted: they are the reporting machine's word, and written into this
        # sentence as they came, a launch line "files on build-01, reported by fleet-agent"
        # read as mcpward's own words.
        named = [
            f"{_quoted(row['runs'] or row['server'])} on {_quoted(row['machine'])}"
            + (f" ({_quoted(row['home'])})" if row.get("home") else "")
            + (f", reported by {_quoted(row['reported_by'])}" if row.get("reported_by") else "")
            for row in shown(rows, 3)[0]
        ]
        return "; ".join(named) + (f" and {len(rows) - 3} more" if len(rows) > 3 else "")

    def entries(rows: list[dict[str, Any]]) -> str:
        named = list(dict.fromkeys(str(row["identity"]) for row in rows))
        return ", ".join(named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")

    chain = document.get("audit_log") or {}
    trail = document.get("registry_trail") or {}
    items: list[tuple[str, int, str, str]] = [
        ("critical", int(trail.get("verified") is False), "registry_trail",
         f"The registry's audit trail does not verify ({trail.get('problem')}): the approvals and "
         "statuses below are not evidence until it is explained (mcpward registry audit --verify)."),
        ("critical", int(chain.get("verified") is False), "audit_log",
         f"The gateway's audit log does not verify ({chain.get('problem')}): the calls and events "
         "counted from it are not evidence until it is explained (mcpward audit verify)."),
        ("high", int(chain.get("verified") is True and chain.get("anchored") is False), "audit_log",
         "The gateway's audit log is not anchored (it has no key beside it): its chain holds only "
         "against someone who cannot write the file, who could have removed records and recomputed "
         "it (mcpward audit verify)."),
        ("high", chain.get("not_records", 0), "audit_log",
         f"{counted(chain.get('not_records', 0), 'line')} of the gateway's audit log "
         f"{'is' if chain.get('not_records') == 1 else 'are'} not records (lines "
         f"{', '.join(map(str, chain.get('not_records_first', ())))}"
         f"{', …' if chain.get('not_records', 0) > len(chain.get('not_records_first', ())) else ''}): a "
         "gateway killed mid-write leaves one, and anyone who can write the file can add more, which "
         "a reader of the raw file takes for records; they are counted in nothing here."),
        ("critical", document.get("fleet_unread", 0), "fleet",
         f"{counted(document.get('fleet_unread', 0), 'fleet server')} not read into this report (it "
         f"reads {MAX_FLEET_ROWS:,} at most, by host name): its lists and counts leave them out; "
         "look for a machine reporting far more servers than others (the fleet page lists all)."),
        ("critical", len(malicious), "fleet_advisories",
         f"Remove {counted(len(malicious), 'malicious package')} from machines: {servers(malicious)}."),
        ("critical", len(document["revoked"]), "revoked",
         f"Remove {counted(len(document['revoked']), 'revoked server')} still configured: "
         f"{servers(document['revoked'])}."),
        ("critical", len(mismatched), "drifted",
         f"Investigate {counted(len(mismatched), 'server')} whose image or archive differs from the "
         f"approved one: {servers(mismatched)}."),
        (_worst_of(document["advisories"]), len({a["id"] for a in document["advisories"]}), "advisories",
         f"Update or revoke {counted(len({a['id'] for a in document['advisories']}), 'approved version')} "
         f"with known advisories: {entries(document['advisories'])}."),
        ("high", len(advised) - len(malicious), "fleet_advisories",
         f"Update {counted(len(advised) - len(malicious), 'fleet server')} with known advisories: "
         f"{servers([row for row in advised if row['worst'] != 'malicious'])}."),
        ("high", misdated.get("records", 0), "audit_log",
         f"Find out why {counted(misdated.get('records', 0), 'audit record')} of the gateway's log "
         f"{'is' if misdated.get('records') == 1 else 'are'} dated after this report or not dated at all "
         f"(the first: seq {misdated.get('first_seq')}, at {misdated.get('first_at')!r}): a clock set "
         "wrong where the gateway ran, or records written by someone holding the log's key; they are "
         "counted in no list of this period."),
        ("high", events.get("egress_denials", 0), "egress_denials",
         f"Investigate {counted(events.get('egress_denials', 0), 'egress denial')} (a server "
         "tried to reach what its profile does not allow)."),
        ("medium", summary["unapproved"], "unapproved",
         f"Request a review of, or remove, {counted(summary['unapproved'], 'unapproved server')}: "
         f"{servers(document['unapproved'])}."),
        ("medium", summary["drifted"] - len(mismatched), "drifted",
         f"Move {counted(summary['drifted'] - len(mismatched), 'server')} to the approved version: "
         f"{servers([row for row in document['drifted'] if row['status'] != 'integrity-mismatch'])}."),
        ("medium", summary["reviews_expired"], "reviews_expired",
         f"Re-review {counted(summary['reviews_expired'], 'expired approval')}: "
         f"{entries(document['reviews_expired'])}."),
        ("medium", events.get("tool_changes", 0), "tool_changes",
         f"Review {counted(events.get('tool_changes', 0), 'tool description change')}."),
        ("medium", events.get("dlp_events", 0), "dlp_events",
         f"Look into {counted(events.get('dlp_events', 0), 'DLP event')}."),
        ("low", summary["reviews_due"], "reviews_due",
         f"Plan {counted(summary['reviews_due'], 're-review')} due within {DUE_SOON_DAYS} days."),
        ("low", summary["stale_homes"], "machines",
         f"Find out why {counted(summary['stale_homes'], 'home')} stopped reporting "
         f"(no report for {STALE_DAYS} days)."),
        ("low", summary["unpinned"], "unpinned",
         f"Pin {counted(summary['unpinned'], 'server')} to an exact version: "
         f"{servers(document['unpinned'])}."),
    ]  # fmt: skip
    ordered = sorted(items, key=lambda item: -_SEVERITIES.index(item[0]))  # stable within a level
    return [
        {"severity": severity, "count": count, "section": section, "text": text}
        for severity, count, section, text in ordered
        if count > 0
    ]


def _worst_of(advisories: list[dict[str, Any]]) -> str:
    """An approved version with a critical or malicious advisory is critical; otherwise high."""
    return "critical" if any(a["malicious"] or a["severity"] == "critical" for a in advisories) else "high"


def _advisory_label(row: FleetServer) -> str | None:
    """The advisories of a fleet server in one cell: its ids, the worst first."""
    if not row.advisories:
        return None
    return ", ".join(a.id for a in row.advisories)


def _rank(severity: str) -> int:
    return -_SEVERITIES.index(severity) if severity in _SEVERITIES else 1


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.name,
        "identity": entry.identity.display,
        "owner": entry.owner,
        "tier": entry.tier,
        "status": entry.status.value,
        "review_due": str(entry.review_due) if entry.review_due else None,
    }


def _approved(entry: Any) -> dict[str, Any]:
    identity = entry.identity
    return {
        **_entry(entry),
        "source": str(identity.ecosystem) if identity.kind == "package" else identity.kind,
        "pinned_tools": bool(entry.pins),
        "integrity": bool(identity.integrity or identity.digest),
        "vet": entry.vet.verdict if entry.vet else "not vetted",
        "provenance_verified": bool(entry.repository_verified),
    }


_SEVERITIES = ("info", "low", "medium", "high", "critical")


def _worst(findings: Sequence[dict[str, Any]]) -> str | None:
    levels = [str(f.get("severity")) for f in findings if f.get("severity") in _SEVERITIES]
    return max(levels, key=_SEVERITIES.index) if levels else None


def _advisories(approved: Sequence[Any]) -> list[dict[str, Any]]:
    """The advisories of the approved packages, the records read once for all of them (one
    pass over the whole snapshot per entry was entries times records)."""
    packages = {
        entry.id: PackageRef(
            ecosystem=Ecosystem(entry.identity.ecosystem),
            name=entry.identity.name,
            version=entry.identity.version,
            pinned=True,
        )
        for entry in approved
        if entry.identity.kind == "package"
    }
    by_package = advisories_for_many(packages.values(), load_advisories())
    found = []
    for entry in approved:
        package = packages.get(entry.id)
        for advisory in by_package.get(package, []) if package is not None else []:
            found.append(
                {
                    **_entry(entry),
                    "advisory": advisory.id,
                    "severity": advisory.severity.value,
                    "summary": advisory.summary,
                    "malicious": advisory.malicious,
                    "fixed": list(advisory.fixed),
                }
            )
    return found


_EVENT_GROUPS = {
    "tool_changes": {"tool-changed", "tool-added", "tool-renamed"},
    "dlp_events": {"dlp-argument", "dlp-result", "dlp-error", "dlp-message", "injected-instruction"},
    "baseline_alerts": {"new-destination", "new-argument-field", "call-spike", "dormant-tool-used"},
}


def _package_key(package: dict[str, Any]) -> str:
    """One spelling of a package for counting: ecosystem, name (PyPI's canonical) and the
    version, or for an image its digest."""
    ecosystem, name = str(package.get("ecosystem", "")), str(package.get("name", ""))
    if ecosystem == "pypi":
        name = canonicalize_name(name)
    if ecosystem == "oci":
        return f"oci:{name}@{package.get('digest') or ''}"
    return f"{ecosystem}:{name}@{package.get('version') or ''}"


#: Events of each kind listed (all are counted).
_LISTED = 10_000
#: Tool names counted one by one for each server; the rest under :data:`_OTHER_TOOLS`.
_TOOLS_A_SERVER = 1_000
_OTHER_TOOLS = "(other tools)"


#: How far after the report's time a record may be dated and still be counted in its period: a
#: gateway's clock a little fast. A record dated later is reported, not counted.
CLOCK_SKEW = timedelta(minutes=5)


def _record_time(record: dict[str, Any]) -> datetime | None:
    """When a record says it was written (UTC), or None when its ``at`` is no date."""
    at = record.get("at")
    if not isinstance(at, str):
        return None
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _identity_source(record: dict[str, Any]) -> str:
    """Who named a call's caller: its token's issuer, a static token of ``gateway serve``
    (a subject, no issuer), or the client itself (``gateway run``: no subject)."""
    issuer = record.get("issuer")
    if isinstance(issuer, str) and issuer:
        return issuer
    return "static token" if record.get("subject") else "client"


def _names(counted: dict[tuple[str, str], list[int]]) -> dict[tuple[str, str], str]:
    """Each user's or team's name as the report shows it: with its identity source when the
    period has several (the same name from two issuers is two callers), else bare."""
    several = len({source for source, _ in counted}) > 1
    return {key: f"{key[1]} ({key[0]})" if several else key[1] for key in counted}


def _calls(
    records: Iterable[dict[str, Any]], start: datetime, now: datetime, ran: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Counts and events of the gateway's audit log within the period, read as a stream;
    ``ran`` is filled with the packages the calls ran, by their key in ``by_package``."""
    by_server: Counter[str] = Counter()
    #: Calls by the registry entry the gateway launched the server under (when it checked one).
    by_entry: Counter[int] = Counter()
    #: Calls by the package the server's launch line ran (recorded when no entry was checked).
    by_package: Counter[str] = Counter()
    by_tool: dict[str, Counter[str]] = defaultdict(Counter)
    decisions: Counter[str] = Counter()
    #: Calls by who made them (``gateway serve``: the token's subject) and by their teams
    #: (the groups the token named): [calls, blocked] and the servers called. Each by its
    #: identity source and name: "alice" of a partner's issuer is not the company's "alice".
    by_user: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    user_servers: dict[tuple[str, str], set[str]] = defaultdict(set)
    by_team: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    #: The events each group lists, as a heap of (severity rank, -position, event): the most
    #: severe kept, the earliest of a severity first. The first 10,000 of the log were kept, and a
    #: flood of low ones ahead (a client's arguments that look like secrets) pushed a critical
    #: one out of every list.
    kept: dict[str, list[tuple[int, int, dict[str, Any]]]] = {name: [] for name in _EVENT_GROUPS}
    #: Every event of the period by severity, listed or not (the chart counted the listed only).
    severities: Counter[str] = Counter()
    position = 0
    denials: list[dict[str, Any]] = []
    #: Every event of the period, listed or not: a flood of 10,000 made the count 10,000 and
    #: put every later one (the attempt it covered) in no count at all.
    seen: Counter[str] = Counter()
    total = 0
    #: Calls whose record names neither an entry nor a package (a local command, a remote
    #: server with no registry check): they count for no approved entry.
    unidentified = 0
    #: Records dated after the report (or not dated): a record's date was compared with the
    #: period's start only, so one dated years ahead (a clock set wrong, or written by someone
    #: holding the log's key) was counted in the period of every report until then.
    misdated: dict[str, Any] = {"records": 0, "first_seq": None, "first_at": None}
    latest = now + CLOCK_SKEW
    for record in records:
        when = _record_time(record)
        if when is None or when > latest:
            if not misdated["records"]:
                misdated["first_seq"], misdated["first_at"] = record.get("seq"), str(record.get("at"))[:64]
            misdated["records"] += 1
            continue
        if when < start:
            continue
        server = str(record.get("server", ""))
        if record.get("stage") == "egress":
            if record.get("decision") == "block":
                seen["egress_denials"] += 1
                if len(denials) < _LISTED:  # kept whole until the end before: memory grew with the log
                    denials.append(_denial(record))
            continue
        if record.get("stage") == "request" and record.get("method") == "tools/call":
            total += 1
            by_server[server] += 1
            entry = record.get("entry")
            if isinstance(entry, dict) and isinstance(entry.get("id"), int):
                by_entry[entry["id"]] += 1
            package = record.get("package")
            if isinstance(package, dict):
                key = _package_key(package)
                by_package[key] += 1
                ran.setdefault(key, package)
            elif not isinstance(entry, dict):
                unidentified += 1
            # The tool a call names is the client's choice: made-up names grew this without
            # bound (in memory and the JSON report); past the limit they are counted together.
            tools, tool = by_tool[server], str(record.get("tool"))
            tools[tool if len(tools) < _TOOLS_A_SERVER or tool in tools else _OTHER_TOOLS] += 1
            decisions[str(record.get("decision"))] += 1
            source = _identity_source(record)
            user = (source, str(record.get("subject") or record.get("client") or "unknown"))
            blocked = int(record.get("decision") == "block")
            if len(by_user) < 100_000 or user in by_user:
                by_user[user][0] += 1
                by_user[user][1] += blocked
                if len(user_servers[user]) < 100:
                    user_servers[user].add(server)
            teams = record.get("groups")
            for name in teams[:256] if isinstance(teams, list) else ():
                team = (source, str(name))
                if len(by_team) < 10_000 or team in by_team:
                    by_team[team][0] += 1
                    by_team[team][1] += blocked
        for event in _events(record):
            for group, kinds in _EVENT_GROUPS.items():
                if event["kind"] not in kinds:
                    continue
                seen[group] += 1
                severity = str(event.get("severity") or "medium")
                rank = _SEVERITIES.index(severity) if severity in _SEVERITIES else 2
                severities[_SEVERITIES[rank]] += 1
                position += 1
                listed = kept[group]
                if len(listed) == _LISTED and (rank, -position) < listed[0][:2]:
                    continue
                item = {
                    "at": record.get("at"),
                    "server": server,
                    "seq": record.get("seq"),
                    "kind": event.get("kind"),
                    "tool": event.get("tool"),
                    "message": event.get("message"),
                    "severity": event.get("severity"),
                }
                if len(listed) < _LISTED:
                    heapq.heappush(listed, (rank, -position, item))
                else:
                    heapq.heapreplace(listed, (rank, -position, item))
    groups = {
        name: [item for *_, item in sorted(listed, key=lambda entry: -entry[1])]
        for name, listed in kept.items()
    }
    user_names, team_names = _names(by_user), _names(by_team)
    return {
        "total": total,
        "by_server": dict(by_server.most_common()),
        "by_entry": dict(by_entry.most_common()),
        "by_package": dict(by_package.most_common()),
        "unidentified": unidentified,
        "by_tool": {server: dict(tools.most_common()) for server, tools in by_tool.items()},
        "decisions": dict(decisions),
        "by_user": [
            {
                "user": user_names[user],
                "calls": calls,
                "blocked": blocked,
                "servers": ", ".join(sorted(user_servers[user])),
            }
            for user, (calls, blocked) in sorted(by_user.items(), key=lambda item: -item[1][0])
        ],
        "by_team": [
            {"team": team_names[team], "calls": calls, "blocked": blocked}
            for team, (calls, blocked) in sorted(by_team.items(), key=lambda item: -item[1][0])
        ],
        "egress_denials": denials,
        **groups,
        "by_severity": {level: severities[level] for level in reversed(_SEVERITIES) if severities[level]},
        # Events of each kind in the period (the summary's counts) and those not listed.
        "counted": {name: seen[name] for name in (*_EVENT_GROUPS, "egress_denials")},
        "unlisted": {
            name: seen[name] - len(listed) for name, listed in (*groups.items(), ("egress_denials", denials))
        },
        "misdated": misdated,
    }


def _events(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A record's events that are objects naming their kind: a record whose chain holds may
    still be of any shape (written by whoever can write a log with no key, or holds it), and a
    string among its events, or a number for the list, made the whole report an internal error."""
    events = record.get("events")
    if not isinstance(events, list):
        return []
    return [event for event in events if isinstance(event, dict) and isinstance(event.get("kind"), str)]


def _denial(record: dict[str, Any]) -> dict[str, Any]:
    """A refused connection names its host and port; a refused file operation (the sandbox's
    ``FILE`` records) its operation and path, which the host and port columns left empty."""
    denial = {
        k: record.get(k) for k in ("at", "server", "host", "port", "operation", "path", "reason", "seq")
    }
    if record.get("host"):
        port = record.get("port")
        denial["target"] = f"{record['host']}:{port}" if port else str(record["host"])
    elif record.get("path"):
        denial["target"] = f"{record.get('operation') or 'file'} {record['path']}"
    else:
        denial["target"] = str(record.get("method") or "")
    return denial


#: The start of a previous report read for its summary: the JSON report writes it after three
#: small fields, so it is in the first kilobytes of a report of any fleet.
PREVIOUS_HEAD = 1024 * 1024


def previous_summary(text: str) -> dict[str, Any] | None:
    """The ``summary`` object of a JSON audit report, from the report's start: its top-level
    values are decoded one by one up to it, and nothing after it (``None``: not found). Raises
    ValueError for text that is not JSON up to there (a cut string, a stray character)."""
    decoder = json.JSONDecoder()
    spaces = compiled(r"[ \t\n\r]*")

    def after_space(index: int) -> int:
        found = spaces.match(text, index)
        return found.end() if found else index

    index = after_space(0)
    if text[index : index + 1] != "{":
        return None
    index = after_space(index + 1)
    while text[index : index + 1] == '"':
        key, index = decoder.raw_decode(text, index)
        index = after_space(index)
        if text[index : index + 1] != ":":
            raise ValueError("a key without a value")
        value, index = decoder.raw_decode(text, after_space(index + 1))
        if key == "summary":
            return value if isinstance(value, dict) else None
        index = after_space(index)
        if text[index : index + 1] != ",":
            return None
        index = after_space(index + 1)
    return None


def render_json(document: dict[str, Any]) -> str:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()


def sections(document: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]], tuple[str, ...]]]:
    """(anchor, title, rows, columns) of every section, in reading order: one list serves every
    format."""
    found: list[tuple[str, str, list[dict[str, Any]], tuple[str, ...]]] = [
        (
            "fleet_advisories",
            "Fleet servers with known advisories (malicious first)",
            document["fleet_advisories"],
            ("worst", "advisory", "machine", "home", "server", "runs", "status", "fixed", "reported_by"),
        ),
        (
            "unapproved",
            "Unapproved servers",
            document["unapproved"],
            ("machine", "home", "host", "server", "runs", "detail", "reported_by"),
        ),
        (
            "unpinned",
            "Unpinned servers",
            document["unpinned"],
            ("machine", "home", "host", "server", "runs", "reported_by"),
        ),
        (
            "drifted",
            "Drifted servers",
            document["drifted"],
            ("machine", "home", "host", "server", "runs", "detail", "reported_by"),
        ),
        (
            "revoked",
            "Revoked servers still configured",
            document["revoked"],
            ("machine", "home", "host", "server", "runs", "reported_by"),
        ),
        (
            "reviews_expired",
            "Reviews expired",
            document["reviews_expired"],
            ("id", "name", "identity", "owner"),
        ),
        (
            "reviews_due",
            f"Reviews due within {DUE_SOON_DAYS} days",
            document["reviews_due"],
            ("id", "name", "identity", "owner", "review_due"),
        ),
        (
            "review_findings",
            "Approved entries with vet or inspect findings",
            document["review_findings"],
            ("id", "identity", "vet", "vet_findings", "inspect_findings", "worst"),
        ),
        (
            "advisories",
            "Approved versions with advisories",
            document["advisories"],
            ("id", "identity", "advisory", "severity", "summary"),
        ),
    ]
    if "calls" in document:
        calls = document["calls"]
        found += [
            (
                "unused",
                "Approved servers with no calls in the period",
                document["unused"],
                ("id", "name", "identity", "owner"),
            ),
            ("by_user", "Calls by user", calls["by_user"], ("user", "calls", "blocked", "servers")),
            (
                "by_team",
                "Calls by team (groups the token names)",
                calls["by_team"],
                ("team", "calls", "blocked"),
            ),
            (
                "tool_changes",
                "Tool description changes",
                calls["tool_changes"],
                ("at", "server", "tool", "kind", "seq"),
            ),
            ("dlp_events", "DLP events", calls["dlp_events"], ("at", "server", "tool", "kind", "seq")),
            (
                "egress_denials",
                "Egress denials",
                calls["egress_denials"],
                ("at", "server", "target", "reason", "seq"),
            ),
            (
                "baseline_alerts",
                "Baseline alerts",
                calls["baseline_alerts"],
                ("at", "server", "tool", "kind", "seq"),
            ),
        ]
    if "registry_trail" in document:
        found.append(
            ("registry_trail", "Registry audit trail", [document["registry_trail"]], ("verified", "problem"))
        )
    if "audit_log" in document:
        found.append(
            ("audit_log", "Gateway audit log chain", [document["audit_log"]],
             ("records", "verified", "anchored", "problem", "not_records"))
        )  # fmt: skip
    found += [
        (
            "machines",
            f"Machines and homes, by last report (stale after {STALE_DAYS} days)",
            document["machines"],
            ("machine", "machine_id", "home", "servers", "reported_at", "stale", "reported_by"),
        ),
        (
            "fleet",
            "Every server by machine and home",
            document["fleet"],
            ("machine", "home", "host", "server", "runs", "status", "advisory", "reported_by"),
        ),
    ]
    return found


#: Rows a section of the Markdown and HTML forms lists (the JSON form lists them all).
SHOWN_ROWS = 500


def shown(rows: Sequence[dict[str, Any]], limit: int = SHOWN_ROWS) -> tuple[list[dict[str, Any]], str | None]:
    """The rows a section lists, in their order, and a sentence on those it leaves out (None:
    none). Past ``limit`` they are chosen, not cut: a share of each reporting token and, within
    it, of each machine (each machine's k-th row before any machine's next), the most severe of
    each first. Fleet rows come sorted by host name, and the first 500 were listed: one token
    reporting many servers under a host name that sorts first (or under many host names) filled
    every list, and another machine's unapproved server was in none of them."""
    if len(rows) <= limit:
        return list(rows), None
    weights = [_weight(row) for row in rows]
    #: Row indices by reporter, then by machine (rows that name neither are one group).
    groups: dict[Any, dict[tuple[Any, Any], list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, row in enumerate(rows):
        groups[row.get("reported_by")][(row.get("machine"), row.get("machine_id"))].append(index)
    order: list[tuple[int, tuple[int, int], int]] = []
    for by_machine in groups.values():
        turns = sorted(
            (turn, weights[index], index)
            for indices in by_machine.values()
            for turn, index in enumerate(sorted(indices, key=lambda index: (weights[index], index)))
        )
        order += [(place, weight, index) for place, (_, weight, index) in enumerate(turns)]
    kept = sorted(index for *_, index in heapq.nsmallest(limit, order))
    left = len(rows) - len(kept)
    held = set(kept)

    def machine(index: int) -> tuple[Any, Any]:
        return rows[index].get("machine"), rows[index].get("machine_id")

    machines = {machine(index) for index in range(len(rows)) if index not in held} - {(None, None)}
    if not machines:
        return [rows[index] for index in kept], f"{left} more in the JSON report."
    unshown = machines - {machine(index) for index in kept}
    return [rows[index] for index in kept], (
        f"{left} more rows (of {counted(len(machines), 'machine')}) in the JSON report"
        + (f", {counted(len(unshown), 'machine')} with no row listed here" if unshown else "")
        + ": listed are a share of each reporter and machine, the most severe first."
    )


def _weight(row: dict[str, Any]) -> tuple[int, int]:
    """How a row ranks for listing, the least first: a malicious package, then by the worst of
    its status's and its advisories' severities (revoked and mismatched are critical,
    unapproved and drift high or medium, approved info)."""
    advisories = row.get("advisories") or ()
    malicious = any(isinstance(a, dict) and a.get("malicious") for a in advisories)
    levels = [row.get("severity"), *(a.get("severity") for a in advisories if isinstance(a, dict))]
    worst = max((_SEVERITIES.index(level) for level in levels if level in _SEVERITIES), default=0)
    return (not malicious, -worst)


def render_markdown(document: dict[str, Any]) -> str:
    summary = document["summary"]
    period = document["period"]
    lines = [
        "# MCP audit",
        "",
        f"Period: {period['from'][:10]} to {period['to'][:10]} ({period['days']} days). "
        f"Generated {document['generated_at'][:19]} UTC.",
        "",
        "## Act on",
        "",
        *(
            [f"- **{item['severity'].upper()}** {markdown_text(item['text'])}" for item in document["act_on"]]
            or ["Nothing to act on."]
        ),
        "",
        "## Summary",
        "",
    ]
    trends = document.get("trends")
    # Before and change exist only against a previous report (--previous): no empty columns.
    lines += ["| | now | before | change |", "|---|---|---|---|"] if trends else ["| | count |", "|---|---|"]
    for key, value in summary.items():
        if not trends:
            lines.append(f"| {key.replace('_', ' ')} | {value} |")
            continue
        trend = trends.get(key, {})
        change = trend.get("change")
        before = trend.get("before")
        lines.append(
            f"| {key.replace('_', ' ')} | {value} | {'' if before is None else before} | "
            f"{'' if change is None else f'{change:+d}'} |"
        )
    unlisted = (document.get("calls") or {}).get("unlisted", {})
    notes = _notes(document)
    for anchor, title, rows, columns in sections(document):
        lines += ["", f"## {title} ({len(rows)})", ""]
        if not rows:
            lines.append("None.")
            continue
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "---|" * len(columns))
        listed, left_out = shown(rows)
        for row in listed:
            lines.append("| " + " | ".join(_cell(row.get(column)) for column in columns) + " |")
        if left_out:
            lines.append(f"\n{left_out}")
        if unlisted.get(anchor):
            lines.append(f"\n{unlisted[anchor]} more not listed in any format (counted in the summary).")
        if notes.get(anchor):
            lines.append(f"\n{notes[anchor]}")
    lines += [
        "",
        "Audit log records are cited by their `seq` (verify the chain with `mcpward audit verify`);",
        "registry entries by their `id` (`mcpward registry show ID`).",
        "",
    ]
    return "\n".join(lines)


def render_html(document: dict[str, Any]) -> str:
    """One self-contained page: inline styles, inline SVG charts, no script, print-friendly."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=select_autoescape(["html"])
    )
    # Names the fleet's configs chose, with what a reader does not see escaped: a right-to-left
    # override in a server's name reversed the rest of its line under "Act on".
    environment.filters["visible"] = lambda value: visible(str(value))
    listed = sections(document)
    anchors = {anchor: anchor for anchor, *_ in listed} | {
        "servers": "fleet",
        "homes": "machines",
        "stale_homes": "machines",
        "fleet_servers_with_advisories": "fleet_advisories",
    }
    # ``trends`` is in the document only with --previous; passing it twice made that a TypeError.
    return environment.get_template("audit.html").render(
        **{"trends": None, **document},
        anchors={key: value for key, value in anchors.items() if key in document["summary"]},
        sections=[
            {"anchor": a, "title": t, "rows": r, "columns": c, "shown": shown(r)} for a, t, r, c in listed
        ],
        charts=_charts(document),
        unlisted=(document.get("calls") or {}).get("unlisted", {}),
        notes=_notes(document),
    )


def _notes(document: dict[str, Any]) -> dict[str, str]:
    """A sentence under a section (by its anchor), on what its rows do not say."""
    unidentified = (document.get("calls") or {}).get("unidentified", 0)
    if not unidentified:
        return {}
    return {
        "unused": f"{counted(unidentified, 'call')} named neither a registry entry nor a package (a local "
        "command, a remote server the gateway checked against no registry): what ran is not known, so "
        "they count for no approved server."
    }


_COLORS = {"approved": "#2e7d32", "unapproved": "#c77700", "version-drift": "#c77700", "revoked": "#b00020",
           "integrity-mismatch": "#b00020", "review-expired": "#8a6d00"}  # fmt: skip


def _charts(document: dict[str, Any]) -> list[dict[str, Any]]:
    def bars(counts: dict[str, int], color: str = "#3b5998") -> list[tuple[str, int, float, str]]:
        top = max(counts.values(), default=0) or 1
        return [
            (label, value, round(190 * value / top, 1), _COLORS.get(label, color))
            for label, value in counts.items()
        ]

    by_status = Counter(row["status"] for row in document["fleet"])
    charts = [{"title": "Servers by approval status", "bars": bars(dict(by_status.most_common()))}]
    if "calls" in document:
        calls = document["calls"]
        charts.append({"title": "Calls by server", "bars": bars(dict(list(calls["by_server"].items())[:12]))})
        severities: Counter[str] = Counter(calls["by_severity"])
        # A refused connection is an attempt to leave; every one of the period, listed or not.
        severities["high"] += calls["counted"]["egress_denials"]
        ordered = {level: severities[level] for level in reversed(_SEVERITIES) if severities[level]}
        charts.append({"title": "Findings in the period by severity", "bars": bars(ordered, "#b00020")})
    trends = document.get("trends")
    if trends:
        changes = {
            key: value["now"]
            for key, value in trends.items()
            if key in ("unapproved", "drifted", "revoked", "unpinned")
        }
        before = {f"{key} before": trends[key]["before"] or 0 for key in changes}
        charts.append(
            {
                "title": "Problem servers now and in the previous report",
                "bars": bars({**before, **changes}, "#8a6d00"),
            }
        )
    return charts


def _cell(value: Any) -> str:
    """A value as literal text in a Markdown table cell: fleet server names, hosts, homes and
    launch lines are what any machine's configs say; a CR (a line ending to CommonMark) ended
    the row and began a heading or a row of its own, and a link or an image in a name rendered
    as one (an image fetched from the attacker's host when the report is viewed)."""
    if value is None:
        return ""
    text = str(value)
    if len(text) <= MARKDOWN_CELL_CHARS:
        return markdown_text(text)
    # Cut, never silently: a version of 250 characters ended a drifted server's detail inside
    # it, the approved version out of sight.
    left = len(text) - MARKDOWN_CELL_CHARS
    return markdown_text(f"{text[:MARKDOWN_CELL_CHARS]}… ({left} more characters in the HTML and JSON forms)")


#: The characters of a value a Markdown table cell shows (the HTML and JSON forms show all).
MARKDOWN_CELL_CHARS = 200


def parse_since(text: str) -> timedelta:
    """``90d``, ``12w``, ``6m`` (30-day months), ``1y``."""
    units = {"d": 1, "w": 7, "m": 30, "y": 365}
    number, unit = text[:-1], text[-1:].lower()
    # ASCII digits, few of them: "²" passed isdigit() and failed int(), and past what a date
    # holds (99999999999d, 9000y) the report was an internal error.
    if (
        unit not in units
        or not (number.isascii() and number.isdigit())
        or len(number) > 6
        or int(number) <= 0
    ):
        raise ValueError(f"--since {text[:40]!r}: give a number and d, w, m or y (90d)")
    days = int(number) * units[unit]
    if days > MAX_PERIOD_DAYS:
        raise ValueError(f"--since {text!r}: at most {MAX_PERIOD_DAYS} days (100y)")
    return timedelta(days=days)
