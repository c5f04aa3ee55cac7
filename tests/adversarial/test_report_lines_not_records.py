"""Attack: plant a line in the gateway's audit log that a reader of the raw file takes for a
record, without the log's key. A line that does not parse (a record with one stray byte after
its brace, or a byte that is not UTF-8) is skipped by verify as a line cut short by a gateway
killed mid-write (SECURITY.md: not detected), and named by `audit verify`; but `report audit`
said the chain verified, anchored, with nothing about it: a forged "call" between two records,
which a grep or a log shipper shows as one, stood in a log the report called clean, until
2026-12-05.

Now the report's audit log section counts the lines that are not records (with the first
numbers), and a line under "Act on" says so. A real audit log and the report's own builder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from mcpward.gateway import AuditLog
from mcpward.registry import Registry
from mcpward.report import audit


def test_lines_that_are_not_records_are_said_by_the_report(tmp_path: Path) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    log_path = tmp_path / "audit.jsonl"
    log = AuditLog(log_path)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    call = {"at": now, "server": "files", "stage": "request", "method": "tools/call", "decision": "allow"}
    log.append({**call, "tool": "read"})
    with log_path.open("ab") as handle:  # no key needed: the line is not a record
        handle.write(
            b'{"at":"%s","server":"files","tool":"delete_everything","decision":"allow"}x\n' % now.encode()
        )
        handle.write(b'{"server":"files","tool":"\xff"}\n')
    log.append({**call, "tool": "write"})
    log.close()
    document = audit.build_audit(registry, since=timedelta(days=90), audit_log=log_path)
    registry.database.dispose()
    chain = document["audit_log"]
    assert chain["verified"] is True and chain["records"] == 2
    # Before: no field and no line said that the log held lines that are not records.
    assert chain["not_records"] == 2 and chain["not_records_first"] == [2, 3]
    (line,) = [item for item in document["act_on"] if "not records" in item["text"]]
    assert line["severity"] == "high" and line["section"] == "audit_log", line
    assert "lines 2, 3" in line["text"]
    assert "2 lines" in audit.render_markdown(document)
