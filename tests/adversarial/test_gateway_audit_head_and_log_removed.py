"""Attack: someone who can write the gateway's audit log and its folder (not read the key) empties
the log, or deletes it, and deletes its head; the key stays where it is.

``mcpward audit verify`` named the missing head, until the next gateway started: it found a key
but no head and no record, took the log for a new one and sealed a head at record 0, and from
then on verify called the empty log intact and anchored; the history was gone without a trace
(2026-12-05). A gateway that finds the log's key without its head now refuses, as it did when
records were left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mcpward.gateway import AuditLog, anchor_paths, check_audit_log


def _history(path: Path) -> None:
    log = AuditLog(path)
    for number in range(3):
        log.append({"at": "2026-12-05T10:00:00Z", "stage": "request", "method": "tools/call", "n": number})
    log.close()


@pytest.mark.parametrize("removal", ["emptied", "deleted"])
def test_a_log_removed_with_its_head_is_not_anchored_afresh(tmp_path: Path, removal: str, cli: Any) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    _history(path)
    if removal == "emptied":
        path.write_bytes(b"")
    else:
        path.unlink()
    anchor_paths(path)[1].unlink()
    assert check_audit_log(path).problem is not None
    with pytest.raises(OSError, match=r"head .* is gone"):
        AuditLog(path).close()
    assert check_audit_log(path).problem is not None
    result = cli("audit", "verify", str(path))
    assert result.exit_code == 1, result.stdout


def test_a_new_log_is_anchored_once(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    AuditLog(path).close()
    AuditLog(path).close()  # its key and head were made together by the first
    _history(path)
    assert check_audit_log(path).problem is None and check_audit_log(path).count == 3
