"""Auto-approval settings that flood the scan: a Claude Code ``settings.json`` (a cloned
repository's ``.claude/settings.json`` too) or an Amazon Q agent with tens of thousands of
``mcp__...`` allow rules.

Before, every rule was matched against every server, and each match copied the server's
growing tuple of approved tools: 100,000 rules (1.4 MB) and 200 servers ran past two minutes
without a report (servers x rules, and rules squared per server); the finding's evidence named
every rule, megabytes in one line. Now the rules are gathered once per server name and shared,
at most 1,000 MCP rules are read from one file (the rest said as an error of that file, not
dropped in silence), and the evidence names the first rules and counts the others."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cli_kit import mcpward_in_home

from mcpward.scan._hosts._common import MAX_APPROVALS_PER_FILE


def _home(tmp_path: Path, allow: list[str], servers: int = 200) -> Path:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    entries = {f"s{i}": {"command": "npx", "args": ["-y", "some-mcp@1.0.0"]} for i in range(servers)}
    (home / ".claude.json").write_text(json.dumps({"mcpServers": entries}), encoding="utf-8")
    settings = {"permissions": {"allow": allow}}
    (home / ".claude" / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    return home


def _scan(home: Path) -> dict[str, object]:
    started = time.monotonic()
    done = mcpward_in_home(home, "scan", "--home", str(home), "-f", "json", timeout=90)
    assert done.returncode == 0, done.stderr[-500:]
    assert time.monotonic() - started < 30
    assert len(done.stdout) < 2_000_000
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_a_flood_of_allow_rules_is_cut_said_and_fast(tmp_path: Path) -> None:
    allow = [f"mcp__s0__t{i}" for i in range(50_000)] + [f"mcp__*__t{i}" for i in range(50_000)]
    report = _scan(_home(tmp_path, allow))
    assert len(report["servers"]) == 200  # type: ignore[arg-type]
    errors = [e["message"] for e in report["errors"] if e["path"].endswith("settings.json")]  # type: ignore[union-attr]
    assert any(f"more than {MAX_APPROVALS_PER_FILE}" in message for message in errors), errors


def test_many_rules_below_the_cap_still_give_each_finding(tmp_path: Path) -> None:
    allow = [f"mcp__s0__read_{i}" for i in range(500)] + ["mcp__s0__delete_files", "mcp__*__write_file"]
    allow += ["mcp__s1"] * 400
    report = _scan(_home(tmp_path, allow, servers=3))
    found = {
        (f["server"], f["rule"]): f["evidence"]
        for f in report["findings"]  # type: ignore[union-attr]
        if f["rule"].startswith("auto-approve")
    }
    assert set(found) == {
        ("s0", "auto-approve-write-tools"),
        ("s1", "auto-approve-all"),
        ("s2", "auto-approve-write-tools"),
    }, found
    assert "more" in found[("s0", "auto-approve-write-tools")]  # 502 rules: the first named
    assert len(found[("s0", "auto-approve-write-tools")]) < 1_000
    assert "more" not in found[("s1", "auto-approve-all")]  # one rule, written 400 times
    assert report["errors"] == []
