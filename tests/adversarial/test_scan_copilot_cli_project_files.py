"""Servers GitHub Copilot CLI runs that the scan did not see (false negatives for whoever
commits a repository or sets up a home).

Copilot CLI reads a repository's ``.github/mcp.json`` and its ``.mcp.json`` (each either
``{"mcpServers": {...}}`` or the bare map ``{"name": {...}}``), and keeps its user config in
``$COPILOT_HOME`` when that is set (GitHub's documentation of the CLI, "Adding per-repository
MCP servers" and the config-directory reference). Before 2026-12-06 the scan read none of
``.github/mcp.json``, a bare map in ``.mcp.json`` (read by the Claude Code adapter, which looks
for ``mcpServers`` only) or ``$COPILOT_HOME``: a server there was missing from the inventory
without a word. Now each is read as Copilot CLI's."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.scan._engine import ScanOptions, discover
from mcpward.scan._hosts import host
from mcpward.scan.interface import HomeLayout, TargetOS

EVIL = {"command": "npx", "args": ["-y", "evil-mcp@1.0.0"]}


def _tree_servers(tree: Path) -> dict[str, str]:
    found = discover(ScanOptions(paths=(tree,), include_user_configs=False, workers=1))
    assert not found.errors, found.errors
    return {s.name: s.host for s in found.servers}


def test_a_repository_github_mcp_json_is_read(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "mcp.json").write_text(json.dumps({"mcpServers": {"shared": EVIL}}))
    assert _tree_servers(tmp_path) == {"shared": "copilot-cli"}


def test_a_bare_map_in_mcp_json_is_read(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text(json.dumps({"bare": EVIL}))
    assert _tree_servers(tmp_path) == {"bare": "copilot-cli"}


def test_an_mcp_json_with_mcp_servers_stays_one_record(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"usual": EVIL}}))
    assert _tree_servers(tmp_path) == {"usual": "claude-code"}


def test_copilot_home_is_read(tmp_path: Path) -> None:
    elsewhere = tmp_path / "copilot-home"
    layout = HomeLayout(TargetOS.LINUX, tmp_path / "home", None, {"COPILOT_HOME": str(elsewhere)})
    paths = [location.path for location in host("copilot-cli").user_configs(layout)]
    assert elsewhere / "mcp-config.json" in paths
    assert tmp_path / "home" / ".copilot" / "mcp-config.json" in paths


def test_an_unreadable_mcp_json_is_said_once(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text('{"mcpServers": {"x": ')
    found = discover(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert [e.path for e in found.errors] == [str(tmp_path / ".mcp.json")]
