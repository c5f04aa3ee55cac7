"""``scan --home DIR --report-to URL``, run by root over another account's home, is what the
agent does by hand (the README's "its own record"): it read through a link in that home to a
third account's config (``~/.cursor -> /home/bob/.cursor``) and listed bob's servers as the
home's, so a user could have the registry record another's servers under their home. As
root over a home another account owns, scan reads only that account's files there, as the
agent does, and says which it left out."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_kit import mcpward

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to own homes as others"
)

ALICE, BOB = 4331, 4332


def test_root_scanning_a_users_home_does_not_take_a_link_to_anothers_config(tmp_path: Path) -> None:
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    (bob / ".cursor").mkdir(parents=True)
    bobs = {"mcpServers": {"bob-private": {"command": "npx", "args": ["-y", "@bob/private@1.0.0"]}}}
    (bob / ".cursor" / "mcp.json").write_text(json.dumps(bobs))
    (alice / ".gemini").mkdir(parents=True)
    own = {"mcpServers": {"alice-own": {"command": "npx", "args": ["-y", "@alice/own@1.0.0"]}}}
    (alice / ".gemini" / "settings.json").write_text(json.dumps(own))
    (alice / ".cursor").symlink_to(bob / ".cursor")
    for home, uid in ((alice, ALICE), (bob, BOB)):
        for path in (home, *home.rglob("*")):
            os.chown(path, uid, uid, follow_symlinks=False)
    done = mcpward("scan", "--home", str(alice), "-f", "json")
    report = json.loads(done.stdout)
    names = {server["name"] for server in report["servers"]}
    assert names == {"alice-own"}, names
    errors = " ".join(error["message"] for error in report.get("errors", []))
    assert "not owned by the home's owner" in errors, report.get("errors")
    # Bob's own home, scanned the same way, still lists his server.
    assert "bob-private" in mcpward("scan", "--home", str(bob), "-f", "json").stdout
