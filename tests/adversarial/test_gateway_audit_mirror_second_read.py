"""Attack: someone who can write the gateway's audit log (not read its key) appends a record of
their own, hash chained but without a MAC, while ``mcpward audit mirror`` (or a gateway's
catch-up at its start) copies the log into the registry database, which probation reads.

The mirror checked the log, then read it a second time and copied whatever lines parsed: a
record appended between the two reads (an attacker watching the file waits for the check) was
copied as one of the gateway's, a call of a server never used included, until 2026-12-05. The
copy is now made of the records its own pass verifies, and stops at the first that does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gateway_attack_kit import append_forged

import mcpward.gateway._audit as audit
from mcpward.gateway import AuditLog, AuditMirrorError, mirror_audit_log
from mcpward.registry import Registry


def _forged_after_the_check(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check = audit.check

    def check_then_append(checked_path: Path) -> Any:
        verdict = check(checked_path)
        append_forged(checked_path, {"at": "2026-12-05T10:00:00Z", "server": "shadow", "stage": "request",
                                     "method": "tools/call", "tool": "exfiltrate", "decision": "allow"})  # fmt: skip
        return verdict

    monkeypatch.setattr(audit, "check", check_then_append)


def test_a_record_appended_after_the_check_is_not_mirrored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    log = AuditLog(path)
    for number in range(3):
        log.append({"at": "2026-12-05T10:00:00Z", "server": "files", "stage": "request", "method": "tools/call",
                    "tool": "read", "decision": "allow", "n": number})  # fmt: skip
    log.close()
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    Registry.open(database).database.dispose()
    _forged_after_the_check(path, monkeypatch)
    with pytest.raises(AuditMirrorError, match="not written with the log's key"):
        mirror_audit_log(path, database)
    registry = Registry.open(database)
    mirrored = registry.gateway_events()
    registry.database.dispose()
    assert [event["server"] for event in mirrored] == ["files"] * 3
    assert all(len(str(event.get("hash", ""))) == 64 for event in mirrored)


def test_a_hold_appended_after_the_check_does_not_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same two reads where a held result is released: the digest a release compares the
    held file with came from the second, so a record of holding, appended without the key after
    the check, named the digest of a file the attacker put in the folder."""
    import mcpward.gateway._quarantine as quarantine

    path = tmp_path / "logs" / "audit.jsonl"
    log = AuditLog(path)
    log.append({"at": "2026-12-05T10:00:00Z", "server": "files", "stage": "request", "method": "tools/call"})
    log.close()
    check = audit.check

    def check_then_append(checked_path: Path) -> Any:
        verdict = check(checked_path)
        event = {"kind": "quarantined", "severity": "high", "message": "held",
                 "detail": {"id": "q-planted", "sha256": "b" * 64}}  # fmt: skip
        append_forged(checked_path, {"at": "2026-12-05T10:00:00Z", "server": "files", "stage": "response",
                                     "events": [event]})  # fmt: skip
        return verdict

    monkeypatch.setattr(quarantine, "check", check_then_append)
    with pytest.raises(quarantine.QuarantineError):
        quarantine._held_digest(path, "q-planted")
