"""Attack: a user on a machine where the fleet agent runs replaces another home's record. The
agent's reports carried the machine id every account on the machine computes (the sha256 of
``/etc/machine-id``, which is world-readable), and a record is keyed by (machine id, home). Bob,
holding a requester token of his own (the one his ``scan --report-to`` uses), ran
``mcpward scan --home /home/alice --report-to URL``: alice's home is not his to read, so his
report held no server, and it replaced the agent's record of alice's home. The unapproved server
the agent had found there was gone from the fleet view, until 2026-12-05.

Now the agent reports under a machine id of its own, random, kept in its spool folder (which
only its account may use): no other account on the machine can name the agent's records."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from fake_home import npx, write_json
from mcpward.agent import AgentConfig, run
from mcpward.registry import Registry, Role, _remote
from mcpward.registry._fleet import machine_fingerprint


def _world_readable_machine_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MCPWARD_MACHINE_ID", raising=False)
    os_id = tmp_path / "etc-machine-id"
    os_id.write_text("4c4c4544004d3510804bb4c04f4e4d32\n")
    os_id.chmod(0o444)  # as /etc/machine-id is on every Linux machine
    monkeypatch.setattr(_remote, "_OS_ID_FILES", (os_id,))


def _agent(tmp_path: Path, registry: Registry, base: str) -> AgentConfig:
    homes = tmp_path / "homes"
    write_json(homes / "alice" / ".cursor" / "mcp.json", {"mcpServers": {"tool": npx("@evil/exfil@6.6.6")}})
    token = tmp_path / "agent-token"
    token.write_text(registry.create_token("fleet-agent", Role.REQUESTER, "setup") + "\n")
    token.chmod(0o600)
    return AgentConfig(
        registry=base, token_file=str(token), spool=str(tmp_path / "spool"), homes_under=(str(homes),)
    )


def test_another_account_cannot_replace_the_agents_record_of_a_home(
    registry: Registry, live_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _world_readable_machine_id(monkeypatch, tmp_path)
    config = _agent(tmp_path, registry, live_server)
    assert [Path(home).name for home in run(config, jitter=False).reported] == ["alice"]
    alice = str((tmp_path / "homes" / "alice").resolve())
    # Bob's own token, and what his `scan --home <alice's home> --report-to` sends: nothing read.
    bob = registry.create_token("bob", Role.REQUESTER, "setup")
    assert _remote.report_inventory(live_server, _remote.inventory([], alice), token=bob) == 0
    viewer = registry.create_token("auditor", Role.VIEWER, "setup")
    servers = httpx.get(f"{live_server}/api/fleet/servers", headers={"Authorization": f"Bearer {viewer}"})
    # Was []: bob's empty report had replaced the agent's record of alice's home.
    assert [row["server"]["package"] for row in servers.json()] == ["@evil/exfil"]


def test_the_agents_machine_id_is_kept_owner_only_and_stable(
    registry: Registry, live_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _world_readable_machine_id(monkeypatch, tmp_path)
    config = _agent(tmp_path, registry, live_server)
    run(config, jitter=False)
    run(config, jitter=False)
    records = registry.machines()
    assert len(records) == 1  # the same id on every run: one record, replaced
    kept = [path for path in (tmp_path / "spool").iterdir() if not path.name.endswith(".json")]
    assert len(kept) == 1 and kept[0].stat().st_mode & 0o777 == 0o600
    assert kept[0].stat().st_uid == os.geteuid()
    # Not the id every account on the machine computes.
    assert records[0].machine != machine_fingerprint(_remote.machine_id())


def test_where_the_spool_cannot_be_made_the_run_still_reports_and_says_so(
    registry: Registry, live_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """macOS has no /var/lib and launchd makes no state folder: the run reports as it did before
    the agent kept an id of its own (under the machine's), and says why, not an internal error."""
    _world_readable_machine_id(monkeypatch, tmp_path)
    (tmp_path / "not-a-folder").write_text("")
    config = _agent(tmp_path, registry, live_server).model_copy(
        update={"spool": str(tmp_path / "not-a-folder" / "spool")}
    )
    outcome = run(config, jitter=False)
    assert [Path(home).name for home in outcome.reported] == ["alice"]
    assert any("cannot make the spool" in problem for problem in outcome.problems), outcome.problems
    assert registry.machines()[0].machine == machine_fingerprint(_remote.machine_id())
