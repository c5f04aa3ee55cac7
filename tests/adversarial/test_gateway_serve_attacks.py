"""Attacks on ``mcpward gateway serve`` (streamable HTTP and legacy SSE) from clients holding a
valid token: session hijack, resource exhaustion, oversized bodies."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from gateway_attack_kit import (
    INITIALIZE,
    SERVERS,
    TOKEN_A,
    TOKEN_B,
    auth,
    children_of,
    echo_app,
    post,
)

from loopback import clients_toml, serving


def _call(number: int, text: str) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": number,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": text}},
    }


def test_a_session_answers_only_the_client_that_opened_it(tmp_path: Path) -> None:
    """CVE-2025-6515 class: Mallory holds a valid token of her own and Alice's Mcp-Session-Id
    (leaked in a log, a proxy, a shared screen). She must not call tools in Alice's session,
    read its stream, end it, or post to it over the legacy SSE transport; to her the session
    does not exist, and nothing is recorded under Alice's name."""
    with serving(lambda port: echo_app(tmp_path, port)) as base:
        first = post(base, "echo", INITIALIZE, TOKEN_A)
        session = first.headers["mcp-session-id"]
        assert (
            post(
                base, "echo", {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, TOKEN_A, session
            ).status_code
            == 200
        )
        assert (
            post(base, "echo", _call(3, "alice's text"), TOKEN_A, session).json()["result"]["content"][0][
                "text"
            ]
            == "alice's text"
        )

        hijack = post(base, "echo", _call(4, "mallory's text"), TOKEN_B, session)
        assert hijack.status_code == 404 and "result" not in hijack.text
        url = f"{base}/servers/echo/mcp"
        with httpx.stream(
            "GET", url, headers=auth(TOKEN_B) | {"Mcp-Session-Id": session}, timeout=10
        ) as stream:
            assert stream.status_code == 404
        deleted = httpx.delete(url, headers=auth(TOKEN_B) | {"Mcp-Session-Id": session}, timeout=10)
        assert deleted.status_code == 404
        # Alice's session is whole: her next call still works.
        assert (
            post(base, "echo", _call(5, "still mine"), TOKEN_A, session).json()["result"]["content"][0][
                "text"
            ]
            == "still mine"
        )

        # The legacy SSE transport: Alice's stream announces her session id; Mallory posts to it.
        with httpx.stream("GET", f"{base}/servers/echo/sse", headers=auth(TOKEN_A), timeout=10) as stream:
            lines = stream.iter_lines()
            endpoint = next(line for line in lines if line.startswith("data: "))[6:]
            posted = httpx.post(
                f"{base}{endpoint}", json=_call(6, "via sse"), headers=auth(TOKEN_B), timeout=10
            )
            assert posted.status_code == 404
            ok = httpx.post(f"{base}{endpoint}", json=INITIALIZE, headers=auth(TOKEN_A), timeout=10)
            assert ok.status_code == 202

    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert not any(r.get("id") in (4, 6) for r in records), "the hijacker's calls were relayed"
    assert {r["client"] for r in records} == {"alice"}
    received = (tmp_path / "received.txt").read_text().split()
    assert received == ["3", "5"]


def _chunked_post(base: str, path: str, token: str, total_mb: int) -> tuple[bytes, int]:
    """A chunked POST of ``total_mb`` MB (no Content-Length to refuse on), sent until the
    gateway stops reading; its status line and how many MB went out."""
    host, port = base.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        chunk = b"%x\r\n" % (1 << 20) + b"x" * (1 << 20) + b"\r\n"
        try:
            for _ in range(total_mb):
                connection.sendall(chunk)
                sent += 1
            connection.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway answered and closed: what we want
        try:
            answer = connection.recv(4096)
        except ConnectionResetError:
            answer = b""
    return answer.split(b"\r\n", 1)[0], sent


def test_a_chunked_body_is_refused_while_it_arrives_not_after(tmp_path: Path) -> None:
    """300 MB posted in chunks with no declared length: the gateway must refuse it once
    ``max_message`` is passed, holding no more than a little of it (it buffered all of it,
    668 MB, before its 413)."""
    from gateway_attack_kit import memory_kb, serve_process

    config = f"""max_message = 65536
{clients_toml({"alice": TOKEN_A})}[servers.echo]
command = ["{sys.executable}", "{SERVERS / "counting_server.py"}", "{tmp_path / "r.txt"}", "{tmp_path / "pid"}"]
"""
    with serve_process(tmp_path, config) as (base, process, _log):
        assert post(base, "echo", INITIALIZE, TOKEN_A).status_code == 200  # warmed up: imports done
        before = memory_kb(process.pid)
        status, sent = _chunked_post(base, "/servers/echo/mcp", TOKEN_A, 300)
        grown_mb = (memory_kb(process.pid) - before) / 1024
        assert grown_mb < 40, f"the gateway grew by {grown_mb:.0f} MB while {sent} MB arrived"
        assert status in (b"HTTP/1.1 413 Request Entity Too Large", b"HTTP/1.1 413 Content Too Large"), status
        assert post(base, "echo", INITIALIZE, TOKEN_A).status_code == 200  # and it carries on


def _servers_running() -> list[int]:
    """Server processes this test process's gateway started (counting_server.py children)."""
    found = []
    for pid in children_of(os.getpid()):
        try:
            if b"counting_server.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def test_one_token_cannot_start_a_server_per_request(tmp_path: Path) -> None:
    """With the default limits, one client asking for 30 sessions in a row gets 8 (each is a
    server process) and 429 for the rest; another client still gets its own; ending a session
    frees its place. (One token opened 70 server processes in 4 s.)"""
    with serving(lambda port: echo_app(tmp_path, port)) as base:
        statuses = [post(base, "echo", INITIALIZE, TOKEN_B) for _ in range(30)]
        opened = [r.headers["mcp-session-id"] for r in statuses if r.status_code == 200]
        assert len(_servers_running()) == len(opened) == 8
        assert {r.status_code for r in statuses[8:]} == {429}
        assert post(base, "echo", INITIALIZE, TOKEN_A).status_code == 200  # not starved
        ended = httpx.delete(
            f"{base}/servers/echo/mcp", headers=auth(TOKEN_B) | {"Mcp-Session-Id": opened[0]}
        )
        assert ended.status_code == 204
        assert post(base, "echo", INITIALIZE, TOKEN_B).status_code == 200
    from mcpward.gateway import ServeConfig

    assert ServeConfig().max_sessions_per_client == 8  # the documented default is the one tested


def test_requests_and_new_sessions_are_rate_limited_per_client(tmp_path: Path) -> None:
    """On the app's clock (frozen, then moved by the test): a burst, then one request per
    1/rate seconds; a churn of sessions opened and ended is stopped at the per-minute limit."""
    from loopback import Clock
    from mcpward.gateway._http import ClientLimits

    clock = Clock()
    limits = ClientLimits(requests_per_second=5, request_burst=10, new_sessions_per_minute=3)
    with serving(lambda port: echo_app(tmp_path, port, clock=clock, limits=limits)) as base:
        session = post(base, "echo", INITIALIZE, TOKEN_A).headers["mcp-session-id"]
        ping = {"jsonrpc": "2.0", "id": 9, "method": "ping"}
        codes = [post(base, "echo", ping, TOKEN_A, session).status_code for _ in range(12)]
        assert codes == [200] * 9 + [429] * 3  # the initialize took one of the ten
        refused = post(base, "echo", ping, TOKEN_A, session)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert post(base, "echo", ping, TOKEN_B).status_code == 200  # another client's own bucket
        clock.now += 1.0
        assert [post(base, "echo", ping, TOKEN_A, session).status_code for _ in range(6)] == [200] * 5 + [429]

        clock.now += 60.0  # a full bucket again; Mallory churns sessions
        churn = []
        for _ in range(5):
            answer = post(base, "echo", INITIALIZE, TOKEN_B)
            churn.append(answer.status_code)
            if answer.status_code == 200:
                httpx.delete(
                    f"{base}/servers/echo/mcp",
                    headers=auth(TOKEN_B) | {"Mcp-Session-Id": answer.headers["mcp-session-id"]},
                )
        assert churn == [200, 200, 200, 429, 429]
        clock.now += 61.0
        assert post(base, "echo", INITIALIZE, TOKEN_B).status_code == 200


def test_what_a_server_sends_unasked_is_bounded_when_the_client_never_reads_it(tmp_path: Path) -> None:
    """A client that never opens the GET stream, and a server that sends 400 MB of
    notifications (1 MB each): what waits for the stream must stay bounded (it was 1,000
    messages of any size), and the client's own call is still answered."""
    from gateway_attack_kit import HOSTILE_SERVER, SECRET, memory_kb, serve_process

    script = tmp_path / "hostile.py"
    script.write_text(HOSTILE_SERVER, encoding="utf-8")
    config = f"""{clients_toml({"alice": TOKEN_A})}[pins]
store = "{tmp_path / "pins.json"}"
[dlp]
scan_results = false
[servers.hostile]
command = ["{sys.executable}", "{script}", "{SECRET}"]
"""
    with serve_process(tmp_path, config) as (base, process, _log):
        session = post(base, "hostile", INITIALIZE, TOKEN_A).headers["mcp-session-id"]
        assert (
            post(
                base, "hostile", {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, TOKEN_A, session
            ).status_code
            == 200
        )
        before = memory_kb(process.pid)
        flood = {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "flood", "arguments": {"n": 400, "size": 1 << 20}},
        }
        answer = post(base, "hostile", flood, TOKEN_A, session, timeout=120)
        assert answer.json()["result"]["content"][0]["text"] == "flooded"
        grown_mb = (memory_kb(process.pid) - before) / 1024
        assert grown_mb < 64, f"the gateway held {grown_mb:.0f} MB for a stream nobody reads"


def _hostile_remote(port: int) -> Any:
    """A remote MCP server (streamable HTTP, JSON answers) whose tools/call answer is 300 MB,
    streamed: the gateway must stop reading it at max_message."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    async def mcp(request: Request) -> Response:
        message = json.loads(await request.body())
        if "id" not in message:
            return Response(status_code=202)
        if message["method"] != "tools/call":
            result = {"tools": [{"name": "huge", "description": "huge", "inputSchema": {"type": "object"}}]}
            return JSONResponse({"jsonrpc": "2.0", "id": message["id"], "result": result})

        async def body() -> Any:
            yield b'{"jsonrpc":"2.0","id":%d,"result":{"content":[{"type":"text","text":"' % message["id"]
            for _ in range(300):
                yield b"h" * (1 << 20)
            yield b'"}]}}'

        return StreamingResponse(body(), media_type="application/json")

    return Starlette(routes=[Route("/mcp", mcp, methods=["POST"])])


def test_a_remote_upstreams_huge_answer_is_cut_at_the_limit(tmp_path: Path) -> None:
    """A remote upstream answering with 300 MB: the gateway read it whole before judging its
    size; it must stop at max_message, answer the client's call with a clear error, and
    hold no more than a little of it."""
    from gateway_attack_kit import memory_kb, serve_process

    with serving(_hostile_remote) as remote:
        config = f"""{clients_toml({"alice": TOKEN_A})}[pins]
store = "{tmp_path / "pins.json"}"
[servers.remote]
url = "{remote}/mcp"
"""
        with serve_process(tmp_path, config) as (base, process, _log):
            session = post(base, "remote", INITIALIZE, TOKEN_A).headers["mcp-session-id"]
            post(base, "remote", {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, TOKEN_A, session)
            before = memory_kb(process.pid)
            call = {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "huge", "arguments": {}},
            }
            started = time.monotonic()
            answer = post(base, "remote", call, TOKEN_A, session, timeout=120).json()
            grown_mb = (memory_kb(process.pid) - before) / 1024
            assert answer["error"]["code"] == -32004 and "larger than" in answer["error"]["message"], answer
            assert time.monotonic() - started < 30
            assert grown_mb < 48, f"the gateway held {grown_mb:.0f} MB of the answer"
