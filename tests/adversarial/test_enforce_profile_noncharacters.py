"""The macOS configuration profile of ``enforce --format mdm`` is XML, and XML 1.0 has no
U+FFFE or U+FFFF: an XML parser refuses the whole document at the first one. A requester's
remote URL holding U+FFFF (JSON, the registry's API and the policy all take it) went into the
profile as written, so the profile an MDM pushes to every Mac could not be read, and with it
went every approval, denial and revocation the bundle held. Such a value is refused like a
control character: a rejected request holding it is left to the allowlists."""

from __future__ import annotations

import json
import plistlib
from pathlib import Path

import pytest
from cli_kit import decided, mcpward, npm

from mcpward.registry import Identity, Registry


@pytest.mark.parametrize("character", ["\uffff", "\ufffe"])
def test_a_requesters_noncharacter_does_not_break_the_macos_profile(tmp_path: Path, character: str) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:
        decided(registry, "io.github.acme/ok", npm("@acme/ok"))
        hostile = Identity(kind="remote", url=f"https://h.example/a{character}b")
        decided(registry, "io.github.mallory/x", hostile, approve=False, checked=False)
    finally:
        registry.database.dispose()
    done = mcpward("enforce", "--root", str(tmp_path / "out"), "--registry", database, "--format", "mdm")
    assert done.returncode == 0, done.stderr
    profile = plistlib.loads((tmp_path / "out" / "macos" / "mcpward.mobileconfig").read_bytes())
    claude = next(p for p in profile["PayloadContent"] if p["PayloadType"] == "com.anthropic.claudecode")
    assert [s["serverCommand"] for s in claude["allowedMcpServers"]] == [["npx", "-y", "@acme/ok@1.0.0"]]
    managed = tmp_path / "out" / "linux" / "files" / "etc" / "claude-code" / "managed-settings.json"
    assert json.loads(managed.read_text())["deniedMcpServers"] == claude["deniedMcpServers"]
