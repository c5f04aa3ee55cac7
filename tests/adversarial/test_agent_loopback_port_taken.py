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

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_kit import mcpward

from mcpward.agent import AgentConfig
from mcpward.registry._remote import fetch_entries, inventory, report_inventory
from mcpward.registry.interface import RegistryError

OTHER = 4398
SECRET = "mcpw_" + "L" * 40

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0, reason="needs Linux and root to listen as another account"
)


@contextlib.contextmanager
def _anothers_listener() -> Iterator[tuple[str, list[bytes]]]:
    """Another local account's listener on a loopback port: its URL, and what it was sent."""
    port_out, port_in = os.pipe()
    sent_out, sent_in = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(port_out)
            os.close(sent_out)
            os.setgid(OTHER)
            os.setuid(OTHER)
            with socket.socket() as listener:
                listener.bind(("127.0.0.1", 0))
                listener.listen(4)
                listener.settimeout(20)
                os.write(port_in, str(listener.getsockname()[1]).encode())
                connection, _ = listener.accept()
                connection.settimeout(5)
                os.write(sent_in, connection.recv(1 << 16))
                connection.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
                connection.close()
        finally:
            os._exit(0)
    os.close(port_in)
    os.close(sent_in)
    port = int(os.read(port_out, 16))
    os.close(port_out)
    sent: list[bytes] = []
    try:
        yield f"http://127.0.0.1:{port}", sent
    finally:
        with contextlib.suppress(OSError):  # a listener still waiting: let it end
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        os.waitpid(child, 0)
        with os.fdopen(sent_out, "rb") as received:
            sent.append(received.read())


def test_the_agent_sends_no_token_to_a_loopback_port_another_account_holds(tmp_path: Path) -> None:
    (tmp_path / "homes" / "alice").mkdir(parents=True)
    token = tmp_path / "token"
    token.write_text(SECRET + "\n")
    token.chmod(0o600)
    settings = tmp_path / "agent.toml"
    with _anothers_listener() as (url, sent):
        config = AgentConfig(registry=url, token_file=str(token), spool=str(tmp_path / "spool"),
                             homes_under=(str(tmp_path / "homes"),))  # fmt: skip
        settings.write_text(config.to_toml())
        done = mcpward("agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="port")
    assert SECRET.encode() not in b"".join(sent), done.stderr
    assert "another account" in done.stderr and str(OTHER) in done.stderr, done.stderr


def test_the_registry_client_neither_sends_nor_takes_from_it() -> None:
    with _anothers_listener() as (url, sent), pytest.raises(RegistryError, match="another account"):
        report_inventory(url, inventory([], "/home/alice"), token=SECRET, timeout=5)
    assert SECRET.encode() not in b"".join(sent)
    with _anothers_listener() as (url, sent), pytest.raises(RegistryError, match="another account"):
        fetch_entries(url, timeout=5)
    assert b"".join(sent) == b""
