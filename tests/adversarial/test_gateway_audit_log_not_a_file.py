"""Attack: stall the auditor. Whoever can write the audit log's folder (a shared `--audit-log`
folder; the default log's when the report runs as another account) puts a FIFO, or a link to
`/dev/zero`, where the log was. The gateway opens its log only as a regular file (it refuses),
but `audit verify` and `report audit` (which reads the default log whenever something is there)
opened whatever the name led to: a FIFO held them forever in the open, and `/dev/zero` was read
as one endless line, memory growing until the machine killed them, until 2026-12-05.

Now verify opens the log without waiting and reads it only when it is a regular file (a link
to one is still read); anything else is its problem, said at once."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from mcpward.gateway import check_audit_log


def _checked_within(path: Path, seconds: float) -> str | None:
    found: list[str | None] = []
    worker = threading.Thread(target=lambda: found.append(check_audit_log(path).problem), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():  # before: blocked in open(); let it go, then fail
        with open(os.open(path, os.O_WRONLY | os.O_NONBLOCK), "wb"):
            pass
        worker.join(5)
        pytest.fail("verify waited on a FIFO")
    return found[0]


def test_a_fifo_in_place_of_the_log_is_a_problem_said_at_once(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    os.mkfifo(path)
    problem = _checked_within(path, 5)
    assert problem and "not a regular file" in problem


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_link_to_a_device_is_a_problem_said_at_once(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.symlink_to("/dev/zero")
    problem = check_audit_log(path).problem
    assert problem and "not a regular file" in problem


def test_a_link_to_a_log_is_still_read(tmp_path: Path) -> None:
    from mcpward.gateway import AuditLog

    real = tmp_path / "logs" / "audit.jsonl"
    log = AuditLog(real)
    log.append({"at": "2026-12-05T10:00:00Z", "n": 1})
    log.close()
    link = tmp_path / "logs" / "copy.jsonl"
    link.symlink_to(real)
    verdict = check_audit_log(link)
    # Unanchored: its key and head are named after the link; the chain itself is read.
    assert verdict.count == 1 and verdict.problem is None
