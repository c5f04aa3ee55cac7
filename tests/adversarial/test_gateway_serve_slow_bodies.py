"""Posts whose body never finishes, against ``mcpward gateway serve``, from a client holding a
valid token.

The request rate bounds how often a client posts, not how long a post may take: before
2026-12-05 a body was read for as long as its client took, so a token that posted 20 bodies
a second, each a byte short, held every one of those connections (and file descriptors) open
for good, past any session limit. Now a body must arrive within a deadline (60 s; shortened
here), else the post is refused with 408 and its connection closed."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from gateway_attack_kit import TOKEN_A, echo_app

from loopback import serving


def test_a_body_that_never_finishes_is_refused_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcpward.gateway import _http

    monkeypatch.setattr(_http, "_BODY_SECONDS", 2.0, raising=False)
    with serving(lambda port: echo_app(tmp_path, port)) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as connection:
            connection.sendall(
                f"POST /servers/echo/mcp HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {TOKEN_A}\r\nContent-Type: application/json\r\n"
                'Content-Length: 1000\r\n\r\n{"jsonrpc": '.encode()
            )
            connection.settimeout(15)
            started = time.monotonic()
            try:
                answer = connection.recv(4096)
            except TimeoutError:
                raise AssertionError("the post was waited for past its deadline") from None
            assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
            assert time.monotonic() - started < 10
            while answer:  # and its connection is closed, not kept for the rest of the body
                answer = connection.recv(4096)
