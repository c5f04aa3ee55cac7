"""``mcpward report questionnaire``: the MCP section of a third-party risk questionnaire, blank
to send to vendors, or answered for this organisation (``--answer``) from the registry and the
fleet inventory, each answer with the evidence it rests on."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mcpward.output.words import counted
from mcpward.registry import REVIEW_DAYS, Registry, Status


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    answer: str = ""
    evidence: str = ""


QUESTIONS = (
    ("MCP-1", "Which MCP (Model Context Protocol) servers do your AI assistants and agents use?"),
    ("MCP-2", "Are they maintained internally, taken from public package registries, or hosted by vendors?"),
    (
        "MCP-3",
        "With which data scopes, credentials and network access do they run? Which can run shell commands, "
        "reach credentials or write production data?",
    ),
    ("MCP-4", "How are their versions pinned, and how is each package verified before use?"),
    ("MCP-5", "What is your process when a security advisory affects an MCP server or its package?"),
    ("MCP-6", "Do you detect changes to the tool descriptions a server gives the model after approval?"),
    ("MCP-7", "How often are approved MCP servers reviewed again, and who owns each one?"),
    ("MCP-8", "Do you keep an inventory of the MCP servers configured on your staff's machines?"),
)


def questionnaire(registry: Registry | None) -> list[Question]:
    if registry is None:
        return [Question(qid, text) for qid, text in QUESTIONS]
    registry.expire_due()
    entries = registry.entries()
    approved = [e for e in entries if e.status is Status.APPROVED]
    fleet, total = registry.fleet(limit=1_000_000)
    statuses = Counter(row.judgement.status for row in fleet)
    kinds = Counter(
        e.identity.kind if e.identity.kind != "package" else str(e.identity.ecosystem) for e in approved
    )
    tiers = Counter(e.tier for e in approved)
    pinned_tools = sum(1 for e in approved if e.pins)
    with_integrity = sum(1 for e in approved if e.identity.integrity or e.identity.digest)
    vetted = Counter(e.vet.verdict if e.vet else "not vetted" for e in approved)
    verified = sum(1 for e in approved if e.repository_verified)
    expired = sum(1 for e in entries if e.status is Status.EXPIRED)
    owners = len({e.owner for e in approved})
    names = ", ".join(f"{e.name} ({e.identity.display})" for e in approved[:50])
    more = f" and {len(approved) - 50} more" if len(approved) > 50 else ""
    answers = {
        "MCP-1": (
            f"{len(approved)} approved servers: {names}{more}." if approved else "None approved.",
            f"registry: {len(approved)} approved entries (mcpward registry list --status approved)",
        ),
        "MCP-2": (
            "By source: "
            + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
            + ". Public packages are approved at an exact version only after review.",
            "registry entries' identities (package, image or remote URL)",
        ),
        "MCP-3": (
            f"Each entry documents what it reads, writes, which credentials (by name) and hosts it needs. "
            f"Tier-0 (shell, credential access or production writes; two reviewers): {tiers.get(0, 0)}; "
            f"Tier-1: {tiers.get(1, 0)}; Tier-2 (read-only): {tiers.get(2, 0)}.",
            "registry entries' data scope and derived tier",
        ),
        "MCP-4": (
            f"Every approved package is pinned to an exact version ({with_integrity} of "
            f"{len(approved)} with the registry's integrity hash or an image digest); vet verdicts: "
            + ", ".join(f"{count} {verdict}" for verdict, count in sorted(vetted.items()))
            + f"; {verified} with provenance verified. Machines running another version are "
            "flagged as drift.",
            f"registry; fleet: {statuses.get('version-drift', 0)} drifted, "
            f"{statuses.get('integrity-mismatch', 0)} integrity mismatches",
        ),
        "MCP-5": (
            "Advisories (OSV) are matched against every configured and approved server by "
            "`mcpward scan` and the audit report; an affected entry is revoked, after which scans "
            "and the gateway refuse it, and a fixed version goes through review.",
            "mcpward advisories update; mcpward report audit (approved versions with advisories)",
        ),
        "MCP-6": (
            f"Yes: tool signatures are pinned ({pinned_tools} approved entries carry pins) and the "
            "gateway withholds a changed or new tool until it is approved again, recording the "
            "change with a diff.",
            "registry entries' pins; gateway audit log (tool-changed events)",
        ),
        "MCP-7": (
            f"Every {REVIEW_DAYS} days; {expired} approvals are past their re-review date. Each "
            f"entry has a named owner ({owners} owners for {len(approved)} approved servers).",
            "registry review dates and owners",
        ),
        "MCP-8": (
            f"Yes: {counted(total, 'server')} reported from {counted(registry.machine_count(), 'machine')} "
            f"({counted(registry.home_count(), 'home')}); {statuses.get('approved', 0)} approved, "
            f"{statuses.get('unapproved', 0)} unapproved, {statuses.get('revoked', 0)} revoked; "
            f"{sum(1 for row in fleet if row.advisories)} with a known advisory "
            f"({sum(1 for row in fleet if row.worst_advisory == 'malicious')} malicious).",
            "fleet inventory (mcpward scan --report-to)",
        ),
    }
    return [Question(qid, text, *answers[qid]) for qid, text in QUESTIONS]


def render_markdown(questions: list[Question]) -> str:
    lines = ["# MCP servers: third-party risk questions", ""]
    for question in questions:
        lines += [f"## {question.id}. {question.text}", "", question.answer or "_Answer:_", ""]
        if question.evidence:
            lines += [f"Evidence: {question.evidence}", ""]
    return "\n".join(lines)


def render_csv(questions: list[Question]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "question", "answer", "evidence"])
    for question in questions:
        writer.writerow([question.id, question.text, question.answer, question.evidence])
    return buffer.getvalue()


def write_xlsx(questions: list[Question], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "MCP"
    sheet.append(["id", "question", "answer", "evidence"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for question in questions:
        sheet.append([question.id, question.text, question.answer, question.evidence])
    for column, width in zip("ABCD", (8, 60, 80, 50), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)
