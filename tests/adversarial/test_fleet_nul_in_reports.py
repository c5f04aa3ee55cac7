"""Attack: a user stops every fleet report of their machine with one character. A config may
name a server ``"a\\u0000"`` (JSON escapes it; the scan keeps it as written), and the fleet
report carried it. PostgreSQL holds no NUL in text, so a registry on PostgreSQL answered that
report with a 500. The agent takes a 5xx for an outage: it kept the report in its spool,
stopped sending and spooled every later home's report too; at each later run the spooled report
came first, failed the same way, and held every other. No home of the machine was reported
again (each kept its last report, clean and not stale for 30 days) while the user ran what they
liked, until 2026-12-05. (On SQLite the NUL was stored.)

Now a server holding a NUL is refused in a report (422 from the registry, never a 500), and the
agent reports such a server as one the registry cannot tell (a local command, judged
unapproved), so the home and every later one are reported."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from mcpward.agent import AgentConfig, run
from mcpward.registry import Registry, Role


def _configure(home: Path, servers: dict[str, object]) -> None:
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"mcpServers": servers}))


def test_a_nul_in_one_homes_config_does_not_stop_the_machines_reports(
    tmp_path: Path, registry: Registry, live_server: str
) -> None:
    homes = tmp_path / "homes"
    _configure(homes / "alice", {"evil\x00": {"command": "npx", "args": ["-y", "evil-mcp@6.6.6"]}})
    _configure(homes / "bob", {"other": {"command": "npx", "args": ["-y", "other-mcp@1.0.0"]}})
    token = tmp_path / "token"
    token.write_text(registry.create_token("fleet-agent", Role.REQUESTER, "setup") + "\n")
    token.chmod(0o600)
    config = AgentConfig(registry=live_server, token_file=str(token), spool=str(tmp_path / "spool"),
                         homes_under=(str(homes),))  # fmt: skip
    run(config, jitter=False)
    second = run(config, jitter=False)
    servers, _total = registry.fleet()
    reported = {(Path(row.home or "").name, row.server.package or row.server.name) for row in servers}
    # On PostgreSQL: was empty, both homes spooled run after run.
    assert ("bob", "other-mcp") in reported, (reported, second.problems)
    alice = [row for row in servers if Path(row.home or "").name == "alice"]
    assert len(alice) == 1 and alice[0].judgement.status == "unapproved", alice
    assert "\x00" not in alice[0].server.name
    assert not list((tmp_path / "spool").glob("*.json"))  # nothing waits


def test_the_registry_refuses_a_nul_as_bad_input(registry: Registry, live_server: str) -> None:
    token = registry.create_token("fleet-agent", Role.REQUESTER, "setup")
    report = {
        "machine_id": "m-1",
        "hostname": "laptop-1",
        "servers": [{"host": "cursor", "name": "a\x00", "kind": "local", "launch": "node\x00x"}],
    }
    answer = httpx.post(
        f"{live_server}/api/fleet/reports", json=report, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422, (answer.status_code, answer.text[:200])  # was 500 on PostgreSQL


def test_a_lone_surrogate_in_one_homes_config_does_not_end_the_agents_run(
    tmp_path: Path, registry: Registry, live_server: str
) -> None:
    """The same with a server named ``"\\ud800"`` (a lone surrogate, which JSON escapes allow and
    no report can hold as text): its report could not be built, and the line meant to stand for
    it (a local command the registry cannot tell) was built from the same name, so the agent's
    run ended in an uncaught error there, every run, and no later home was reported, until
    2026-12-05."""
    homes = tmp_path / "homes"
    config = homes / "alice" / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    config.write_text('{"mcpServers": {"\\ud800": {"command": "npx", "args": ["-y", "evil-mcp@6.6.6"]}}}')
    _configure(homes / "bob", {"other": {"command": "npx", "args": ["-y", "other-mcp@1.0.0"]}})
    token = tmp_path / "token"
    token.write_text(registry.create_token("fleet-agent", Role.REQUESTER, "setup") + "\n")
    token.chmod(0o600)
    config_ = AgentConfig(registry=live_server, token_file=str(token), spool=str(tmp_path / "spool"),
                          homes_under=(str(homes),))  # fmt: skip
    run(config_, jitter=False)  # raised a ValidationError
    servers, _total = registry.fleet()
    reported = {(Path(row.home or "").name, row.judgement.status) for row in servers}
    assert reported == {("alice", "unapproved"), ("bob", "unapproved")}, reported
