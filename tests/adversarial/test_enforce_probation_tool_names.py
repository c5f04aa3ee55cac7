"""A server on probation whose tools are named with a dot (``files.delete``: the MCP
specification allows ``.`` in a tool name, and so do its own examples). Claude Code names an
MCP tool ``mcp__SERVER__TOOL`` with every character outside ``[A-Za-z0-9_-]`` made ``_``
(its ``normalizeNameForMCP``: the Anthropic API takes no other name) and checks permission rules
against that name, so the deny rule enforce wrote, ``mcp__KEY__files.delete``, matched no tool:
``files_delete`` could be called on probation on every machine enforce governs, while the
gateway refused it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cli_kit import mcpward, npm

from approval_kit import tool_pins
from mcpward.registry import DataScope, EntryRequest, Registry, VetOutcome


def _claude_code_name(key: str, tool: str) -> str:
    """The name Claude Code gives an MCP tool, which its permission rules are matched against."""
    return f"mcp__{key}__{re.sub(r'[^a-zA-Z0-9_-]', '_', tool)}"


def test_a_dotted_write_tool_is_denied_under_the_name_claude_code_gives_it(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    tools = ("files.read", "files.delete", "admin/wipe", "send mail")
    try:
        request = EntryRequest(name="io.github.acme/files", identity=npm("@acme/files"), owner="team",
                               scope=DataScope(), vet=VetOutcome(verdict="pass"), pins=tool_pins(*tools))  # fmt: skip
        entry = registry.request(request, "mallory")
        registry.approve(entry.id, "bob", "reviewed", override=True, read_only_tools=["files.read"])
        assert registry.get(entry.id).on_probation
    finally:
        registry.database.dispose()
    done = mcpward("enforce", "--root", str(tmp_path / "tree"), "--registry", database)
    assert done.returncode == 0, done.stderr
    settings = json.loads((tmp_path / "tree" / "etc" / "claude-code" / "managed-settings.json").read_text())
    denied = set(settings["permissions"]["deny"])
    key = "io-github-acme-files"
    for tool in ("files.delete", "admin/wipe", "send mail"):
        assert _claude_code_name(key, tool) in denied, (tool, denied)
    assert _claude_code_name(key, "files.read") not in denied
