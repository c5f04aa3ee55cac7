"""A hostile remote MCP server answering ``mcpward inspect --url``: one endless JSON answer
(one 1 GB line) was read whole into memory by the SDK's client before anything looked at it,
and a gzip answer inflated (a few MB on the wire, gigabytes in memory)."""

from __future__ import annotations

import contextlib
import gzip
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from cli_kit import mcpward

from loopback import handler_serving, opened_sse_stream

_CHUNK = b" " * (1 << 20)
_ENDLESS_MIB = 512  # bounded: far past any answer the client should hold
# 1 MiB of spaces gzips to about 1 KiB: 64 MiB of bomb inflates to about 64 GiB.
_BOMB_CHUNK = gzip.compress(_CHUNK * 64, compresslevel=9)


@contextlib.contextmanager
def _server(kind: str) -> Iterator[tuple[str, list[int]]]:
    sent = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if kind == "gzip":
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()  # no length: read until the connection closes
            with contextlib.suppress(OSError):
                if kind == "gzip":
                    self.wfile.write(_BOMB_CHUNK)
                    sent[0] += len(_BOMB_CHUNK)
                else:
                    self.wfile.write(b'{"jsonrpc": "2.0", "id": 0, "result": {"x": "')
                    for _ in range(_ENDLESS_MIB):
                        self.wfile.write(_CHUNK)
                        sent[0] += len(_CHUNK)
            self.close_connection = True

        def do_GET(self) -> None:
            if opened_sse_stream(self, kind):
                time.sleep(5)  # the stream held open while the answer is refused

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield f"{base}/mcp", sent


@pytest.mark.parametrize("kind", ["endless", "sse"])
def test_an_endless_json_answer_is_not_read_whole(kind: str) -> None:
    with _server(kind) as (url, sent):
        done = mcpward("inspect", "--sse-url" if kind == "sse" else "--url", url, "--timeout", "10")
    assert sent[0] < 64 << 20
    assert "too large" in done.stdout + done.stderr


@pytest.mark.parametrize("kind", ["gzip"])
def test_a_compressed_answer_is_refused(kind: str) -> None:
    with _server(kind) as (url, _):
        done = mcpward("inspect", "--url", url, "--timeout", "10")
    assert "compressed" in done.stdout + done.stderr
