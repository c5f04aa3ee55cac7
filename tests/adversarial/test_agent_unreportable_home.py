"""The fleet agent scans every home of a machine and reports each as its own record. A user
who can write only their own home (here ``alice``, listed first) configured a server whose
command line was longer than a fleet report takes (2,000 characters; or a version over 255,
or more than 5,000 servers): building her report raised, and the run stopped there, so no
home after hers (``bob``) was reported again. The fleet view kept bob's last record, its
servers as they were, until it went stale, and hers too: one user's config hid a machine.
Her home is now named, and every other home reported (hers as far as it can be:
test_agent_unreportable_home_hides.py). A real registry server on
loopback, real homes, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import mcpward

from mcpward.agent import AgentConfig
from mcpward.registry import Registry, Role


def _home(under: Path, name: str, servers: dict[str, object]) -> None:
    config = under / name / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"mcpServers": servers}))


def test_one_homes_unreportable_config_does_not_stop_the_other_homes_reports(
    tmp_path: Path, registry: Registry, live_server: str
) -> None:
    under = tmp_path / "homes"
    _home(under, "alice", {"long": {"command": "node", "args": ["x" * 3000]}})
    _home(under, "bob", {"files": {"command": "npx", "args": ["-y", "evil-files-mcp@1.0.0"]}})
    token = tmp_path / "token"
    token.write_text(registry.create_token("agent", Role.REQUESTER, "setup") + "\n")
    token.chmod(0o600)
    settings = tmp_path / "agent.toml"
    config = AgentConfig(registry=live_server, token_file=str(token), spool=str(tmp_path / "spool"),
                         homes_under=(str(under),))  # fmt: skip
    settings.write_text(config.to_toml())
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="shared-host")
    homes = {machine.home: machine.servers for machine in registry.machines()}
    assert homes.get(str((under / "bob").resolve())) == 1, (homes, done.stderr)
    assert f"reported {(under / 'bob').resolve()}" in done.stderr
    assert "alice" in done.stderr and "cannot be reported" in done.stderr, done.stderr
