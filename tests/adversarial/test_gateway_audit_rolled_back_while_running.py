"""Attack: undo a running gateway's newest records. Whoever can write the log's folder (the
gateway's account, a shared `--audit-log` folder) copies the log and its head, lets calls
happen, then puts the copies back: written over the files in place (`cat copy > log`), or
renamed over them, or simply deletes the log or its head. Put back together, the log and its
head agree (SECURITY.md: a rollback of both is not detected by verify), and before 2026-12-05:

- in place: the running gateway read the log, found it at its head, and wrote on from the old
  record; the calls in between were gone and `audit verify` said intact and anchored;
- renamed over, or deleted: the gateway kept writing into the files it had open (no longer in
  the folder), so every later call was recorded nowhere anyone reads, while `audit verify` and
  `report audit` read the copy put back and called it whole.

Now the writer refuses (AuditLogBroken, so nothing is forwarded) when its log or head path no
longer names the file it writes, and when the log ends before a record it wrote itself. Real
files, the gateway's own writer and `audit verify`'s check."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mcpward.gateway import AuditLog, anchor_paths, check_audit_log
from mcpward.gateway._audit import AuditLogBroken


def _call(n: int) -> dict[str, object]:
    return {"at": "2026-12-05T10:00:00Z", "server": "files", "stage": "request", "method": "tools/call",
            "tool": f"t{n}", "decision": "allow"}  # fmt: skip


def test_a_log_and_head_put_back_in_place_stop_the_writer(tmp_path: Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    _, head_path = anchor_paths(log_path)
    log = AuditLog(log_path)
    log.append(_call(1))
    saved = log_path.read_bytes(), head_path.read_bytes()
    log.append(_call(2))  # the calls to undo
    log.append(_call(3))
    log_path.write_bytes(saved[0])  # same files, earlier contents
    head_path.write_bytes(saved[1])
    assert check_audit_log(log_path).problem is None  # verify alone cannot tell (documented)
    # Before: written as record 2, the chain whole, records 2 and 3 gone without a trace.
    with pytest.raises(AuditLogBroken, match="this gateway wrote record 3"):
        log.append(_call(4))
    log.close()


@pytest.mark.parametrize("which", ["log", "head", "both"])
def test_files_renamed_over_stop_the_writer(tmp_path: Path, which: str) -> None:
    log_path = tmp_path / "audit.jsonl"
    _, head_path = anchor_paths(log_path)
    log = AuditLog(log_path)
    log.append(_call(1))
    for path in (log_path, head_path):
        shutil.copy2(path, path.with_name(path.name + ".copy"))
    log.append(_call(2))
    for path in {"log": (log_path,), "head": (head_path,), "both": (log_path, head_path)}[which]:
        os.replace(path.with_name(path.name + ".copy"), path)
    # Before: the record went into the file renamed away; what the folder holds said nothing.
    with pytest.raises(AuditLogBroken, match="no longer the file"):
        log.append(_call(3))
    log.close()


@pytest.mark.parametrize("which", ["log", "head"])
def test_a_file_deleted_under_the_writer_stops_it(tmp_path: Path, which: str) -> None:
    log_path = tmp_path / "audit.jsonl"
    _, head_path = anchor_paths(log_path)
    log = AuditLog(log_path)
    log.append(_call(1))
    log.append(_call(2))
    (log_path if which == "log" else head_path).unlink()
    # Before: the next calls were written into a deleted file (the log), or the head kept
    # moving where no reader looks.
    with pytest.raises(AuditLogBroken, match="no longer the file"):
        log.append(_call(3))
    log.close()


def test_two_writers_of_one_log_still_write_in_turn(tmp_path: Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    first, second = AuditLog(log_path), AuditLog(log_path)
    for n in range(6):
        (first if n % 2 else second).append(_call(n))
    first.close()
    second.close()
    verdict = check_audit_log(log_path)
    assert verdict.problem is None and verdict.count == 6 and verdict.anchored
