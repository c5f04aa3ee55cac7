"""An approval on probation whose tools the registry does not know (no pins: the default for a
new approval of a package nobody inspected): the gateway refuses every call until a grant, and
Gemini CLI's settings leave the server out, but Claude Code's managed settings named no tool to
deny, so every tool of the server could be called on a machine enforce governs."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import decided, mcpward, npm

from mcpward.registry import Registry


def test_a_probation_server_with_no_known_tools_gets_no_tool_in_claude_code(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:
        entry = registry.get(decided(registry, "io.github.acme/files", npm("@acme/files"), write=False))
        assert entry.on_probation and not entry.pins
    finally:
        registry.database.dispose()
    done = mcpward("enforce", "--root", str(tmp_path / "tree"), "--registry", database)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "tree" / "etc"
    settings = json.loads((folder / "claude-code" / "managed-settings.json").read_text())
    # Every tool of the server (Claude Code's rule for a whole server), as the gateway does.
    assert settings.get("permissions", {}).get("deny") == ["mcp__io-github-acme-files"], settings
    gemini = json.loads((folder / "gemini-cli" / "settings.json").read_text())
    assert gemini["mcpServers"] == {}
