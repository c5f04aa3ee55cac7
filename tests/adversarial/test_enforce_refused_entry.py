"""A requester's refused request breaking every later enforce: a rejected entry's launch line or
URL that the policy cannot hold (a URL past 2,000 characters; the registry's identity has no
bound) made building the policy fail, so no approval or revocation reached the clients
afterwards, without a single approval for the requester. (And it was reported as a bad
``--registry-url``.)"""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import decided, mcpward, npm

from mcpward.registry import Identity, Registry


def test_a_rejected_entry_the_policy_cannot_hold_does_not_stop_enforce(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:
        decided(registry, "io.github.acme/ok", npm("@acme/ok"))
        long_url = Identity(kind="remote", url="https://h.example/" + "a" * 2100)
        decided(registry, "io.github.mallory/x", long_url, approve=False, checked=False)
    finally:
        registry.database.dispose()
    done = mcpward("enforce", "--root", str(tmp_path / "tree"), "--registry", database)
    assert done.returncode == 0, done.stderr
    managed = json.loads((tmp_path / "tree" / "etc" / "claude-code" / "managed-mcp.json").read_text())
    assert list(managed["mcpServers"]) == ["io-github-acme-ok"]
    settings = json.loads((tmp_path / "tree" / "etc" / "claude-code" / "managed-settings.json").read_text())
    # Only the allowlist's servers run: the refused one stays out without a line of its own.
    assert settings["allowManagedMcpServersOnly"] is True and settings["deniedMcpServers"] == []
