"""Huge request headers against ``mcpward gateway serve``, from a client holding no token.

Before 2026-12-05 the gateway's HTTP server (uvicorn with its httptools parser, the default
when that is installed) kept a request's head in memory however long it grew: a header value
that never ended, or header lines that never stopped, were held whole before any check ran
(the token, the Host), so one connection with no token made the gateway hold 320 MB for 200 MB
sent, and a few such connections ended it. Now the head is parsed by h11 with its bound
(16 KiB): past it the connection is refused and closed."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import httpx
from gateway_attack_kit import INITIALIZE, SERVERS, TOKEN_A, auth, digest, memory_kb, serve_process


def _endless_head(base: str, line: bytes, total_mb: int) -> int:
    """A request whose head repeats ``line`` for ``total_mb`` MB, never ending; how many MB
    went out before the gateway stopped reading (closed the connection)."""
    host, port = base.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(f"GET /servers/echo/mcp HTTP/1.1\r\nHost: {host}:{port}\r\n".encode())
        chunk = line * ((1 << 20) // len(line))
        try:
            for _ in range(total_mb):
                connection.sendall(chunk)
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway refused and closed: what we want
    return sent


def test_an_endless_request_head_is_refused_not_held(tmp_path: Path) -> None:
    config = f"""[[serve.clients]]
name = "alice"
sha256 = "{digest(TOKEN_A)}"
[pins]
store = "{tmp_path / "pins.json"}"
[servers.echo]
command = ["{sys.executable}", "{SERVERS / "counting_server.py"}", "{tmp_path / "r.txt"}", "{tmp_path / "pid"}"]
"""
    with serve_process(tmp_path, config) as (base, process, _log):
        before = memory_kb(process.pid, "VmRSS")
        one_value = _endless_head(base, b"X-Long: " + b"a" * 1024, 96)  # its value never ends
        many_lines = _endless_head(base, b"X-A: b\r\n", 96)
        grown_mb = (memory_kb(process.pid, "VmRSS") - before) / 1024
        assert process.poll() is None
        assert grown_mb < 32, f"the gateway held {grown_mb:.0f} MB of a request head"
        assert one_value < 96 and many_lines < 96, "the gateway read the whole head"
        # A head of ordinary size (an access token of 16 KiB, parameters in headers) is served.
        headers = auth(TOKEN_A) | {"X-Padding": "p" * 20_000}
        answer = httpx.post(f"{base}/servers/echo/mcp", json=INITIALIZE, headers=headers, timeout=30)
        assert answer.status_code == 200 and "result" in answer.json()
