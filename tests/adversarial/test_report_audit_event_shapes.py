"""``mcpward report audit --audit-log`` reads each record's ``events`` as a list of objects with
a ``kind``. A record whose chain holds but whose events are of another shape (a string among
them, an object or a number for the list, a list for a kind: written by whoever can write a log
that is not anchored, or holds its key) made the whole report an internal error, so the
quarterly audit was not written at all. Such events are now no event of any kind the report
lists; the records around them are counted as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mcpward.gateway import AuditLog
from mcpward.registry import Registry

_DLP = {"kind": "dlp-result", "tool": "read", "message": "an AWS key", "severity": "high"}


def _report(cli: Any, tmp_path: Path, *shapes: Any) -> dict[str, Any]:
    path = tmp_path / "gateway-audit.jsonl"
    log = AuditLog(path)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    log.append({"at": now, "stage": "request", "method": "tools/call", "server": "files",
                "tool": "read", "decision": "allow", "client": "alice"})  # fmt: skip
    for events in shapes:
        log.append({"at": now, "stage": "result", "server": "files", "events": events})
    log.append({"at": now, "stage": "result", "server": "files", "events": [_DLP]})
    log.close()
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    Registry.open(database).database.dispose()
    result = cli("report", "audit", "--format", "json", "--database", database, "--audit-log", str(path))
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.mark.parametrize(
    "events",
    [["dlp-result"], {"kind": "dlp-result"}, 5, "dlp-result", [{"kind": ["dlp-result"]}], [None]],
    ids=["a-string-event", "an-object-for-the-list", "a-number", "a-string", "a-list-for-a-kind", "null"],
)
def test_events_of_another_shape_do_not_stop_the_report(cli: Any, tmp_path: Path, events: Any) -> None:
    document = _report(cli, tmp_path, events)
    assert document["audit_log"]["verified"] is True
    assert document["summary"]["calls"] == 1 and document["summary"]["dlp_events"] == 1
    assert [row["message"] for row in document["calls"]["dlp_events"]] == ["an AWS key"]


def test_a_log_of_ordinary_events_is_counted_as_before(cli: Any, tmp_path: Path) -> None:
    document = _report(cli, tmp_path, [_DLP, {"kind": "tool-changed", "tool": "read", "severity": "medium"}])
    assert document["summary"]["dlp_events"] == 2 and document["summary"]["tool_changes"] == 1
