"""The audit report lists a period's DLP events, tool changes, baseline alerts and egress
denials, at most 10,000 of each, and counted the list: a sandboxed server that knocked on a
closed port 10,000 times (each refusal a record) made the summary, the Act on line and the
section say 10,000 egress denials however many more there were, the later ones (its real
attempt) in no count at all; the denials were all kept in memory before the list was cut.
Counts now come from every record in the period; what is not listed is said. A real log (the
gateway's writer), the real CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cli_kit import mcpward

from mcpward.gateway import AuditLog
from mcpward.registry import Registry


def test_a_flood_of_denials_does_not_cap_the_count_or_hide_the_later_ones_in_silence(tmp_path: Path) -> None:
    path = tmp_path / "gateway-audit.jsonl"
    log = AuditLog(path)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for _ in range(10_000):
        log.append({"at": now, "stage": "egress", "decision": "block", "server": "notes",
                    "host": "127.0.0.1", "port": 9, "reason": "not in the profile"})  # fmt: skip
    for host in ("evil.example", "exfil.example"):
        log.append({"at": now, "stage": "egress", "decision": "block", "server": "notes",
                    "host": host, "port": 443, "reason": "not in the profile"})  # fmt: skip
    log.close()
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    Registry.open(database).database.dispose()
    common = ("--database", database, "--audit-log", str(path))
    result = mcpward("report", "audit", "--format", "json", *common, MCPWARD_DATA_DIR=str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["egress_denials"] == 10_002
    assert document["calls"]["unlisted"]["egress_denials"] == 2
    act = next(item for item in document["act_on"] if item["section"] == "egress_denials")
    assert act["count"] == 10_002 and "10002 egress denials" in act["text"], act
    markdown = mcpward("report", "audit", *common, MCPWARD_DATA_DIR=str(tmp_path / "data")).stdout
    assert "| egress denials | 10002 |" in markdown
    assert "2 more not listed" in markdown
    html = mcpward(
        "report", "audit", "--format", "html", *common, MCPWARD_DATA_DIR=str(tmp_path / "data")
    ).stdout
    assert "2 more not listed" in html
