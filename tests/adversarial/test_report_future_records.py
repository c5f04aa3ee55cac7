"""``mcpward report audit --audit-log`` counts the gateway's records of the period: those dated
from its start on. It compared each record's ``at`` with the start only, so a record dated
years ahead (a gateway whose clock was set wrong, or records written by someone holding the
log's key: the chain verifies either way) was counted in the period of every report until that
date, as if it had happened in it: 500 calls dated 2031 made the quarter's call count, the
busiest server and the DLP events what its writer chose, and the report said nothing (a date
that is no date at all, ``"zzz"``, sorted after every real one and was counted too). Now a
record dated after the report's time (past a few minutes of clock skew) or with no readable
date is counted in no list of the period, and the report says how many there were and names
the first, under "Act on"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mcpward.gateway import AuditLog
from mcpward.registry import Registry
from mcpward.report.audit import build_audit, render_html, render_markdown

NOW = datetime.now(UTC)


def _at(when: datetime) -> str:
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _call(at: str, tool: str = "read") -> dict[str, Any]:
    return {"at": at, "stage": "request", "method": "tools/call", "server": "files", "tool": tool,
            "decision": "allow", "client": "alice"}  # fmt: skip


def _dlp(at: str) -> dict[str, Any]:
    return {"at": at, "stage": "result", "server": "files",
            "events": [{"kind": "dlp-result", "tool": "read", "message": "an AWS key", "severity": "high"}]}  # fmt: skip


def _report(tmp_path: Path, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The audit document of a log the real gateway writer wrote (its chain verifies)."""
    log_path = tmp_path / "gateway-audit.jsonl"
    log = AuditLog(log_path)
    for record in records:
        log.append(record)
    log.close()
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    try:
        return build_audit(registry, since=timedelta(days=90), audit_log=log_path, now=NOW)
    finally:
        registry.database.dispose()


def _flagged(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in document["act_on"] if item["section"] == "audit_log" and "dated" in item["text"]]


def test_records_dated_years_ahead_are_not_counted_in_the_period(tmp_path: Path) -> None:
    today = _at(NOW - timedelta(hours=1))
    ahead = _at(NOW + timedelta(days=5 * 365))
    records = [_call(today), _dlp(today), *(_call(ahead, "delete_all") for _ in range(500)), _dlp(ahead)]
    document = _report(tmp_path, records)
    assert document["audit_log"]["verified"] is True  # the chain holds: only the dates are wrong
    assert document["summary"]["calls"] == 1
    assert document["summary"]["dlp_events"] == 1
    assert "delete_all" not in document["calls"]["by_tool"]["files"]
    assert document["calls"]["misdated"] == {"records": 501, "first_seq": 3, "first_at": ahead}
    (item,) = _flagged(document)
    assert item["severity"] == "high" and item["count"] == 501
    assert "after this report" in item["text"] and ahead in item["text"]
    for rendered in (render_markdown(document), render_html(document)):
        assert "501 audit records" in rendered


def test_a_record_whose_date_is_no_date_is_not_counted(tmp_path: Path) -> None:
    document = _report(tmp_path, [_call(_at(NOW)), _call("zzz", "odd"), _call("", "empty"), _call(5, "five")])  # type: ignore[arg-type]
    assert document["summary"]["calls"] == 1
    assert document["calls"]["misdated"]["records"] == 3
    assert _flagged(document)[0]["count"] == 3


def test_clean_records_of_the_period_and_before_raise_nothing(tmp_path: Path) -> None:
    """Records of the period are counted, records before it left out as always, a record a
    minute ahead (a gateway's clock slightly fast) counted, and no line is added."""
    records = [
        _call(_at(NOW - timedelta(days=200)), "old"),
        _call(_at(NOW - timedelta(days=1))),
        _dlp(_at(NOW - timedelta(days=1))),
        _call(_at(NOW + timedelta(minutes=1))),
        # Another offset than Z, as a hand-made record may carry: the same instant.
        _call((NOW - timedelta(hours=2)).astimezone(UTC).isoformat()),
    ]
    document = _report(tmp_path, records)
    assert document["summary"]["calls"] == 3
    assert document["summary"]["dlp_events"] == 1
    assert "old" not in document["calls"]["by_tool"]["files"]
    assert document["calls"]["misdated"] == {"records": 0, "first_seq": None, "first_at": None}
    assert not _flagged(document)
