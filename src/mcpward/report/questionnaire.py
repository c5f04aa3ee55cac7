"""``mcpward report questionnaire``: the MCP section of a third-party risk questionnaire, blank
to send to vendors, or answered for this organisation (``--answer``) from the audit report's
document (registry, fleet inventory, audit log), each answer with the evidence it rests on."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

from mcpward.output.text import markdown_text
from mcpward.output.words import counted
from mcpward.registry import REVIEW_DAYS


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


def questionnaire(document: dict[str, Any] | None) -> list[Question]:
    """Blank without a document; else answered from the audit document
    (:func:`mcpward.report.audit.build_audit`), the one model of the registry, fleet and audit
    log that the audit report renders, so that every number here is one of the report's."""
    if document is None:
        return [Question(qid, text) for qid, text in QUESTIONS]
    summary = document["summary"]
    approved = document["approved"]
    statuses = document["fleet_by_status"]
    kinds = Counter(e["source"] for e in approved)
    tiers = Counter(e["tier"] for e in approved)
    pinned_tools = sum(1 for e in approved if e["pinned_tools"])
    with_integrity = sum(1 for e in approved if e["integrity"])
    vetted = Counter(e["vet"] for e in approved)
    verified = sum(1 for e in approved if e["provenance_verified"])
    owners = len({e["owner"] for e in approved})
    names = ", ".join(f"{e['name']} ({e['identity']})" for e in approved[:50])
    more = f" and {len(approved) - 50} more" if len(approved) > 50 else ""
    advised = document["advisories"]
    fleet_advised = document["fleet_advisories"]
    malicious = sum(1 for row in fleet_advised if row["worst"] == "malicious")
    affected = len({a["id"] for a in advised})  # approved entries, each with one row per advisory
    if affected:
        listed = "; ".join(f"{a['identity']}: {a['advisory']} ({a['severity']})" for a in advised[:20])
        verb = ("has", "is") if affected == 1 else ("have", "are")
        standing = (
            f"{counted(affected, 'approved version')} currently {verb[0]} a known advisory and "
            f"{verb[1]} still approved: {listed}. "
        )
    else:
        standing = "No approved version has a known advisory. "
    answers = {
        "MCP-1": (
            f"{counted(len(approved), 'approved server')}: {names}{more}." if approved else "None approved.",
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
            standing + "Advisories (OSV) are matched against every configured and approved server by "
            "`mcpward scan`, the fleet view and the audit report; approving a version with a known "
            "advisory needs a recorded override; revoking an entry makes scans and the gateway "
            "refuse it, and a fixed version goes through review. Fleet: "
            f"{counted(len(fleet_advised), 'server')} with a known advisory ({malicious} malicious).",
            "mcpward report audit (approved versions with advisories; fleet servers with advisories)",
        ),
        "MCP-6": (
            f"Yes: tool signatures are pinned ({pinned_tools} approved entries carry pins) and the "
            "gateway withholds a changed or new tool until it is approved again, recording the "
            "change with a diff.",
            "registry entries' pins; gateway audit log (tool-changed events)",
        ),
        "MCP-7": (
            f"Every {REVIEW_DAYS} days; {summary['reviews_expired']} approvals are past their re-review "
            f"date. Each entry has a named owner ({owners} owners for {len(approved)} approved servers).",
            "registry review dates and owners",
        ),
        "MCP-8": (
            f"Yes: {counted(summary['servers'], 'server')} reported from "
            f"{counted(summary['machines'], 'machine')} ({counted(summary['homes'], 'home')}, "
            f"{summary['stale_homes']} stale); "
            + ", ".join(f"{count} {status}" for status, count in statuses.items())
            + f"; {len(fleet_advised)} with a known advisory ({malicious} malicious)."
            # The model reads a bounded number of fleet servers: counts of those read alone,
            # given as the fleet's, understated it to customers without a word.
            + (
                f" {counted(document['fleet_unread'], 'more fleet server')} not read into this answer (the "
                "audit report's bound): these counts leave them out."
                if document.get("fleet_unread")
                else ""
            ),
            "fleet inventory (mcpward scan --report-to); mcpward report audit",
        ),
    }
    return [Question(qid, text, *answers[qid]) for qid, text in QUESTIONS]


def render_markdown(questions: list[Question]) -> str:
    # Answers and evidence as literal text: they name what requesters typed (an identity's
    # package name or URL path, "![x](https://evil.example/p.png)", was an image fetched when
    # the answers were viewed), as the CSV and the workbook show them.
    lines = ["# MCP servers: third-party risk questions", ""]
    for question in questions:
        answer = markdown_text(question.answer) if question.answer else "_Answer:_"
        lines += [f"## {question.id}. {question.text}", "", answer, ""]
        if question.evidence:
            lines += [f"Evidence: {markdown_text(question.evidence)}", ""]
    return "\n".join(lines)


def render_csv(questions: list[Question]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "question", "answer", "evidence"])
    for question in questions:
        writer.writerow([question.id, question.text, question.answer, question.evidence])
    return buffer.getvalue()


#: The most characters a cell of a workbook holds (Excel's specifications and limits): past it,
#: Excel reports the file damaged and repairs it by dropping what it cannot hold.
_CELL_CHARS = 32_767


def _cell(text: str) -> str:
    """``text`` as a cell holds it: past ``_CELL_CHARS``, cut with a note of how much more the
    other formats hold (an answer naming 50 long approved URLs passed it)."""
    if _units(text) <= _CELL_CHARS:
        return text
    note = " [... {} more characters: the Markdown and CSV answers hold them]"
    room = _CELL_CHARS - len(note.format(len(text)))  # the count has at most as many digits
    kept = text[:room]
    while (excess := _units(kept) - room) > 0:  # Excel counts UTF-16 units: past U+FFFF, two
        kept = kept[: len(kept) - (excess + 1) // 2]  # each character cut is one or two of them
    return kept + note.format(len(text) - len(kept))


def _units(text: str) -> int:
    """``text``'s length in UTF-16 code units, as a workbook's cell counts it."""
    return len(text) + sum(1 for character in text if ord(character) > 0xFFFF)


def render_xlsx(questions: list[Question]) -> bytes:
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
        sheet.append(
            [_cell(question.id), _cell(question.text), _cell(question.answer), _cell(question.evidence)]
        )
    for column, width in zip("ABCD", (8, 60, 80, 50), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    # Built in memory for the caller to write whole: saved to the path, a failed write (ENOSPC)
    # left the zip file open, and its finaliser printed a traceback after the one-line error.
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
