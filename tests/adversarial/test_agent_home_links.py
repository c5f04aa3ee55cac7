"""The fleet agent reads every home with more rights than the home's owner (root, or
CAP_DAC_READ_SEARCH): a user who makes their client's config a symbolic link (or a hard link,
where the kernel allows it) to another account's config had the agent read that file and
report its servers, arguments and environment names to the registry as their own home's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_kit import mcpward

from loopback import free_port
from mcpward.agent import AgentConfig

ALICE, BOB = 4301, 4302


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to own homes as others"
)
def test_a_link_in_one_home_to_another_accounts_config_is_not_read(tmp_path: Path) -> None:
    homes = tmp_path / "homes"
    alice, bob = homes / "alice", homes / "bob"
    config = {"mcpServers": {"bob-private": {"command": "npx", "args": ["-y", "@bob/private@1.0.0"]}}}
    (bob / ".cursor").mkdir(parents=True)
    (bob / ".cursor" / "mcp.json").write_text(json.dumps(config))
    (alice / ".cursor").mkdir(parents=True)
    (alice / ".cursor" / "mcp.json").symlink_to(bob / ".cursor" / "mcp.json")
    (alice / ".claude").mkdir()
    os.link(bob / ".cursor" / "mcp.json", alice / ".claude.json")  # where protected_hardlinks is off
    own = {"mcpServers": {"alice-own": {"command": "npx", "args": ["-y", "@alice/own@1.0.0"]}}}
    (alice / ".gemini").mkdir()
    (alice / ".gemini" / "settings.json").write_text(json.dumps(own))
    for home, uid in ((alice, ALICE), (bob, BOB)):  # bob last: the hard link is his file
        for path in (home, *home.rglob("*")):
            os.chown(path, uid, uid, follow_symlinks=False)
    token = tmp_path / "token"
    token.write_text("mcpw_" + "a" * 40 + "\n")
    token.chmod(0o600)
    spool = tmp_path / "spool"
    settings = tmp_path / "agent.toml"
    settings.write_text(AgentConfig(registry=f"http://127.0.0.1:{free_port()}", token_file=str(token),
                                    spool=str(spool), homes_under=(str(homes),)).to_toml())  # fmt: skip
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="agent-links")
    assert done.returncode == 0, done.stderr
    reports = {
        Path(report["home"]).name: {server["name"] for server in report["servers"]}
        for report in (json.loads(p.read_text())["report"] for p in spool.glob("*.json"))
    }
    assert reports["bob"] == {"bob-private"}
    # Bob's server is not reported as alice's; the links she made are (since 2026-12-05, as files
    # the scan could not use: tests/adversarial/test_fleet_unread_configs.py).
    assert reports["alice"] == {"alice-own", "config not read"}, reports
