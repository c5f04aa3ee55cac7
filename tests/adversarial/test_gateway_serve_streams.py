"""Attacks on the GET streams of ``mcpward gateway serve`` sessions (streamable HTTP) from a
client holding a valid token: holding the gateway's connections (file descriptors) through
streams no session limit counted.

Before 2026-12-05 a session took any number of GET streams at once (the limits count sessions,
and the request rate only slows their opening), and a stream outlived its session: after a
DELETE, or its server's exit, it sent keep-alives forever. So one token, within its limits,
opened a session, a stream, ended the session and opened the next, each stream an open
connection and file descriptor of the gateway for as long as the client kept it, until the
gateway could accept no one's connection nor start a server. Now a session has one stream
at a time (a second is a 409, as the official SDKs' servers answer) and its stream ends with
the session."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import httpx
from gateway_attack_kit import INITIALIZE, TOKEN_A, auth, echo_app, post

from loopback import serving


def test_a_session_has_one_stream_at_a_time(tmp_path: Path) -> None:
    """Twenty GET streams on one session: every one was a 200 and an open connection."""
    with serving(lambda port: echo_app(tmp_path, port)) as base:
        session = post(base, "echo", INITIALIZE, TOKEN_A).headers["mcp-session-id"]
        headers = auth(TOKEN_A) | {"Mcp-Session-Id": session}
        with contextlib.ExitStack() as streams:
            statuses = [
                streams.enter_context(
                    httpx.stream("GET", f"{base}/servers/echo/mcp", headers=headers, timeout=10)
                ).status_code
                for _ in range(20)
            ]
        assert statuses[0] == 200
        assert statuses[1:] == [409] * 19, f"one session held {statuses.count(200)} streams"
        # Its stream closed, the session takes a new one (a client that reconnects).
        deadline = time.monotonic() + 10
        while True:
            with httpx.stream("GET", f"{base}/servers/echo/mcp", headers=headers, timeout=10) as again:
                if again.status_code == 200 or time.monotonic() > deadline:
                    break
            time.sleep(0.1)
        assert again.status_code == 200


def test_a_stream_ends_with_its_session(tmp_path: Path) -> None:
    """A stream kept open after its session's DELETE: it sent keep-alives forever, a
    connection no limit counted (the client's next session was free to open)."""
    with serving(lambda port: echo_app(tmp_path, port)) as base:
        session = post(base, "echo", INITIALIZE, TOKEN_A).headers["mcp-session-id"]
        headers = auth(TOKEN_A) | {"Mcp-Session-Id": session}
        url = f"{base}/servers/echo/mcp"
        timeout = httpx.Timeout(10, read=10)
        with httpx.stream("GET", url, headers=headers, timeout=timeout) as stream:
            assert stream.status_code == 200
            assert httpx.delete(url, headers=headers, timeout=10).status_code == 204
            ended = time.monotonic()
            try:
                for _chunk in stream.iter_raw():
                    pass
            except httpx.ReadTimeout:
                raise AssertionError("the stream outlived its session") from None
            assert time.monotonic() - ended < 9
