"""A config file holding a flood of entries. A map of servers (``mcpServers``) was read up to
10,000 servers, "real configs are far below them"; but entries in a list (Continue's
``mcpServers:`` list, its legacy ``modelContextProtocolServers``) and per-project maps
(``~/.claude.json``'s ``projects``) were not counted, nor was each malformed entry's error.

Before: a Continue ``config.yaml`` of 100,000 entries ``- 1`` (400 KB) gave 100,000 error lines
and findings, an 82 MB report in 58 s; 100,000 well-formed entries (5 MB) took 167 s and
535 MB for a 72 MB report; a 32 MB file, over an hour. Now one file gives at most 10,000
entries (servers and entry errors), the rest said as one error line of that file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

from mcpward.scan._hosts._common import MAX_SERVERS_PER_FILE

FLOODS = {
    "malformed entries in a list": "mcpServers:\n" + "- 1\n" * 100_000,
    "servers in a list": "mcpServers:\n"
    + "".join(
        f"- {{name: s{i}, command: npx, args: [-y, a@1.0.0]}}\n" for i in range(MAX_SERVERS_PER_FILE + 50)
    ),
}


@pytest.mark.parametrize("flood", list(FLOODS))
def test_one_file_gives_at_most_its_share_of_entries(tmp_path: Path, flood: str) -> None:
    (tmp_path / ".continue").mkdir()
    (tmp_path / ".continue" / "config.yaml").write_text(FLOODS[flood], encoding="utf-8")
    (tmp_path / ".cursor").mkdir()
    kept = {"mcpServers": {"kept": {"command": "npx", "args": ["-y", "kept-mcp@1.0.0"]}}}
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps(kept), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    report = json.loads(done.stdout)
    from_the_flood = [s for s in report["servers"] if s["host"] == "continue"]
    errors = [e["message"] for e in report["errors"] if e["path"].endswith("config.yaml")]
    assert len(from_the_flood) + len(errors) <= MAX_SERVERS_PER_FILE + 1
    assert any(f"more than {MAX_SERVERS_PER_FILE}" in message for message in errors), errors[-3:]
    assert "kept" in [s["name"] for s in report["servers"]]


def test_the_projects_of_a_claude_state_file_share_the_cap(tmp_path: Path) -> None:
    projects = {
        f"/work/p{i}": {"mcpServers": {"s": {"command": "npx", "args": ["-y", "a@1.0.0"]}}}
        for i in range(MAX_SERVERS_PER_FILE + 10)
    }
    (tmp_path / ".claude.json").write_text(json.dumps({"projects": projects}), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    report = json.loads(done.stdout)
    assert len(report["servers"]) == MAX_SERVERS_PER_FILE
    assert any(f"more than {MAX_SERVERS_PER_FILE}" in e["message"] for e in report["errors"])


def test_an_exported_flow_shares_the_cap(tmp_path: Path) -> None:
    node = {
        "type": "@n8n/n8n-nodes-langchain.mcpClientTool",
        "parameters": {"sseEndpoint": "https://mcp.example.com/sse"},
    }
    workflows = [{"name": f"w{i}", "nodes": [node] * 10, "connections": {}} for i in range(1_005)]
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "n8n-flows.json").write_text(json.dumps(workflows), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--only-paths", "--path", str(tree), "-f", "json", timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    report = json.loads(done.stdout)
    assert len(report["servers"]) == MAX_SERVERS_PER_FILE
    assert any(f"more than {MAX_SERVERS_PER_FILE}" in e["message"] for e in report["errors"])
