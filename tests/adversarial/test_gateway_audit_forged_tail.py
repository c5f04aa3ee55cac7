"""Attack: append a record to the gateway's audit log without its key, and have the gateway
vouch for it. A writer that finds the log one record past its head takes that record for one of
a writer killed between its record and its head, and chains on from it: a record forged by
anyone who can write the file (a call never made, `"prev"` the head's hash, `"seq"` one more,
no MAC) was taken so, the gateway writing its next records after it and moving its sealed head
past it, until 2026-12-05. `audit verify` named the forged line, but the gateway kept serving,
and every later record was past the first problem, counted by no report.

Now a record one past the head must carry the key's MAC, as one a writer that died wrote does;
else the writer refuses (nothing forwarded) and says why. Real files, the gateway's writer."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from mcpward.gateway import AuditLog, anchor_paths, check_audit_log
from mcpward.gateway._audit import AuditLogBroken

CALL = {"at": "2026-12-05T10:00:00Z", "server": "files", "stage": "request", "method": "tools/call"}


def test_a_record_forged_past_the_head_stops_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    writer, other = AuditLog(path), AuditLog(path)
    written = writer.append({**CALL, "tool": "read"})
    forged = {**CALL, "tool": "delete_everything", "seq": written["seq"] + 1, "prev": written["hash"]}
    encoded = orjson.dumps(forged, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(written["hash"].encode() + encoded).hexdigest()
    with path.open("ab") as handle:
        handle.write(encoded[:-1] + b',"hash":"%s","mac":"%s"}\n' % (digest.encode(), b"0" * 64))
    # Before: written after it, its head sealed past the forged record.
    with pytest.raises(AuditLogBroken, match="not written with the log's key"):
        other.append({**CALL, "tool": "write"})
    writer.close()
    other.close()
    assert "not written with the log's key" in (check_audit_log(path).problem or "")


def test_the_record_of_a_writer_killed_before_its_head_is_still_chained_on(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _, head = anchor_paths(path)
    log = AuditLog(path)
    log.append({**CALL, "n": 1})
    kept = head.read_bytes()
    log.append({**CALL, "n": 2})
    log.close()
    head.write_bytes(kept)  # the writer of record 2 died before moving the head
    log = AuditLog(path)
    log.append({**CALL, "n": 3})
    log.close()
    verdict = check_audit_log(path)
    assert (verdict.problem, verdict.count) == (None, 3)
