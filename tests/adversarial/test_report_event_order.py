"""The audit report lists at most 10,000 of a period's DLP events, tool changes and baseline
alerts of each kind (lowered here), and its chart "Findings in the period by severity" counted
only the listed ones. The records are valid (the gateway's own writer, a verifying chain), but
their order is the attacker's: a client with a valid token sends arguments that look like
secrets (each call a low DLP event of its own, recorded before the call goes on) until the list
is full, and the server's leak of a private key that follows (a critical DLP event) was in no
list of any format and not in the chart, which showed no critical finding: only a count of
"more not listed". Now the list keeps the most severe events (the earliest of a severity
first), in log order, and the chart counts every event of the period. A real log, the report's
own builder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mcpward.gateway import AuditLog
from mcpward.registry import Registry
from mcpward.report import audit
from mcpward.report.audit import build_audit, render_html, render_markdown

LISTED = 5


def _event(severity: str, message: str) -> dict[str, object]:
    return {"kind": "dlp-argument" if severity == "low" else "dlp-result", "tool": "read",
            "message": message, "severity": severity}  # fmt: skip


def test_a_flood_of_low_events_does_not_push_a_critical_one_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setattr(audit, "_LISTED", LISTED)
    path = tmp_path / "gateway-audit.jsonl"
    log = AuditLog(path)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for number in range(3 * LISTED):
        log.append(
            {"at": now, "stage": "request", "server": "files", "events": [_event("low", f"decoy {number}")]}
        )
    log.append(
        {"at": now, "stage": "result", "server": "files", "events": [_event("critical", "a private key")]}
    )
    log.append({"at": now, "stage": "request", "server": "files", "events": [_event("low", "decoy last")]})
    log.close()
    registry = Registry.open(database_url)
    try:
        document = build_audit(registry, since=timedelta(days=90), audit_log=path)
    finally:
        registry.database.dispose()
    calls = document["calls"]
    assert document["audit_log"]["verified"], document["audit_log"]
    assert document["summary"]["dlp_events"] == 3 * LISTED + 2
    listed = calls["dlp_events"]
    assert len(listed) == LISTED and calls["unlisted"]["dlp_events"] == 3 * LISTED + 2 - LISTED
    assert "a private key" in [event["message"] for event in listed], listed
    # Still in the log's order, the earliest of a severity kept.
    assert [event["seq"] for event in listed] == sorted(event["seq"] for event in listed)
    assert [event["message"] for event in listed if event["severity"] == "low"] == [
        f"decoy {number}" for number in range(LISTED - 1)
    ]
    assert "dlp-result" in render_markdown(document)  # the critical event's row
    chart = next(c for c in audit._charts(document) if c["title"].startswith("Findings"))
    assert {label: value for label, value, *_ in chart["bars"]} == {"critical": 1, "low": 3 * LISTED + 1}
    assert "dlp-result" in render_html(document)
