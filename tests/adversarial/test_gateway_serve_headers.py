"""Huge request headers against ``mcpward gateway serve``, from a client holding no token.

Before 2026-12-05 the gateway's HTTP server (uvicorn with its httptools parser, the default
when that is installed) kept a request's head in memory however long it grew: a header value
that never ended, or header lines that never stopped, were held whole before any check ran
(the token, the Host), so one connection with no token made the gateway hold 320 MB for 200 MB
sent, and a few such connections ended it. Now a head past 64 KiB is refused (431) and its
connection closed (still parsed by httptools, compiled: h11 cost a third of the gateway's CPU
per call).

Nor was there a deadline for the head: a connection that sent nothing, half a head, or one
byte of its next request after an answer (which stops uvicorn's keep-alive timer) stayed open
for good, each a file descriptor of the gateway held by a client with no token. Now a head
must be whole within 10 s of the connection's opening or its last answer."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import httpx
from gateway_attack_kit import INITIALIZE, SERVERS, TOKEN_A, auth, memory_kb, serve_process

from loopback import clients_toml


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


def _config(tmp_path: Path, serve: str = "") -> str:
    return f"""{serve}
{clients_toml({"alice": TOKEN_A})}[pins]
store = "{tmp_path / "pins.json"}"
[servers.echo]
command = ["{sys.executable}", "{SERVERS / "counting_server.py"}", "{tmp_path / "r.txt"}", "{tmp_path / "pid"}"]
"""


def test_an_endless_request_head_is_refused_not_held(tmp_path: Path) -> None:
    with serve_process(tmp_path, _config(tmp_path)) as (base, process, _log):
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


def _closed_within(connection: socket.socket, seconds: float) -> bool:
    """Whether the gateway closed ``connection`` within ``seconds`` (what it sent is read)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        connection.settimeout(left)
        try:
            if connection.recv(65536) == b"":
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def test_a_request_head_that_never_comes_does_not_hold_a_connection(tmp_path: Path) -> None:
    # The deadline made 2 s (10 by default: the test below) to spare the suite the wait.
    with serve_process(tmp_path, _config(tmp_path, "[serve]\nrequest_head_seconds = 2")) as (
        base,
        _process,
        _log,
    ):
        host, port = base.removeprefix("http://").split(":")
        head = f"GET /servers/echo/mcp HTTP/1.1\r\nHost: {host}:{port}\r\n"
        silent = socket.create_connection((host, int(port)))
        half = socket.create_connection((host, int(port)))
        half.sendall(head.encode())
        after_answer = socket.create_connection((host, int(port)))
        after_answer.sendall(f"{head}\r\n".encode())  # a whole request: answered (401)
        after_answer.settimeout(10)
        assert after_answer.recv(65536).startswith(b"HTTP/1.1 401")
        after_answer.sendall(b"G")  # the next request's first byte, and no more
        # A session's stream, whose head came whole, is no head waited for: it stays open.
        session = httpx.post(f"{base}/servers/echo/mcp", json=INITIALIZE, headers=auth(TOKEN_A), timeout=30)
        stream = socket.create_connection((host, int(port)))
        stream.sendall(
            f"{head}Authorization: Bearer {TOKEN_A}\r\n"
            f"Mcp-Session-Id: {session.headers['mcp-session-id']}\r\n\r\n".encode()
        )
        stream.settimeout(10)
        assert stream.recv(65536).startswith(b"HTTP/1.1 200")
        for name, connection in (("silent", silent), ("half a head", half), ("one byte", after_answer)):
            with connection:
                assert _closed_within(connection, 25), f"a connection that sent {name} was held"
        with stream:
            assert not _closed_within(stream, 1), "a session's stream was cut"


def test_the_head_deadline_is_ten_seconds_unless_configured() -> None:
    from mcpward._http_server import HEAD_SECONDS, ConnectionLimits
    from mcpward.gateway import GatewayConfig

    assert HEAD_SECONDS == ConnectionLimits().head_seconds == GatewayConfig().serve.request_head_seconds == 10
