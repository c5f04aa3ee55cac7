"""A requester names its server so that its key holds ``__`` (``io.github.mallory/files__x``)
or ends with ``_``. Claude Code reads ``mcp__SERVER__TOOL`` by splitting at each ``__`` (its
``mcpInfoFromString``), and a rule denies a whole server only when it parses to that server
with no tool: ``mcp__io-github-mallory-files__x`` parsed as the tool ``x`` of a server
``io-github-mallory-files``, so the rule that denies a probation server whole (no tool
confirmed read-only, or none known) denied nothing, and every tool of the new approval could be
called on every machine enforce governs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import decided, mcpward, npm

from mcpward.registry import Registry


def _parsed(name: str) -> tuple[str, str | None] | None:
    """Claude Code's ``mcpInfoFromString``: (server, tool) of ``mcp__SERVER__TOOL``."""
    parts = name.split("__")
    if parts[0] != "mcp" or len(parts) < 2 or not parts[1]:
        return None
    return parts[1], "__".join(parts[2:]) if len(parts) > 2 else None


def _denies(rule: str, tool: str) -> bool:
    """Claude Code's matching of a deny rule against an MCP tool's name."""
    if rule == tool:
        return True
    ruled, called = _parsed(rule), _parsed(tool)
    return bool(ruled and called and ruled[1] in (None, "*") and ruled[0] == called[0])


@pytest.mark.parametrize(
    "name", ["io.github.mallory/files__x", "io.github.mallory/files_", "io.github.m/a___b"]
)
def test_a_probation_server_is_denied_whole_whatever_its_name(tmp_path: Path, name: str) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:
        decided(registry, name, npm("@mallory/files"), write=False)
    finally:
        registry.database.dispose()
    done = mcpward("enforce", "--root", str(tmp_path / "tree"), "--registry", database)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "tree" / "etc" / "claude-code"
    [key] = json.loads((folder / "managed-mcp.json").read_text())["mcpServers"]
    rules = json.loads((folder / "managed-settings.json").read_text())["permissions"]["deny"]
    for tool in ("delete_everything", "send"):
        assert any(_denies(rule, f"mcp__{key}__{tool}") for rule in rules), (key, rules)
