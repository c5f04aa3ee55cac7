"""Attack: someone who can write the gateway's audit log (not read its key) appends a flood of
lines that are not records: newlines alone, 16 MiB of them, between two records.

Verify skips a line that does not parse as one cut short by a writer that died, and named every
one: before (2026-12-05) it kept each such line's number, so 16 MiB of newlines cost it 684 MiB
and 86 s here (a 1 GiB file, some 40 GB), in ``mcpward audit verify`` and in ``mcpward report
audit`` alike. It now keeps the first 100 numbers and counts the rest, and rules out a blank
line without parsing it (35 MiB and some 10 s)."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path
from typing import Any

from mcpward.gateway import AuditLog, check_audit_log


def test_a_flood_of_lines_that_are_not_records_is_counted_in_bounded_memory(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    log = AuditLog(path)
    log.append({"at": "2026-12-05T10:00:00Z", "stage": "request", "method": "tools/call", "n": 0})
    with path.open("ab") as handle:
        handle.write(b"\n" * 300_000 + b"x\n")
    log.append({"at": "2026-12-05T10:00:01Z", "stage": "request", "method": "tools/call", "n": 1})
    log.close()
    started = time.thread_time()
    verdict = check_audit_log(path)
    spent = time.thread_time() - started
    tracemalloc.start()
    check_audit_log(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (verdict.problem, verdict.count, verdict.incomplete_lines) == (None, 2, 300_001)
    assert verdict.incomplete[:2] == [2, 3] and len(verdict.incomplete) == 100
    assert peak < 2_000_000, peak
    assert spent < 1.0, spent
    result = cli("audit", "verify", str(path))
    assert result.exit_code == 0 and "300001 incomplete line(s) skipped" in result.stdout, result.stdout
