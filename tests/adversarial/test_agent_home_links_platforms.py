"""The fleet agent reads every home with more rights than its owner. Client configs were read
only if the home's owner owns them (test_agent_home_links.py), but what else the scan reads in
a home was not: a symbolic link in alice's home to bob's n8n database (``~/.n8n``), to his
global npm packages or pipx venvs (the platforms' installations), or to his skills, and a hard
link in a plugin of hers to his plugin's server file, had the agent report bob's workflows'
MCP servers, platforms and plugins to the registry as alice's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_kit import mcpward

from loopback import free_port
from mcpward.agent import AgentConfig
from platform_files import n8n_database, n8n_workflow, pipx_dist_info, write_json

ALICE, BOB = 4321 + 2, 4321 + 3


def bobs_home(bob: Path) -> None:
    n8n_database(bob / ".n8n" / "database.sqlite", [n8n_workflow("Bob's private agent")])
    write_json(
        bob / ".npm-global" / "lib" / "node_modules" / "n8n" / "package.json",
        {"name": "n8n", "version": "1.90.0"},
    )
    pipx_dist_info(bob, "litellm", "1.70.0")
    skill = bob / ".claude" / "skills" / "bob-secret-skill"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: bob-secret-skill\ndescription: bob's\n---\nDo bob things.\n")
    plugin = bob / ".claude" / "plugins" / "bob-plugin"
    (plugin / ".claude-plugin").mkdir(parents=True)
    (plugin / ".claude-plugin" / "plugin.json").write_text(
        json.dumps({"name": "bob-plugin", "mcpServers": "./servers.json"})
    )
    servers = {"bob-plugin-server": {"command": "npx", "args": ["-y", "@bob/plugin-server@1.0.0"]}}
    (plugin / "servers.json").write_text(json.dumps({"mcpServers": servers}))


def alices_links(alice: Path, bob: Path) -> None:
    alice.mkdir(parents=True)
    (alice / ".n8n").symlink_to(bob / ".n8n")
    (alice / ".npm-global").symlink_to(bob / ".npm-global")
    (alice / ".local" / "share" / "pipx" / "venvs").mkdir(parents=True)
    (alice / ".local" / "share" / "pipx" / "venvs" / "litellm").symlink_to(
        bob / ".local" / "share" / "pipx" / "venvs" / "litellm"
    )
    (alice / ".claude" / "skills").mkdir(parents=True)
    (alice / ".claude" / "skills" / "linked").symlink_to(bob / ".claude" / "skills" / "bob-secret-skill")
    plugin = alice / ".claude" / "plugins" / "alice-plugin"
    (plugin / ".claude-plugin").mkdir(parents=True)
    manifest = {"name": "alice-plugin", "mcpServers": "./servers.json"}
    (plugin / ".claude-plugin" / "plugin.json").write_text(json.dumps(manifest))
    os.link(bob / ".claude" / "plugins" / "bob-plugin" / "servers.json", plugin / "servers.json")
    own = {"mcpServers": {"alice-own": {"command": "npx", "args": ["-y", "@alice/own@1.0.0"]}}}
    (alice / ".cursor").mkdir()
    (alice / ".cursor" / "mcp.json").write_text(json.dumps(own))


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to own homes as others"
)
def test_links_to_another_accounts_platforms_skills_and_plugins_are_not_read(tmp_path: Path) -> None:
    homes = tmp_path / "homes"
    alice, bob = homes / "alice", homes / "bob"
    bobs_home(bob)
    alices_links(alice, bob)
    for home, uid in ((alice, ALICE), (bob, BOB)):  # bob last: the hard link is his file
        for path in (home, *home.rglob("*")):
            os.chown(path, uid, uid, follow_symlinks=False)
    token = tmp_path / "token"
    token.write_text("mcpw_" + "b" * 40 + "\n")
    token.chmod(0o600)
    spool = tmp_path / "spool"
    settings = tmp_path / "agent.toml"
    settings.write_text(AgentConfig(registry=f"http://127.0.0.1:{free_port()}", token_file=str(token),
                                    spool=str(spool), homes_under=(str(homes),)).to_toml())  # fmt: skip
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="agent-plat")
    assert done.returncode == 0, done.stderr
    reports = {
        Path(report["home"]).name: report["servers"]
        for report in (json.loads(p.read_text())["report"] for p in spool.glob("*.json"))
    }
    bobs = {(server["host"], server["name"]) for server in reports["bob"]}
    alices = {(server["host"], server["name"]) for server in reports["alice"]}
    # Bob's own report has each kind: workflow servers, installations, the skill, the plugin's.
    assert {host for host, _ in bobs} >= {"n8n", "litellm", "claude-code"}, bobs
    assert {"skill bob-secret-skill", "bob-plugin-server", "n8n 1.90.0 (installed)"} <= {
        n for _, n in bobs
    }, bobs
    # Nothing of bob's reported as alice's; the links she made are named as files the scan could
    # not use (since 2026-12-05: tests/adversarial/test_fleet_unread_configs.py).
    assert {(host, name) for host, name in alices if name != "config not read"} == {("cursor", "alice-own")}
    assert all(
        server["kind"] == "local" for server in reports["alice"] if server["name"] == "config not read"
    )


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to own homes as others"
)
def test_a_skill_of_hers_does_not_read_his_scripts_or_plugin_manifest(tmp_path: Path) -> None:
    """What the scan's skill-content check reads: a skill of alice's own whose script is a hard
    link to bob's, in a plugin whose manifest is a hard link to his (its name labels the
    skill), had bob's script read as alice's skill's."""
    from mcpward.scan._engine import ScanOptions, discover

    alice, bob = tmp_path / "alice", tmp_path / "bob"
    (bob / "tools").mkdir(parents=True)
    (bob / "tools" / "deploy.sh").write_text("#!/bin/sh\necho bob's private deploy key path\n")
    (bob / "tools" / "plugin.json").write_text(json.dumps({"name": "bob-private-plugin"}))
    plugin = alice / ".claude" / "plugins" / "p"
    skill = plugin / "skills" / "helper"
    skill.mkdir(parents=True)
    (plugin / ".claude-plugin").mkdir()
    os.link(bob / "tools" / "plugin.json", plugin / ".claude-plugin" / "plugin.json")
    (skill / "SKILL.md").write_text("---\nname: helper\ndescription: alice's helper\n---\nRun deploy.sh.\n")
    os.link(bob / "tools" / "deploy.sh", skill / "deploy.sh")
    for home, uid in ((alice, ALICE), (bob, BOB)):
        for path in (home, *home.rglob("*")):
            os.chown(path, uid, uid, follow_symlinks=False)
    found = discover(ScanOptions(home=alice, owner=ALICE, hosts=frozenset({"claude-code"}))).servers
    skills = [server for server in found if server.skill is not None]
    assert [server.name for server in skills] == ["skill helper"]  # alice's own SKILL.md is read
    assert skills[0].skill is not None and skills[0].skill.scripts == ()
    assert skills[0].plugin != "bob-private-plugin"
