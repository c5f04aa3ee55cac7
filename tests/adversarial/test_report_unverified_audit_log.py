"""``mcpward report audit --audit-log`` counts calls, tool changes, DLP events and egress
denials from the gateway's audit log and cites each by its ``seq``. It read the log line by
line and never checked the chain it cites: a log with a DLP event cut out of its middle, its
newest records removed, or a call record replayed twice gave a report with fewer events or
more calls than the records support, and said nothing (the footer told the reader to run
``mcpward audit verify`` themself). The log is written by a real gateway writer
(:class:`mcpward.gateway.AuditLog`) and altered as a local user who can write the file (not
read its key) would, then reported through the real CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli_kit import mcpward

from mcpward.gateway import AuditLog
from mcpward.registry import Registry


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "gateway-audit.jsonl"
    log = AuditLog(path)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for number in range(3):
        log.append({"at": now, "stage": "request", "method": "tools/call", "server": "files",
                    "tool": "read", "decision": "allow", "client": "alice"})  # fmt: skip
        if number == 1:
            log.append({"at": now, "stage": "result", "server": "files", "events": [
                {"kind": "dlp-result", "tool": "read", "message": "an AWS key", "severity": "high"}]})  # fmt: skip
    log.close()
    return path


def _report(tmp_path: Path, log: Path) -> dict[str, Any]:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    Registry.open(database).database.dispose()
    result = mcpward("report", "audit", "--format", "json", "--database", database, "--audit-log", str(log),
                     MCPWARD_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _warned(document: dict[str, Any]) -> bool:
    return document["audit_log"]["verified"] is False and any(
        item["severity"] == "critical" and item["section"] == "audit_log" for item in document["act_on"]
    )


def test_a_whole_log_is_reported_as_verified(tmp_path: Path) -> None:
    document = _report(tmp_path, _log(tmp_path))
    assert document["summary"]["calls"] == 3 and document["summary"]["dlp_events"] == 1
    assert document["audit_log"] == {"records": 4, "verified": True, "anchored": True, "problem": None,
                                     "not_records": 0, "not_records_first": []}  # fmt: skip
    assert not any(item["section"] == "audit_log" for item in document["act_on"])


def test_a_dlp_event_cut_from_the_middle_is_not_reported_in_silence(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(line for line in lines if b"dlp-result" not in line))
    document = _report(tmp_path, log)
    assert document["summary"]["dlp_events"] == 0  # the record is gone; the report must say so
    assert _warned(document), document.get("audit_log")
    assert "line 3 is out of sequence" in document["audit_log"]["problem"]


def test_records_removed_from_the_end_are_not_reported_in_silence(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]))
    document = _report(tmp_path, log)
    assert _warned(document), document.get("audit_log")
    assert "head names record 4" in document["audit_log"]["problem"]


def test_a_replayed_call_record_is_not_counted_in_silence(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join([lines[0], *lines]))  # the first call twice: four calls counted
    document = _report(tmp_path, log)
    assert _warned(document), document.get("audit_log")
    assert "out of sequence" in document["audit_log"]["problem"]


def test_the_markdown_and_html_reports_say_the_log_does_not_verify(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[:-1]))
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    Registry.open(database).database.dispose()
    for form in ("md", "html"):
        result = mcpward("report", "audit", "--format", form, "--database", database, "--audit-log", str(log),
                         MCPWARD_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "audit log does not verify" in result.stdout, form


def test_a_forged_record_is_not_counted_with_the_ones_that_hold(tmp_path: Path) -> None:
    """A record appended by someone without the key (hash chained, no MAC): the counts are of
    the records that verify, read in the same pass as the check (two reads could be of two
    files, one swapped in between)."""
    log = _log(tmp_path)
    last = json.loads(log.read_bytes().splitlines()[-1])
    from mcpward.gateway._audit import _hash

    body = {key: value for key, value in last.items() if key not in ("hash", "mac")}
    body |= {"seq": last["seq"] + 1, "prev": last["hash"], "tool": "delete_all"}
    forged = {**body, "hash": _hash(last["hash"], body)}
    with log.open("ab") as handle:
        handle.write(json.dumps(forged).encode() + b"\n")
    document = _report(tmp_path, log)
    assert _warned(document) and "not written with the log's key" in document["audit_log"]["problem"]
    assert document["summary"]["calls"] == 3  # the forged call is not one of them
    assert "delete_all" not in document["calls"]["by_tool"]["files"]
