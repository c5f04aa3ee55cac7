"""``report audit`` counted one issuer's users and teams as another's.

``gateway serve`` may trust several identity providers (the company's and a partner's), and
records each call's subject with its issuer. The policy already tells ``alice`` of one issuer
from ``alice`` of the other (tests/adversarial/test_gateway_issuer_confusion.py), but the audit
report's "Calls by user" and "Calls by team" grouped by the bare name: the partner's ``alice``
(any name the partner's administrator gives an account) had her calls, blocked ones included,
counted as the company's ``alice``, and the partner's group ``finance`` as the company's
finance team, in the report auditors read (until 2026-12-05). Now, when the log holds more than
one identity source, each user and team is named with its issuer (a static token's holder as
such); with one, the report reads as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mcpward.gateway import AuditLog
from mcpward.registry import Registry

COMPANY, PARTNER = "https://login.company.example", "https://login.partner.example"


def _report(cli: Any, tmp_path: Path, records: list[dict[str, Any]]) -> dict[str, Any]:
    database, log_path = f"sqlite:///{tmp_path / 'registry.db'}", tmp_path / "audit.jsonl"
    Registry.open(database).database.dispose()
    log = AuditLog(log_path)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    call = {"at": now, "stage": "request", "method": "tools/call", "tool": "pay", "decision": "allow"}
    for record in records:
        log.append({**call, "server": "ledger", **record})
    log.close()
    result = cli("report", "audit", "--format", "json", "--audit-log", str(log_path), "--database", database)
    calls: dict[str, Any] = json.loads(result.stdout)["calls"]
    return calls


def test_the_same_name_from_two_issuers_is_two_users_and_two_teams(cli: Any, tmp_path: Path) -> None:
    calls = _report(cli, tmp_path, [
        {"subject": "alice", "issuer": COMPANY, "groups": ["finance"]},
        {"subject": "alice", "issuer": PARTNER, "groups": ["finance"], "decision": "block"},
        {"subject": "alice", "issuer": PARTNER, "groups": ["finance"], "decision": "block"},
        {"subject": "alice"},  # a static token named alice ([[serve.clients]])
    ])  # fmt: skip
    users = {row["user"]: (row["calls"], row["blocked"]) for row in calls["by_user"]}
    assert users == {
        f"alice ({PARTNER})": (2, 2),
        f"alice ({COMPANY})": (1, 0),
        "alice (static token)": (1, 0),
    }
    teams = {row["team"]: (row["calls"], row["blocked"]) for row in calls["by_team"]}
    assert teams == {f"finance ({PARTNER})": (2, 2), f"finance ({COMPANY})": (1, 0)}


def test_with_one_issuer_the_names_read_as_before(cli: Any, tmp_path: Path) -> None:
    calls = _report(cli, tmp_path, [
        {"subject": "alice", "issuer": COMPANY, "groups": ["finance"]},
        {"subject": "bob", "issuer": COMPANY, "groups": ["finance"]},
    ])  # fmt: skip
    assert {row["user"] for row in calls["by_user"]} == {"alice", "bob"}
    assert [row["team"] for row in calls["by_team"]] == ["finance"]
