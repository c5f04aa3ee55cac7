"""Attack: whoever can write an audit record (the gateway's log file, the registry's database, not
the key) puts a MAC that is not ASCII in it, ``"mac": "é..."``. The MAC was compared with
``hmac.compare_digest`` on two strings, which takes ASCII alone: the comparison raised
``TypeError``, so `mcpward audit verify` ended with an internal error instead of naming the record,
a gateway opening the log (its head) could not start, and the registry's verification and its
next write did the same, where each must say the record was altered (until 2026-12-06)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text
from test_gateway_audit_attacks import _verify
from test_registry_audit_anchor import _around_the_triggers, _history

from mcpward.gateway import AuditLog
from mcpward.gateway._audit import verify
from mcpward.registry import Registry, RegistryError, Role

NOT_ASCII = "é" * 64


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for number in range(3):
        log.append({"stage": "request", "method": "tools/call", "id": number})
    log.close()
    return path


def test_a_gateway_record_whose_mac_is_not_ascii_is_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = path.read_text().splitlines()
    record = json.loads(lines[1])
    record["mac"] = NOT_ASCII
    lines[1] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n")
    count, problem = verify(path)
    assert count == 1 and problem is not None and "2" in problem, problem
    done = _verify(path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr


def test_a_head_whose_mac_is_not_ascii_is_refused_not_a_crash(tmp_path: Path) -> None:
    path = _log(tmp_path)
    head = next(p for p in tmp_path.iterdir() if p.name.endswith(".head"))
    written: dict[str, Any] = json.loads(head.read_text())
    written["mac"] = NOT_ASCII
    head.write_text(json.dumps(written, ensure_ascii=False))
    count, problem = verify(path)
    assert problem is not None, count
    done = _verify(path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr


def test_a_registry_event_whose_mac_is_not_ascii_is_named(registry: Registry) -> None:
    _history(registry)
    _around_the_triggers(
        registry,
        lambda c: c.execute(
            text("UPDATE audit_events SET mac = :mac WHERE seq = (SELECT MAX(seq) FROM audit_events)"),
            {"mac": NOT_ASCII},
        ),
    )
    problem = registry.verify_audit()
    assert problem is not None and "not signed with this registry's audit key" in problem, problem
    try:
        registry.create_token("erin", Role.VIEWER, "admin")
    except RegistryError as refused:  # the trail's newest event does not verify with the key
        assert "audit key" in str(refused)
    else:
        raise AssertionError("a change was written after an event that does not verify")
