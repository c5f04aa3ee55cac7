"""The audit report counts calls by server and tool from the gateway's log. The tool a call
names is the client's choice (a hostile client of ``gateway serve`` with a valid token calls
tools that do not exist; each call is recorded before it is refused or forwarded), and every
distinct name was kept, in memory and in the JSON report: one client's calls to made-up names
grew the report with the log, where every other list of it stops at 10,000 (users at
100,000). A server's tools beyond the first 1,000 names are counted together. A real log
(the gateway's writer), the real CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cli_kit import mcpward

from mcpward.gateway import AuditLog
from mcpward.registry import Registry


def test_made_up_tool_names_do_not_grow_the_report_without_bound(tmp_path: Path) -> None:
    path = tmp_path / "gateway-audit.jsonl"
    log = AuditLog(path)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for number in range(3000):
        log.append({"at": now, "stage": "request", "method": "tools/call", "server": "files",
                    "tool": f"made-up-{number}", "decision": "block", "client": "mallory"})  # fmt: skip
    log.append({"at": now, "stage": "request", "method": "tools/call", "server": "notes",
                "tool": "read", "decision": "allow", "client": "alice"})  # fmt: skip
    log.close()
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    Registry.open(database).database.dispose()
    result = mcpward("report", "audit", "--format", "json", "--database", database, "--audit-log", str(path),
                     MCPWARD_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    calls = json.loads(result.stdout)["calls"]
    assert calls["total"] == 3001 and calls["by_server"] == {"files": 3000, "notes": 1}
    files = calls["by_tool"]["files"]
    assert len(files) <= 1001, len(files)
    assert sum(files.values()) == 3000  # every call still counted
    assert calls["by_tool"]["notes"] == {"read": 1}
