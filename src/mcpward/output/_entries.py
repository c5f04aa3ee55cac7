"""Registry entries for people (a table, one entry in detail) and for programs (JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from mcpward.output.words import counted

if TYPE_CHECKING:
    from mcpward.registry import AuditEvent, Entry


# What a terminal acts on instead of printing (C0, DEL, C1) and bidirectional overrides: entries
# hold text requesters typed, shown escaped (``\x1b``) so it can neither move the cursor, retitle
# the window nor forge a line of the listing.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", str(text))  # fmt: skip


def write_entries(
    entries: Sequence[Entry], output_format: str, out: TextIO, *, terminal: bool = False
) -> None:
    if output_format == "json":
        out.write(
            json.dumps([e.model_dump(mode="json") for e in entries], indent=2, ensure_ascii=False) + "\n"
        )
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("id", "name", "identity", "tier", "status", "owner", "review due"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        status = entry.status.value
        if entry.status.value == "requested" and entry.approvals:
            status += f" ({entry.approvals}/{entry.approvals_needed} approvals)"
        cells = (
            entry.id,
            entry.name,
            entry.identity.display,
            f"Tier-{entry.tier}",
            status,
            entry.owner,
            entry.review_due or "",
        )
        # Text, not markup: an owner of "[link=...]" is printed as written.
        table.add_row(*(Text(printable(cell)) for cell in cells))
    Console(file=out, force_terminal=terminal, width=160 if not terminal else None).print(table)


def write_entry(entry: Entry, output_format: str, out: TextIO, *, terminal: bool = False) -> None:
    if output_format == "json":
        out.write(entry.model_dump_json(indent=2) + "\n")
        return
    scope = entry.scope
    lines = [
        f"entry {entry.id}: {entry.name} (revision {entry.revision})",
        f"  identity     {entry.identity.display}",
        f"  integrity    {entry.identity.integrity or entry.identity.digest or 'not recorded'}",
        f"  repository   {entry.repository or 'none'}{' (verified)' if entry.repository_verified else ''}",
        f"  owner        {entry.owner}",
        f"  tier         Tier-{entry.tier} (derived Tier-{entry.derived_tier}: "
        f"{'; '.join(entry.tier_reasons)})",
        f"  status       {entry.status.value}"
        + (
            f", {entry.approvals} of {entry.approvals_needed} approvals"
            if entry.status.value == "requested"
            else ""
        ),
        f"  review due   {entry.review_due or '-'}",
        f"  reads        {', '.join(scope.reads) or '-'}",
        f"  writes       {', '.join(scope.writes) or '-'}",
        f"  credentials  {', '.join(scope.credentials) or '-'}",
        f"  network      {', '.join(scope.network) or '-'}",
        f"  vet          {entry.vet.verdict if entry.vet else 'not run'}"
        + (f", {counted(len(entry.vet.findings), 'finding')}" if entry.vet else "")
        + (f" (the requester claims {entry.vet_claim.verdict}, unchecked)" if entry.vet_claim else ""),
        f"  inspect      {counted(len(entry.pins), 'pinned item')}, "
        f"{counted(len(entry.inspect_findings), 'finding')}",
    ]
    for finding in [*(entry.vet.findings if entry.vet else ()), *entry.inspect_findings]:
        lines.append(f"    [{finding.get('severity')}] {finding.get('rule')}: {finding.get('message')}")
    for review in entry.reviews:
        override = " (override)" if review.override else ""
        lines.append(
            f"  {review.at:%Y-%m-%d %H:%M} {review.decision.value}{override} "
            f"by {review.reviewer}: {review.rationale}"
        )
    out.write("\n".join(printable(line) for line in lines) + "\n")


def write_audit(events: Sequence[AuditEvent], output_format: str, out: TextIO) -> None:
    if output_format == "json":
        out.write(
            json.dumps([e.model_dump(mode="json") for e in events], indent=2, ensure_ascii=False) + "\n"
        )
        return
    for event in events:
        entry = f" entry {event.entry_id}" if event.entry_id is not None else ""
        detail = json.dumps(event.detail, ensure_ascii=False, sort_keys=True)
        line = f"{event.seq:>6} {event.at:%Y-%m-%d %H:%M:%S} {event.actor} {event.action}{entry} {detail}"
        out.write(printable(line) + "\n")
