"""Stopping the sandbox's egress proxy while connections are open prints nothing: each open
connection's handler was cancelled at shutdown and asyncio printed a CancelledError traceback
for each (ten copies at the end of a `gateway run --sandbox`)."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from mcpward.sandbox._proxy import EgressProxy
from mcpward.sandbox.interface import NetworkRules


@pytest.mark.parametrize("connections", [1, 10])
def test_stopping_the_proxy_with_connections_open_logs_no_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, connections: int
) -> None:
    records: list[dict[str, object]] = []
    proxy = EgressProxy(tmp_path / "unused.sock", NetworkRules(allow=()), records.append, tcp=True)
    proxy.start()
    clients = [socket.create_connection(("127.0.0.1", proxy.port), timeout=10) for _ in range(connections)]
    try:
        for client in clients[: connections // 2]:
            client.sendall(b"CONNECT api.example.com:443 HTTP/1.1\r\n")  # half a head: still reading
        with caplog.at_level(logging.DEBUG, logger="asyncio"):
            proxy.stop()
    finally:
        for client in clients:
            client.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
