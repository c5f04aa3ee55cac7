"""Attack: someone who can write the gateway's audit log and its folder (not read its key)
deletes the key, recomputes the chain without the DLP event they want gone, and leaves the head
(or deletes it too).

Before (2026-12-05) ``mcpward audit verify --unanchored`` passed such a log and ``mcpward report
audit`` counted it as verified, with nothing to act on: a log without its key is checked by its
chain alone, which anyone can recompute. A head without its key (the two are made together) is
now a break (the key was deleted), and the report puts a log that is not anchored under "Act
on": its counts hold only against someone who cannot write the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from gateway_attack_kit import forged_line

from mcpward.gateway import AuditLog, anchor_paths, check_audit_log


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "logs" / "gateway-audit.jsonl"
    log = AuditLog(path)
    for number in range(3):
        log.append({"at": "2026-12-05T10:00:00Z", "stage": "request", "method": "tools/call",
                    "server": "files", "tool": "read", "decision": "allow", "client": "alice"})  # fmt: skip
        if number == 1:
            log.append({"at": "2026-12-05T10:00:00Z", "stage": "result", "server": "files", "events": [
                {"kind": "dlp-result", "tool": "read", "message": "an AWS key", "severity": "high"}]})  # fmt: skip
    log.close()
    return path


def _rechained_without_the_dlp_event(path: Path) -> None:
    previous, out = "0" * 64, []
    for line in path.read_bytes().splitlines():
        if b"dlp-result" in line:
            continue
        record = orjson.loads(line)
        record.pop("hash")
        record.pop("mac")
        record |= {"seq": len(out) + 1, "prev": previous}
        out.append(forged_line(record))
        previous = orjson.loads(out[-1])["hash"]
    path.write_bytes(b"".join(out))


def _report(tmp_path: Path, log: Path, cli: Any) -> dict[str, Any]:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    result = cli("report", "audit", "--format", "json", "--database", database, "--audit-log", str(log))
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_a_key_deleted_beside_its_head_is_a_break(tmp_path: Path, cli: Any) -> None:
    path = _log(tmp_path)
    anchor_paths(path)[0].unlink()
    _rechained_without_the_dlp_event(path)
    problem = check_audit_log(path).problem
    assert problem is not None and "key" in problem and "gone" in problem, problem
    result = cli("audit", "verify", "--unanchored", str(path))
    assert result.exit_code == 1, result.stdout + result.stderr
    document = _report(tmp_path, path, cli)
    assert document["audit_log"]["verified"] is False
    assert any(
        item["section"] == "audit_log" and item["severity"] == "critical" for item in document["act_on"]
    )


@pytest.mark.parametrize("records", [True, False])
def test_a_log_without_key_and_head_is_not_reported_as_evidence_in_silence(
    tmp_path: Path, cli: Any, records: bool
) -> None:
    path = _log(tmp_path)
    for anchor in anchor_paths(path):
        anchor.unlink()
    if records:
        _rechained_without_the_dlp_event(path)
    else:
        path.write_bytes(b"")
    document = _report(tmp_path, path, cli)
    assert document["audit_log"]["anchored"] is False
    assert any(
        item["section"] == "audit_log"
        and item["severity"] in ("critical", "high")
        and "not anchored" in item["text"]
        for item in document["act_on"]
    ), document["act_on"]
