"""Three approved names whose keys collide in a chain (``io.x/s`` and ``io.x/s.`` both read
``io-x-s``; the second got ``io-x-s-ID``, which a third entry can take as its own name): the
policy had two servers under one key and enforce refused to write anything, so one requester
with two harmless-looking approvals stopped every later revocation from reaching the clients."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_keys_that_collide_in_a_chain_still_give_one_key_each(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:

        def approve(name: str, package: str) -> int:
            request = EntryRequest(
                name=name,
                identity=Identity(kind="package", ecosystem="npm", name=package, version="1.0.0"),
                owner="team",
                scope=DataScope(),
                vet=VetOutcome(verdict="pass"),
            )
            entry = registry.request(request, "mallory")
            registry.approve(entry.id, "bob", "reviewed", override=True)
            registry.grant_write(entry.id, "bob", "reviewed")
            return entry.id

        approve("io.x/s", "@acme/s")
        dotted = approve("io.x/s.", "@acme/dotted")
        approve(f"io.x/s-{dotted}", "@acme/third")  # the key the dotted one falls back to
        revoked = approve("io.x/bad", "@acme/bad")
        registry.revoke(revoked, "bob", "malicious")
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
    managed = json.loads((tmp_path / "tree" / "etc" / "claude-code" / "managed-mcp.json").read_text())
    launched = sorted(server["args"][-1] for server in managed["mcpServers"].values())
    assert launched == ["@acme/dotted@1.0.0", "@acme/s@1.0.0", "@acme/third@1.0.0"]
    settings = json.loads((tmp_path / "tree" / "etc" / "claude-code" / "managed-settings.json").read_text())
    assert settings["deniedMcpServers"] == [{"serverCommand": ["npx", "-y", "@acme/bad@1.0.0"]}]
