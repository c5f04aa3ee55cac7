"""The fleet agent may reach its registry over plain http on loopback (a tunnel's or a local
proxy's end, ``http://127.0.0.1:8080``). It scans every home, so it runs on machines with
other accounts, and any of them may listen on an unprivileged loopback port: one that took the
port first (at boot, before the tunnel; or when the tunnel stopped) was sent the fleet's token
in clear with the next report, and could then report as any machine. On Linux the agent now
looks up who holds the port (``/proc/net/tcp``) and sends nothing to a listener of another
account than root or its own."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from pathlib import Path

import pytest
from cli_kit import mcpward

from mcpward.agent import AgentConfig

OTHER = 4398
SECRET = "mcpw_" + "L" * 40


def _agent_run(tmp_path: Path, registry: str) -> str:
    (tmp_path / "homes" / "alice").mkdir(parents=True, exist_ok=True)
    token = tmp_path / "token"
    token.write_text(SECRET + "\n")
    token.chmod(0o600)
    settings = tmp_path / "agent.toml"
    config = AgentConfig(registry=registry, token_file=str(token), spool=str(tmp_path / "spool"),
                         homes_under=(str(tmp_path / "homes"),))  # fmt: skip
    settings.write_text(config.to_toml())
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="port")
    return done.stderr


@pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0, reason="needs Linux and root to listen as another account"
)
def test_a_loopback_port_another_account_holds_gets_no_token(tmp_path: Path) -> None:
    port_out, port_in = os.pipe()
    sent_out, sent_in = os.pipe()
    child = os.fork()
    if child == 0:  # another local account's listener, on the port the tunnel was to hold
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
    try:
        stderr = _agent_run(tmp_path, f"http://127.0.0.1:{port}")
    finally:
        with contextlib.suppress(OSError):  # a listener still waiting: let it end
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        os.waitpid(child, 0)
    with os.fdopen(sent_out, "rb") as received:
        sent = received.read()
    assert SECRET.encode() not in sent, stderr
    assert "another account" in stderr and str(OTHER) in stderr, stderr
