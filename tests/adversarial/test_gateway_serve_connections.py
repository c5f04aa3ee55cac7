"""Connections against ``mcpward gateway serve``, from clients holding no token: how many the
gateway holds, for how long, and what one connection can make it hold.

Before 2026-12-05 the number of connections had no bound but the process's open-file limit: a
client with no token opened connections from 127.0.0.2 until the gateway (its limit lowered
to 256 files, as a service manager's default of 1024 is soon reached) could accept no other,
and a client holding a token was shut out (its post answered by a closed connection, nor
could a session start: a server's pipes are files too). The head's deadline (10 s) only makes
the attacker open them again. Now the gateway holds at most ``[serve] max_connections``
(1000; fewer when the open-file limit leaves less room beside the sessions' servers): past it
the connection that has waited longest for a request is closed to make room, and when every
connection is answering a request the new one is refused (503) and closed.

A client holding a token filled that limit alone, within its request rate: posts whose body
never finishes are each a connection answering for 60 s (the body's deadline), 1,200 at 20 a
second; 40 of them took every connection of a gateway allowing 40, and another client's post
was refused (503). Now a client may have ``[serve] max_requests_in_flight_per_client`` (32)
requests being answered at once; past it a request gets 429 and its connection is closed.

A request answered before its body was read (a 401 to a post of no token declaring a gigabyte)
left the rest of the body to come at the client's pace: a byte every few seconds stopped
uvicorn's keep-alive timer, and the head's deadline waited only for heads, so the connection
was held for good (still open after 16 s of a byte a second). Now the deadline runs from each
answer whatever the client sends, until its next request's head is whole.

One connection's requests sent at once, none read (HTTP/1.1 pipelining), were all parsed from
each read (256 KiB) and queued: 100 such connections with no token made the gateway hold
230 MB, for as long as the client did not read its answers. Now a connection may have at most
8 requests waiting behind the one being answered; past that it is closed.

An answer written whole but never read by its client (a call answering 4 MB, from a client
holding a token) was kept, its connection with it, for good: the deadline's close waited for
the client to read it (20 such calls held 152 MB and 20 files after 15 s). Now an answer of
which the client took nothing between two deadlines is dropped with its connection.

A head within its size (64 KiB) of short header lines was kept as a Python object per line:
200 connections with no token, each sending 60 KB of ``X: b`` lines, made the gateway hold
193 MB (about 1 GB at the limit of connections). Now a request may have 128 header lines;
past that it is refused (431) and its connection closed.

Nor was any bound on the trailer lines of a chunked body, kept the same way (uvicorn adds them
to the request's headers) and never counted as a head: one connection with no token, its
post refused (401) and its body's trailer lines sent for 8 s, made the gateway hold 979 MB for
52 MB sent. Trailer lines count among the 128 now.

What held: a request with no token starts no server (neither a session, a 2026-07-28 request
nor the legacy SSE stream); a WebSocket upgrade is refused as an invalid request (the gateway
serves no WebSocket); a keep-alive connection that sends nothing after an answer is closed
after ``[serve] keep_alive_seconds``."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import httpx
import orjson
from gateway_attack_kit import (
    HOSTILE_SERVER,
    INITIALIZE,
    SERVERS,
    TOKEN_A,
    TOKEN_B,
    auth,
    children_of,
    memory_kb,
    serve_process,
)

from loopback import clients_toml


def _config(tmp_path: Path, serve: str = "") -> str:
    hostile = tmp_path / "hostile.py"
    hostile.write_text(HOSTILE_SERVER, encoding="utf-8")
    return f"""{clients_toml({"alice": TOKEN_A, "mallory": TOKEN_B})}[pins]
store = "{tmp_path / "pins.json"}"
[servers.echo]
command = ["{sys.executable}", "{SERVERS / "counting_server.py"}", "{tmp_path / "r.txt"}", "{tmp_path / "pid"}"]
[servers.hostile]
command = ["{sys.executable}", "{hostile}", "its-own-secret"]
[serve]
{serve}
"""


@contextmanager
def _gateway(tmp_path: Path, serve: str = "", open_files: int | None = None) -> Iterator[tuple[int, int]]:
    """A ``gateway serve`` process (its open-file limit lowered to ``open_files``): its port and pid."""
    with serve_process(tmp_path, _config(tmp_path, serve), open_files=open_files) as (base, process, _log):
        yield int(base.rsplit(":", 1)[1]), process.pid


def _connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    connection = socket.socket()
    connection.bind((source, 0))
    connection.settimeout(5)
    connection.connect(("127.0.0.1", port))
    return connection


def _closed_within(connection: socket.socket, seconds: float, *, drip: bool = False) -> bool:
    """Whether the gateway closed ``connection`` within ``seconds`` (what it sent is read); with
    ``drip``, a byte is sent every half second meanwhile."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        connection.settimeout(min(left, 0.5))
        try:
            if drip:
                connection.sendall(b"x")
            if connection.recv(65536) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset, or a broken pipe on the drip
            return True
    return False


def test_idle_connections_without_a_token_do_not_shut_out_a_client(tmp_path: Path) -> None:
    with _gateway(tmp_path, "max_sessions = 8", open_files=256) as (port, pid), ExitStack() as held:
        for number in range(400):  # more than the gateway has files
            try:
                connection = held.enter_context(_connect(port, "127.0.0.2"))
            except OSError:
                break
            if number % 2:  # half a head; the others send nothing
                with suppress(OSError):  # closed already, for a newer one
                    connection.sendall(
                        f"POST /servers/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
                    )
        time.sleep(0.5)  # the gateway accepts what the kernel queued
        assert len(os.listdir(f"/proc/{pid}/fd")) < 256, "the gateway ran out of files"
        # A session's first answer starts its server: 3 s here on a quiet machine, 16 s with
        # three such tests running at once on two cores (a closed connection fails at once).
        answer = httpx.post(
            f"http://127.0.0.1:{port}/servers/echo/mcp", json=INITIALIZE, headers=auth(TOKEN_A), timeout=60
        )
        assert answer.status_code == 200 and "result" in answer.json(), answer.text


def test_past_the_limit_a_connection_is_refused_while_every_other_is_answering(tmp_path: Path) -> None:
    with _gateway(tmp_path, "max_connections = 3") as (port, _pid), ExitStack() as held:
        base = f"http://127.0.0.1:{port}/servers/echo/mcp"
        streams = []  # session streams: connections answering (no request head is waited for)
        for _ in range(3):
            session = httpx.post(base, json=INITIALIZE, headers=auth(TOKEN_A), timeout=60)
            stream = held.enter_context(_connect(port))
            stream.sendall(
                f"GET /servers/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN_A}\r\n"
                f"Mcp-Session-Id: {session.headers['mcp-session-id']}\r\n\r\n".encode()
            )
            assert stream.recv(65536).startswith(b"HTTP/1.1 200")
            streams.append(stream)
        with _connect(port) as refused:
            assert refused.recv(65536).startswith(b"HTTP/1.1 503"), "the fourth connection was not refused"
        # An idle connection is what gives way to a newcomer; the streams are untouched.
        streams.pop().close()
        time.sleep(0.3)
        with _connect(port) as idle, _connect(port) as newcomer:
            newcomer.sendall(f"GET /servers/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            assert newcomer.recv(65536).startswith(b"HTTP/1.1 401")
            assert _closed_within(idle, 2), "the idle connection was kept past the limit"
        for stream in streams:
            assert not _closed_within(stream, 0.3), "a session's stream was cut"


def test_one_clients_slow_posts_do_not_take_every_connection(tmp_path: Path) -> None:
    with _gateway(tmp_path, "max_connections = 40") as (port, _pid), ExitStack() as held:
        session = httpx.post(
            f"http://127.0.0.1:{port}/servers/echo/mcp", json=INITIALIZE, headers=auth(TOKEN_B), timeout=60
        ).headers["mcp-session-id"]
        for _ in range(40):  # posts whose body never finishes (60 s allowed each), within the rate
            connection = held.enter_context(_connect(port, "127.0.0.2"))
            connection.sendall(
                f"POST /servers/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN_B}\r\n"
                f"Mcp-Session-Id: {session}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{".encode()
            )
        time.sleep(0.5)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/servers/echo/mcp", json=INITIALIZE, headers=auth(TOKEN_A), timeout=60
        )
        assert answer.status_code == 200 and "result" in answer.json(), answer.text


def test_a_body_left_unread_after_an_answer_does_not_hold_the_connection(tmp_path: Path) -> None:
    with _gateway(tmp_path, "request_head_seconds = 2") as (port, _pid), _connect(port) as connection:
        connection.sendall(
            f"POST /servers/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 1000000000\r\n"
            "Content-Type: application/json\r\n\r\n{".encode()
        )
        assert connection.recv(65536).startswith(b"HTTP/1.1 401")
        assert _closed_within(connection, 8, drip=True), "a byte now and then held the connection"


def test_answers_never_read_do_not_hold_their_connections(tmp_path: Path) -> None:
    serve = "request_head_seconds = 1\nrequests_per_second = 100\nrequest_burst = 100"
    with _gateway(tmp_path, serve) as (port, pid), ExitStack() as held:
        base = f"http://127.0.0.1:{port}/servers/hostile/mcp"
        session = httpx.post(base, json=INITIALIZE, headers=auth(TOKEN_A), timeout=60).headers[
            "mcp-session-id"
        ]
        headers = auth(TOKEN_A) | {"Mcp-Session-Id": session}
        httpx.post(
            base, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers, timeout=10
        )
        httpx.post(
            base, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=headers, timeout=10
        )
        files = len(os.listdir(f"/proc/{pid}/fd"))
        for number in range(5):  # answers of 4 MB each, none read
            call = {"name": "huge", "arguments": {"size": 4_000_000}}
            body = orjson.dumps({"jsonrpc": "2.0", "id": 10 + number, "method": "tools/call", "params": call})
            connection = held.enter_context(socket.socket())
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            connection.connect(("127.0.0.1", port))
            connection.sendall(
                f"POST /servers/hostile/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Authorization: Bearer {TOKEN_A}\r\nMcp-Session-Id: {session}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
        deadline = time.monotonic() + 15
        while len(os.listdir(f"/proc/{pid}/fd")) > files and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(os.listdir(f"/proc/{pid}/fd")) <= files, (
            "connections whose answer was never read were held"
        )


def test_pipelined_requests_are_bounded_per_connection(tmp_path: Path) -> None:
    with _gateway(tmp_path) as (port, pid), ExitStack() as held:
        request = f"GET /servers/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        # A few pipelined requests are answered, in order.
        with _connect(port) as few:
            few.sendall(request * 3)
            answers = b""
            while answers.count(b"HTTP/1.1 401") < 3:
                chunk = few.recv(65536)
                assert chunk, f"the connection closed after {answers.count(b'HTTP/1.1 401')} answers"
                answers += chunk
        before = memory_kb(pid, "VmRSS")
        for _ in range(60):
            connection = held.enter_context(_connect(port))
            connection.setblocking(False)
            with suppress(BlockingIOError):  # what the kernel takes of it
                connection.send(request * (262144 // len(request)))  # read by none
        time.sleep(2)
        grown_mb = (memory_kb(pid, "VmRSS") - before) / 1024
        assert grown_mb < 40, f"the gateway held {grown_mb:.0f} MB of pipelined requests"


def test_header_lines_are_bounded_per_request(tmp_path: Path) -> None:
    with _gateway(tmp_path) as (port, pid), ExitStack() as held:
        head = f"GET /servers/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
        before = memory_kb(pid, "VmRSS")
        for _ in range(200):  # 60 KB of short lines each, within the bound of a head's size
            held.enter_context(_connect(port)).sendall(head + b"X: b\r\n" * 10_000)
        time.sleep(1)
        grown_mb = (memory_kb(pid, "VmRSS") - before) / 1024
        assert grown_mb < 40, f"the gateway held {grown_mb:.0f} MB of header lines"
        with _connect(port) as connection:
            connection.sendall(head + b"X: b\r\n" * 200 + b"\r\n")
            assert connection.recv(65536).startswith(b"HTTP/1.1 431")
        # A request of a hundred header lines is served.
        padding = {f"X-Trace-{number}": "t" for number in range(100)}
        url = f"http://127.0.0.1:{port}/servers/echo/mcp"
        answer = httpx.post(url, json=INITIALIZE, headers=auth(TOKEN_A) | padding, timeout=30)
        assert answer.status_code == 200 and "result" in answer.json(), answer.text


def test_endless_trailer_lines_after_a_refused_post_are_not_held(tmp_path: Path) -> None:
    with _gateway(tmp_path) as (port, pid), _connect(port) as connection:
        before = memory_kb(pid, "VmRSS")
        connection.sendall(
            f"POST /servers/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n0\r\n".encode()
        )
        sent, lines = 0, b"X: b\r\n" * 65536
        with suppress(OSError):  # the gateway closed the connection: what we want
            while sent < 32 << 20:
                connection.sendall(lines)
                sent += len(lines)
        grown_mb = (memory_kb(pid, "VmRSS") - before) / 1024
        assert sent < 32 << 20, "the gateway read 32 MB of trailer lines"
        assert grown_mb < 40, f"the gateway held {grown_mb:.0f} MB of trailer lines"


def test_a_websocket_upgrade_is_not_served(tmp_path: Path) -> None:
    with _gateway(tmp_path) as (port, _pid), _connect(port) as connection:
        connection.sendall(
            f"GET /servers/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: Upgrade\r\n"
            "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        assert connection.recv(65536).startswith(b"HTTP/1.1 401")
        assert _closed_within(connection, 8, drip=True), "the upgraded connection was held"


def test_a_keep_alive_connection_that_sends_nothing_is_closed(tmp_path: Path) -> None:
    with _gateway(tmp_path, "keep_alive_seconds = 1") as (port, _pid), _connect(port) as connection:
        connection.sendall(f"GET /servers/echo/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        assert connection.recv(65536).startswith(b"HTTP/1.1 401")
        started = time.monotonic()
        assert _closed_within(connection, 5)
        assert time.monotonic() - started < 3


def test_no_server_starts_for_a_request_without_a_token(tmp_path: Path) -> None:
    modern = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/list",
        "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}},
    }
    modern_headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"}
    with _gateway(tmp_path) as (port, pid):
        base = f"http://127.0.0.1:{port}/servers/echo"
        wrong = auth("mcpg_a-token-the-gateway-does-not-know-0123456789")
        for headers in ({}, wrong):
            assert httpx.post(f"{base}/mcp", json=INITIALIZE, headers=headers, timeout=10).status_code == 401
            answer = httpx.post(f"{base}/mcp", json=modern, headers=headers | modern_headers, timeout=10)
            assert answer.status_code == 401
            assert httpx.get(f"{base}/sse", headers=headers, timeout=10).status_code == 401
        assert children_of(pid) == [], "a request with no token started a server"
