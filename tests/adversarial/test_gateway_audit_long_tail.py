"""Attack: someone who can write the gateway's audit log appends one long line without an end
(or a writer is killed in the middle of a record of a large call: ``max_message`` goes up to
1 GiB). Every gateway that writes next looks for the last whole record behind it.

Before (2026-12-05) the writer read backwards in blocks that stop doubling at 16 MiB and put
each block in front of all it had read so far, then split it all again: a line of 256 MiB cost
twenty times one of 32 MiB (2.6 s against 0.13 s here, 0.8 s now; a 4 GiB line, minutes of a
core) on the path of a client's call. It is now read in linear
time (each block split once, the line joined once)."""

from __future__ import annotations

import time
from pathlib import Path

from linear_time import costs_superlinear

from mcpward.gateway import AuditLog, check_audit_log


def _cost(tmp_path: Path, name: str, megabytes: int) -> float:
    path = tmp_path / name / "audit.jsonl"
    log = AuditLog(path)
    log.append({"at": "2026-12-05T10:00:00Z", "stage": "request", "method": "tools/call", "n": 0})
    log.close()
    with path.open("ab") as handle:
        handle.write(b'{"arguments":"' + b"x" * (megabytes << 20))
    log = AuditLog(path)
    started = time.thread_time()
    log.append({"at": "2026-12-05T10:00:01Z", "stage": "request", "method": "tools/call", "n": 1})
    spent = time.thread_time() - started
    log.close()
    verdict = check_audit_log(path)
    assert (verdict.problem, verdict.count, verdict.incomplete) == (None, 2, [2])
    path.unlink()
    return spent


def test_the_writer_finds_its_last_record_behind_a_long_cut_line_in_linear_time(tmp_path: Path) -> None:
    """Eight times as long a line: linear, eight times the cost; quadratic, about sixty. Timed
    again when it looks over the bound (in a loaded CI run, 256 MiB once cost 24 times 32 MiB:
    page faults of a shared machine)."""
    runs = iter(range(1_000))
    costs = costs_superlinear(
        lambda: _cost(tmp_path, f"small{next(runs)}", 32),
        lambda: _cost(tmp_path, f"large{next(runs)}", 256),
        factor=16,
        slack=0.05,
    )
    assert costs is None, costs
