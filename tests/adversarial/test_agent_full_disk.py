"""Attack: a local user fills the disk the agent's spool is on (``/var`` beside ``/var/tmp``;
the agent runs as its own account, so the reserve ext4 keeps for root does not help it). A
write the spool could not finish raised out of the run as an internal error: on the agent's
first run (the id it reports under is written then) no home of the machine was ever reported,
so a new machine never appeared in the fleet while the disk stayed full; during an outage the
run ended at the first home it spooled, until 2026-12-06.

Now a write the spool cannot finish leaves no half-written file and is named in one line: the
first run reports under the machine's id (as where the spool cannot be made, and says so),
and each home whose report cannot be spooled is named, the run going on to the next. The
disk is made full for the agent's process alone (``RLIMIT_FSIZE``: every write to a file
fails, as on a full disk)."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from cli_kit import mcpward

from fake_home import npx, write_json
from loopback import free_port
from mcpward.agent import AgentConfig
from mcpward.registry import Registry, Role


def _full_disk() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _settings(tmp_path: Path, registry: Registry, base: str) -> Path:
    for user in ("alice", "bob"):
        write_json(tmp_path / "homes" / user / ".cursor" / "mcp.json",
                   {"mcpServers": {f"{user}-tool": npx(f"@acme/{user}-tool@1.0.0")}})  # fmt: skip
    token = tmp_path / "agent-token"
    token.write_text(registry.create_token("fleet-agent", Role.REPORTER, "setup") + "\n")
    token.chmod(0o600)
    config = AgentConfig(registry=base, token_file=str(token), spool=str(tmp_path / "spool"),
                         homes_under=(str(tmp_path / "homes"),))  # fmt: skip
    settings = tmp_path / "agent.toml"
    settings.write_text(config.to_toml())
    return settings


@pytest.fixture(autouse=True)
def _own_machine_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCPWARD_MACHINE_ID", raising=False)  # the agent keeps one of its own


def test_the_first_run_on_a_full_disk_still_reports_every_home(
    registry: Registry, live_server: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, registry, live_server)
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter", preexec_fn=_full_disk)
    assert done.returncode == 0 and "internal error" not in done.stderr, done.stderr
    assert "reported under the machine's id" in done.stderr, done.stderr
    assert sorted(Path(record.home or "").name for record in registry.machines()) == ["alice", "bob"]
    assert [path.name for path in (tmp_path / "spool").iterdir()] == []  # no half-written id left


def test_a_full_disk_during_an_outage_names_each_home_not_spooled(registry: Registry, tmp_path: Path) -> None:
    settings = _settings(tmp_path, registry, f"http://127.0.0.1:{free_port()}")  # nothing answers
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter", preexec_fn=_full_disk)
    assert done.returncode == 0 and "internal error" not in done.stderr, done.stderr
    for user in ("alice", "bob"):  # the run went on past the first home
        assert f"{user}: its report could not be spooled" in done.stderr, done.stderr
    assert not list((tmp_path / "spool").glob("*.json")) and not list((tmp_path / "spool").glob(".*"))


def test_with_room_on_the_disk_an_outage_spools_every_home(registry: Registry, tmp_path: Path) -> None:
    settings = _settings(tmp_path, registry, f"http://127.0.0.1:{free_port()}")
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter")
    assert done.returncode == 0 and "could not be spooled" not in done.stderr, done.stderr
    assert done.stderr.count("spooled ") == 2 and len(list((tmp_path / "spool").glob("*.json"))) == 2
