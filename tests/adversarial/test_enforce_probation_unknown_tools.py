"""An approval on probation whose tools the registry does not know (no pins: the default for a
new approval of a package nobody inspected): the gateway refuses every call until a grant, and
Gemini CLI's settings leave the server out, but Claude Code's managed settings named no tool to
deny, so every tool of the server could be called on a machine enforce governs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_a_probation_server_with_no_known_tools_gets_no_tool_in_claude_code(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:
        request = EntryRequest(
            name="io.github.acme/files",
            identity=Identity(kind="package", ecosystem="npm", name="@acme/files", version="1.0.0"),
            owner="team",
            scope=DataScope(),
            vet=VetOutcome(verdict="pass"),
        )
        entry = registry.approve(registry.request(request, "alice").id, "bob", "reviewed", override=True)
        assert entry.on_probation and not entry.pins
    finally:
        registry.database.dispose()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mcpward",
            "enforce",
            "--root",
            str(tmp_path / "tree"),
            "--registry",
            database,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=SRC),
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "tree" / "etc"
    settings = json.loads((folder / "claude-code" / "managed-settings.json").read_text())
    # Every tool of the server (Claude Code's rule for a whole server), as the gateway does.
    assert settings.get("permissions", {}).get("deny") == ["mcp__io-github-acme-files"], settings
    gemini = json.loads((folder / "gemini-cli" / "settings.json").read_text())
    assert gemini["mcpServers"] == {}
