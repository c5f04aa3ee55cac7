"""Three approved names whose keys collide in a chain (``io.x/s`` and ``io.x/s.`` both read
``io-x-s``; the second got ``io-x-s-ID``, which a third entry can take as its own name): the
policy had two servers under one key and enforce refused to write anything, so one requester
with two harmless-looking approvals stopped every later revocation from reaching the clients."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import decided, mcpward, npm

from mcpward.registry import Registry


def test_keys_that_collide_in_a_chain_still_give_one_key_each(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:
        decided(registry, "io.x/s", npm("@acme/s"))
        dotted = decided(registry, "io.x/s.", npm("@acme/dotted"))
        decided(registry, f"io.x/s-{dotted}", npm("@acme/third"))  # the key the dotted one falls back to
        revoked = decided(registry, "io.x/bad", npm("@acme/bad"))
        registry.revoke(revoked, "bob", "malicious")
    finally:
        registry.database.dispose()
    done = mcpward("enforce", "--root", str(tmp_path / "tree"), "--registry", database)
    assert done.returncode == 0, done.stderr
    managed = json.loads((tmp_path / "tree" / "etc" / "claude-code" / "managed-mcp.json").read_text())
    launched = sorted(server["args"][-1] for server in managed["mcpServers"].values())
    assert launched == ["@acme/dotted@1.0.0", "@acme/s@1.0.0", "@acme/third@1.0.0"]
    settings = json.loads((tmp_path / "tree" / "etc" / "claude-code" / "managed-settings.json").read_text())
    assert settings["deniedMcpServers"] == [{"serverCommand": ["npx", "-y", "@acme/bad@1.0.0"]}]
