"""A repository whose config files are named in another case (``.VSCode/MCP.json``,
``.Cursor/mcp.JSON``, ``.vscode/Settings.json``): on macOS and Windows, whose file systems
ignore case, the client opens ``.vscode/mcp.json`` and gets that file, so its servers start
for every developer who clones the repository there.

Before 2026-12-06 the tree walk matched names case by case: such a file was missing from the
inventory without a word, on every system. Now a host's file names are matched ignoring case,
the file read as it is named and understood as the name the host gives it."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.scan._engine import ScanOptions, discover

EVIL = {"command": "npx", "args": ["-y", "evil-mcp@1.0.0"]}


def _found(tree: Path) -> dict[str, str]:
    found = discover(ScanOptions(paths=(tree,), include_user_configs=False, workers=1))
    assert not found.errors, found.errors
    return {s.name: s.host for s in found.servers}


def test_config_names_in_another_case_are_read(tmp_path: Path) -> None:
    (tmp_path / ".VSCode").mkdir()
    (tmp_path / ".VSCode" / "MCP.json").write_text(json.dumps({"servers": {"upper": EVIL}}))
    (tmp_path / "web" / ".Cursor").mkdir(parents=True)
    (tmp_path / "web" / ".Cursor" / "mcp.JSON").write_text(json.dumps({"mcpServers": {"mixed": EVIL}}))
    (tmp_path / "api" / ".vscode").mkdir(parents=True)
    settings = {"mcp": {"servers": {"in-settings": EVIL}}}
    (tmp_path / "api" / ".vscode" / "Settings.json").write_text(json.dumps(settings))
    assert _found(tmp_path) == {"upper": "vscode", "mixed": "cursor", "in-settings": "vscode"}


def test_names_in_their_own_case_read_as_before(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_text(json.dumps({"servers": {"plain": EVIL}}))
    (tmp_path / "MCP.json").write_text(json.dumps({"servers": {"loose": EVIL}}))  # no folder: no config
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "Mcp.md").write_text("# MCP\n")
    assert _found(tmp_path) == {"plain": "vscode"}
