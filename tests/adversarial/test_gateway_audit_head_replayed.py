"""Attack: a head put back. Someone kept a copy of the gateway's audit head (sealed with the key
when it was current: a backup, a copy made while they could read the folder) and later puts it
back in place of the current one, without the key, while the log runs on past it.

Before (2026-12-05) ``mcpward audit verify`` and ``mcpward report audit`` called such a log intact
and anchored: the old head named a record the log still held, and records past a head were
taken as written after verify read it. Every gateway on the log meanwhile refused each call and
told its operator to run ``mcpward audit verify``, which found nothing; and the log's newest
records could then be cut back to the old head with no check left to tell. Verify now reads the
head again once it has read the log: a head more than one record behind what it read (a
writer killed between its record and its head leaves one) was put back, and is named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcpward.gateway import AuditLog, anchor_paths, check_audit_log


def _append(path: Path, count: int) -> None:
    log = AuditLog(path)
    for number in range(count):
        log.append({"at": f"2026-12-05T10:00:0{number}Z", "stage": "request", "method": "tools/call",
                    "server": "files", "tool": "read", "decision": "allow", "client": "alice"})  # fmt: skip
    log.close()


def test_a_head_put_back_is_named_by_verify_and_by_the_writer(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    _append(path, 2)
    head = anchor_paths(path)[1]
    kept = head.read_bytes()
    _append(path, 3)
    assert check_audit_log(path).problem is None
    head.write_bytes(kept)

    verdict = check_audit_log(path)
    assert verdict.problem is not None and "put back" in verdict.problem, verdict.problem
    result = cli("audit", "verify", str(path))
    assert result.exit_code == 1 and "put back" in result.stderr, result.stdout + result.stderr

    refused = None
    try:
        _append(path, 1)
    except OSError as exc:
        refused = str(exc)
    assert refused is not None and "put back" in refused


def test_the_report_does_not_count_a_log_whose_head_was_put_back_as_verified(
    tmp_path: Path, cli: Any
) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    _append(path, 2)
    head = anchor_paths(path)[1]
    kept = head.read_bytes()
    _append(path, 3)
    head.write_bytes(kept)
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    result = cli("report", "audit", "--format", "json", "--database", database, "--audit-log", str(path))
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["audit_log"]["verified"] is False and "put back" in document["audit_log"]["problem"]


def test_a_writer_killed_between_its_record_and_its_head_is_not_a_head_put_back(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    _append(path, 2)
    head = anchor_paths(path)[1]
    kept = head.read_bytes()
    _append(path, 1)
    head.write_bytes(kept)  # the record of a writer that died before it moved the head
    assert check_audit_log(path).problem is None
    _append(path, 1)
    assert check_audit_log(path).problem is None and check_audit_log(path).count == 4
