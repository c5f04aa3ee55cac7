"""The fleet agent may reach its registry over plain http on loopback (a tunnel's or a local
proxy's end, ``http://127.0.0.1:8080``). It scans every home, so it runs on machines with
other accounts, and any of them may listen on an unprivileged loopback port: one that took the
port first (at boot, before the tunnel; or when the tunnel stopped) was sent the fleet's token
in clear with the next report, and could then report as any machine. ``scan --report-to``
sent a user's token the same way, and ``enforce --registry`` (run as root) took that
account's answer for the registry's approvals. On Linux the port's listener is now looked up
(``/proc/net/tcp``): nothing is sent to, or taken from, one of another person's account
(uid 1000 and up; root's and the system's accounts, a tunnel's, are the admin's)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from cli_kit import mcpward

from loopback import anothers_listener
from mcpward.agent import AgentConfig
from mcpward.registry._remote import fetch_entries, inventory, report_inventory
from mcpward.registry.interface import RegistryError

OTHER = 4398
SECRET = "mcpw_" + "L" * 40

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0, reason="needs Linux and root to listen as another account"
)


def test_the_agent_sends_no_token_to_a_loopback_port_another_account_holds(tmp_path: Path) -> None:
    (tmp_path / "homes" / "alice").mkdir(parents=True)
    token = tmp_path / "token"
    token.write_text(SECRET + "\n")
    token.chmod(0o600)
    settings = tmp_path / "agent.toml"
    with anothers_listener(OTHER) as (url, sent):
        config = AgentConfig(registry=url, token_file=str(token), spool=str(tmp_path / "spool"),
                             homes_under=(str(tmp_path / "homes"),))  # fmt: skip
        settings.write_text(config.to_toml())
        done = mcpward("agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="port")
    assert SECRET.encode() not in b"".join(sent), done.stderr
    assert "another account" in done.stderr and str(OTHER) in done.stderr, done.stderr


def test_the_registry_client_neither_sends_nor_takes_from_it() -> None:
    with anothers_listener(OTHER) as (url, sent), pytest.raises(RegistryError, match="another account"):
        report_inventory(url, inventory([], "/home/alice"), token=SECRET, timeout=5)
    assert SECRET.encode() not in b"".join(sent)
    with anothers_listener(OTHER) as (url, sent), pytest.raises(RegistryError, match="another account"):
        fetch_entries(url, timeout=5)
    assert b"".join(sent) == b""
