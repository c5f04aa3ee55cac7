"""Attack: stall `audit verify`, `report audit` and the gateway itself with lines that are not
records, written by anyone who can write the log (no key needed). Verify skips a line that does
not parse (taken for one cut short by a gateway killed mid-write) and the writer skips such
lines at the log's end to find its last record; a blank line was ruled out without a parse,
but every other line was parsed, and a failed parse costs microseconds: 16 MiB of `{` lines
(eight million) took verify 28 s of CPU here (a 1 GiB log: half an hour, in `report audit`
alike), and the same lines at the log's end held the gateway's next call (and, under its lock,
every gateway of the log) as long, until 2026-12-05.

Now a line is parsed only when it has a record's shape (it starts with `{` and ends with `}`),
the rest skipped at the cost of reading them (a fraction of a microsecond each); past 10,000
lines of a record's shape that do not parse, or a million lines that are not records (a killed
gateway leaves one), verify stops with a problem and the writer refuses: 64 MiB of `{` lines
still cost verify 21 s and the writer 15 s with the first change alone. Real files, the
gateway's writer and verify."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mcpward.gateway import AuditLog, check_audit_log
from mcpward.gateway._audit import AuditLogBroken

CALL = {"at": "2026-12-05T10:00:00Z", "server": "files", "stage": "request", "method": "tools/call"}


def _log(tmp_path: Path, junk: bytes) -> tuple[AuditLog, Path]:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append({**CALL, "n": 0})
    with path.open("ab") as handle:
        handle.write(junk)
    return log, path


def _cpu(function: object) -> float:
    started = time.thread_time()
    function()  # type: ignore[operator]
    return time.thread_time() - started


@pytest.mark.parametrize("line", [b"{\n", b"x\n", b"{x\n"])
def test_lines_not_shaped_like_records_are_skipped_without_a_parse(tmp_path: Path, line: bytes) -> None:
    log, path = _log(tmp_path, line * 900_000)
    # The writer's next call skips them at the end of the log (before: ~3.5 s here).
    assert _cpu(lambda: log.append({**CALL, "n": 1})) < 1.0
    log.close()
    verdict = check_audit_log(path)
    assert (verdict.problem, verdict.count, verdict.incomplete_lines) == (None, 2, 900_000)
    assert _cpu(lambda: check_audit_log(path)) < 1.0  # before: ~3.5 s


def test_lines_shaped_like_records_that_do_not_parse_are_bounded(tmp_path: Path) -> None:
    log, path = _log(tmp_path, b"{x}\n" * 1_000_000)
    # Before: each parsed, the writer's call and verify ~3.5 s each, 30 minutes for 1 GiB.
    spent = time.thread_time()
    with pytest.raises(AuditLogBroken, match="10000 lines"):
        log.append({**CALL, "n": 1})
    assert time.thread_time() - spent < 1.0
    log.close()
    spent = time.thread_time()
    verdict = check_audit_log(path)
    assert time.thread_time() - spent < 1.0
    assert verdict.count == 1 and verdict.problem and "10000 lines" in verdict.problem, verdict.problem


def test_a_million_lines_that_are_not_records_are_a_break(tmp_path: Path) -> None:
    log, path = _log(tmp_path, b"{\n" * 1_000_001)
    with pytest.raises(AuditLogBroken, match="1000000 lines are not records"):
        log.append({**CALL, "n": 1})
    log.close()
    verdict = check_audit_log(path)
    assert verdict.count == 1 and verdict.problem and "1000000 lines are not records" in verdict.problem


def test_a_line_cut_by_a_killed_writer_is_still_skipped_by_both(tmp_path: Path) -> None:
    log, path = _log(tmp_path, b'{"at":"2026-12-05T10:00:01Z","events":[{"kind":"x"}')  # cut after a brace
    log.append({**CALL, "n": 1})
    log.close()
    verdict = check_audit_log(path)
    assert (verdict.problem, verdict.count, verdict.incomplete) == (None, 2, [2])
