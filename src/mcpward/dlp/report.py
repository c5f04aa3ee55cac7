"""``mcpward dlp scan``: a file or standard input, as text or JSON, into a report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from mcpward import __version__
from mcpward.dlp._engine import DlpMatch
from mcpward.dlp.policy import DlpPolicy
from mcpward.dlp.scanning import ScanLimitError, redact, redact_json, scan_json, scan_text
from mcpward.model import Category, Finding, Report, ScanError, Severity

MAX_INPUT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ContentScan:
    """A scanned file: its report, and what a masked copy needs (made only when asked for)."""

    report: Report
    text: str
    #: The parsed JSON, or None when the content was scanned as text.
    value: Any
    #: The matches to mask: all of them without a policy, with one those to redact or block.
    masked: tuple[DlpMatch, ...]

    def redacted(self) -> str:
        """The content with its masked matches replaced; JSON stays JSON (strings and keys
        masked in place)."""
        if self.value is None:
            return redact(self.text, list(self.masked))
        return json.dumps(redact_json(self.value, list(self.masked)), ensure_ascii=False, indent=2) + "\n"


def scan_source(data: bytes, name: str, policy: DlpPolicy | None = None, tool: str | None = None) -> Report:
    """Scan a file's bytes; with a policy, its own rules, allow-lists and actions apply."""
    return scan_content(data, name, policy, tool).report


def scan_content(
    data: bytes, name: str, policy: DlpPolicy | None = None, tool: str | None = None
) -> ContentScan:
    errors: list[ScanError] = []
    if len(data) > MAX_INPUT_BYTES:
        errors.append(ScanError(path=name, message=f"only the first {MAX_INPUT_BYTES} bytes were scanned"))
        data = data[:MAX_INPUT_BYTES]
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text and "\ufffd".encode() not in data:
        errors.append(
            ScanError(
                path=name, message="not valid UTF-8: undecodable bytes were replaced and scanned as text"
            )
        )
    matches: list[DlpMatch]
    try:
        value = json.loads(text) if text.lstrip()[:1] in ("{", "[") else None
    except (json.JSONDecodeError, RecursionError):
        value = None
    json_scan, text_scan = (
        (scan_json, scan_text)
        if policy is None
        else (partial(policy.scan_json, tool=tool), partial(policy.scan_text, tool=tool))
    )
    try:
        matches = json_scan(value) if value is not None else text_scan(text)
    except ScanLimitError as exc:
        errors.append(ScanError(path=name, message=f"not scanned completely: {exc}"))
        value, matches = None, text_scan(text)
    findings = tuple(_finding(match, name) for match in matches)
    report = Report(
        tool_version=__version__,
        command="dlp",
        generated_at=datetime.now(UTC),
        subject=name,
        findings=findings,
        errors=tuple(errors),
    )
    masked = tuple(m for m in matches if policy is None or m.action in ("redact", "block"))
    return ContentScan(report, text, value, masked)


_WHAT = {"secret": "Secret", "pii": "Personal data", "custom": "Policy match"}


def _finding(match: DlpMatch, name: str) -> Finding:
    secret = match.kind == "secret"
    return Finding(
        rule=match.rule,
        category=Category.PLAINTEXT_SECRET if secret else Category.PERSONAL_DATA,
        severity=Severity(match.severity),
        message=f"{_WHAT.get(match.kind, 'Match')} ({match.rule}"
        + (f", {match.encoding}-encoded)" if match.encoding else ")")
        + (f" in {match.path}" if match.path else f" at offset {match.start}")
        + (f"; action: {match.action}." if match.action != "alert" else "."),
        action=match.action,
        remediation="Remove it or mask it before the content reaches a model or a log.",
        config_path=name,
        evidence=match.redacted,
        field=match.path,
        start=match.start,
        end=match.end,
        confidence=match.confidence,
    )
