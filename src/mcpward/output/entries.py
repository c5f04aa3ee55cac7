"""Registry entries for people (a table, one entry in detail) and for programs (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from mcpward.output.text import for_terminal, printable, printable_together
from mcpward.output.words import counted

if TYPE_CHECKING:
    from mcpward.registry import AuditEvent, Entry


def write_entries(
    entries: Sequence[Entry], output_format: str, out: TextIO, *, terminal: bool = False
) -> None:
    if output_format == "json":
        # for_terminal: the same JSON, without a raw C1 control (a tool's description holds any).
        out.write(
            for_terminal(
                json.dumps([e.model_dump(mode="json") for e in entries], indent=2, ensure_ascii=False)
            )
            + "\n"
        )
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    columns = ("id", "name", "identity", "change", "tier", "vet", "inspect", "advisories", "status", "owner")
    for column in (*columns, "review due"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        status = entry.status.value
        if entry.status.value == "requested" and entry.approvals:
            status += f" ({entry.approvals}/{entry.approvals_needed} approvals)"
        if entry.superseded_on and entry.status.value == "approved":
            status += f" until {entry.superseded_on}"
        if entry.on_probation:
            status += f" (read-only until {entry.probation_until})"
        cells = (
            entry.id,
            entry.name,
            entry.identity.display,
            change_text(entry),
            f"Tier-{entry.tier}",
            entry.vet.verdict if entry.vet else "not run",
            worst_text(entry),
            advisories_text(entry),
            status,
            entry.owner,
            entry.review_due or "",
        )
        # Text, not markup: an owner of "[link=...]" is printed as written.
        table.add_row(*(Text(printable(cell)) for cell in cells))
    Console(file=out, force_terminal=terminal, width=200 if not terminal else None).print(table)


def change_text(entry: Entry) -> str:
    """What this version is to the approved ones: "new", "update of 1.0 (entry 3)", ..."""
    if entry.change == "new" or not entry.approved_versions:
        return "new"
    others = ", ".join(f"{v.release} (entry {v.id})" for v in entry.approved_versions)
    return f"{entry.change} of {others}"


def worst_text(entry: Entry, inspected: bool | None = None) -> str:
    """The most severe inspect finding, or whether inspect ran at all (``inspected``: whether
    the entry has pins, for a summary read without them)."""
    if entry.worst_inspect:
        return f"{entry.worst_inspect.get('severity')} {entry.worst_inspect.get('rule')}"
    return "clean" if (bool(entry.pins) if inspected is None else inspected) else "not run"


def advisories_text(entry: Entry) -> str:
    if not entry.advisories:
        return "none known"
    malicious = sum(1 for a in entry.advisories if a.get("malicious"))
    ids = ", ".join(str(a.get("id")) for a in entry.advisories[:3])
    more = f" +{len(entry.advisories) - 3}" if len(entry.advisories) > 3 else ""
    return f"{'MALICIOUS ' if malicious else ''}{ids}{more}"


def write_entry(
    entry: Entry,
    output_format: str,
    out: TextIO,
    *,
    terminal: bool = False,
    refusals: Sequence[tuple[str, str]] = (),
) -> None:
    """``refusals``: what the approval policy holds against approving it, shown on a request."""
    if output_format == "json":
        out.write(for_terminal(entry.model_dump_json(indent=2)) + "\n")
        return
    scope = entry.scope
    status = entry.status.value
    if entry.status.value == "requested":
        status += f", {entry.approvals} of {entry.approvals_needed} approvals"
    if entry.superseded_by is not None:
        ends = "ended" if entry.status.value == "superseded" else "ends"
        status += f" (superseded by entry {entry.superseded_by}: approval {ends} on {entry.superseded_on})"
    if entry.on_probation:
        tools = ", ".join(entry.read_only_tools) or "none"
        status += f" (probation: read-only tools only until {entry.probation_until} and a grant: {tools})"
    elif entry.write_granted_by and entry.status.value == "approved":
        # A revoked or superseded entry grants nothing ("revoked (write granted by bob)").
        status += f" (write granted by {entry.write_granted_by})"
    lines = [
        f"entry {entry.id}: {entry.name} (revision {entry.revision})",
        f"  identity     {entry.identity.display}",
        f"  integrity    {entry.identity.integrity or entry.identity.digest or 'not recorded'}",
        f"  repository   {entry.repository or 'none'}{' (verified)' if entry.repository_verified else ''}",
        f"  owner        {entry.owner}",
        f"  tier         Tier-{entry.tier} (derived Tier-{entry.derived_tier}: "
        f"{'; '.join(entry.tier_reasons)})",
        f"  status       {status}",
        f"  review due   {entry.review_due or '-'}",
        f"  change       {change_text(entry)}",
        f"  reads        {', '.join(scope.reads) or '-'}",
        f"  writes       {', '.join(scope.writes) or '-'}",
        f"  credentials  {', '.join(scope.credentials) or '-'}",
        f"  network      {', '.join(scope.network) or '-'}",
        f"  vet          {entry.vet.verdict if entry.vet else 'not run'}"
        + (f", {counted(len(entry.vet.findings), 'finding')}" if entry.vet else "")
        + (f" (the requester claims {entry.vet_claim.verdict}, unchecked)" if entry.vet_claim else ""),
        f"  inspect      {counted(len(entry.pins), 'pinned item')}, "
        f"{counted(len(entry.inspect_findings), 'finding')}"
        + (f", worst: {worst_text(entry)}" if entry.worst_inspect else ""),
        f"  advisories   {counted(len(entry.advisories), 'known advisory') if entry.advisories else 'none'}",
    ]
    if refusals and entry.status.value in ("requested", "expired", "superseded"):
        lines.append("  approving    needs --override (recorded; admins only on a registry server):")
        lines += [f"    - {text}" for _check, text in refusals]
    for advisory in entry.advisories:
        label = "MALICIOUS" if advisory.get("malicious") else advisory.get("severity")
        lines.append(f"    [{label}] {advisory.get('id')}: {advisory.get('summary')}")
    for finding in [*(entry.vet.findings if entry.vet else ()), *entry.inspect_findings]:
        lines.append(f"    [{finding.get('severity')}] {finding.get('rule')}: {finding.get('message')}")
    for review in entry.reviews:
        override = " (override)" if review.override else ""
        chosen = review.read_only_tools
        # What an approver confirmed binds a Tier-0 entry's probation with the other approver's.
        choice = "" if chosen is None else f" · confirmed read-only: {', '.join(chosen) or 'none'}"
        lines.append(
            f"  {review.at:%Y-%m-%d %H:%M} {review.decision.value}{override} "
            f"by {review.reviewer}: {review.rationale}{choice}"
        )
    # One decision for the whole listing whether backslashes are doubled: a name compared from
    # line to line shows the same on each (see ``printable_together``).
    out.write("\n".join(printable_together(lines)) + "\n")


def write_audit(events: Sequence[AuditEvent], output_format: str, out: TextIO) -> None:
    if output_format == "json":
        out.write(
            for_terminal(
                json.dumps([e.model_dump(mode="json") for e in events], indent=2, ensure_ascii=False)
            )
            + "\n"
        )
        return
    lines = []
    for event in events:
        entry = f" entry {event.entry_id}" if event.entry_id is not None else ""
        detail = json.dumps(event.detail, ensure_ascii=False, sort_keys=True)
        lines.append(
            f"{event.seq:>6} {event.at:%Y-%m-%d %H:%M:%S} {event.actor} {event.action}{entry} {detail}"
        )
    # Backslashes doubled on every line or on none: an actor read from line to line shows the
    # same on each (a line with an invisible character in its detail doubled them alone).
    out.writelines(line + "\n" for line in printable_together(lines))
