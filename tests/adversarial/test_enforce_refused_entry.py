"""A requester's refused request breaking every later enforce: a rejected entry's launch line or
URL that the policy cannot hold (a URL past 2,000 characters; the registry's identity has no
bound) made building the policy fail, so no approval or revocation reached the clients
afterwards, without a single approval for the requester. (And it was reported as a bad
``--registry-url``.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_a_rejected_entry_the_policy_cannot_hold_does_not_stop_enforce(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:
        for name, identity, decide in (
            (
                "io.github.acme/ok",
                Identity(kind="package", ecosystem="npm", name="@acme/ok", version="1.0.0"),
                True,
            ),
            ("io.github.mallory/x", Identity(kind="remote", url="https://h.example/" + "a" * 2100), False),
        ):
            request = EntryRequest(
                name=name, identity=identity, owner="t", scope=DataScope(), vet=VetOutcome(verdict="pass")
            )
            entry = registry.request(request, "mallory")
            if decide:
                registry.approve(entry.id, "bob", "reviewed", override=True)
                registry.grant_write(entry.id, "bob", "reviewed")
            else:
                registry.reject(entry.id, "bob", "no")
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
    assert list(managed["mcpServers"]) == ["io-github-acme-ok"]
    settings = json.loads((tmp_path / "tree" / "etc" / "claude-code" / "managed-settings.json").read_text())
    # Only the allowlist's servers run: the refused one stays out without a line of its own.
    assert settings["allowManagedMcpServersOnly"] is True and settings["deniedMcpServers"] == []
