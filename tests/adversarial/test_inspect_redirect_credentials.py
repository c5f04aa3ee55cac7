"""A remote MCP server given to ``mcpward inspect --url`` (or ``--sse-url``) with a bearer token
and a custom secret header, redirecting (301, 302, 307, 308) or pointing its SSE endpoint to
another origin (here another port, which stands for another host): the credentials must not
follow, and the secret must not show in what inspect prints."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cli_kit import mcpward

SECRET = "s3cr3t-value-for-redirect-test-0123456789"


@contextlib.contextmanager
def _servers(status: int, sse: bool) -> Iterator[tuple[str, list[str]]]:
    """The server asked, which redirects (or names an endpoint) to a thief on another port; the
    thief records every header it is sent."""
    seen: list[str] = []

    class Thief(BaseHTTPRequestHandler):
        def _any(self) -> None:
            seen.extend(f"{k}: {v}" for k, v in self.headers.items())
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _any

        def log_message(self, *args: Any) -> None:
            pass

    thief = ThreadingHTTPServer(("127.0.0.1", 0), Thief)
    elsewhere = f"http://127.0.0.1:{thief.server_address[1]}/mcp"

    class Asked(BaseHTTPRequestHandler):
        def _any(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if sse:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(f"event: endpoint\ndata: {elsewhere}?session_id=1\n\n".encode())
                self.wfile.flush()
                return
            self.send_response(status)
            self.send_header("Location", elsewhere)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _any

        def log_message(self, *args: Any) -> None:
            pass

    asked = ThreadingHTTPServer(("127.0.0.1", 0), Asked)
    for server in (thief, asked):
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{asked.server_address[1]}/mcp", seen
    finally:
        for server in (asked, thief):
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize(
    ("status", "sse"), [(301, False), (302, False), (307, False), (308, False), (0, True)]
)
def test_credentials_do_not_follow_a_redirect_to_another_origin(status: int, sse: bool) -> None:
    with _servers(status, sse) as (url, seen):
        done = mcpward(
            "inspect", "--sse-url" if sse else "--url", url, "--timeout", "5",
            "--bearer-env", "ATK_TOKEN", "--header", "X-API-Key:ATK_TOKEN",
            ATK_TOKEN=SECRET,
        )  # fmt: skip
    assert not [line for line in seen if SECRET in line]
    assert SECRET not in done.stdout + done.stderr
    assert "1 error" in done.stdout
