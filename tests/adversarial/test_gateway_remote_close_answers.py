"""A hostile remote upstream of the gateway answering the DELETE that ends its session (sent
when a client's session or the gateway closes) with an endless body, or one byte at a time: the
answer was read whole into the gateway's memory, and a drip held the close for ever (the
timeout bounds each read, not the answer)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from loopback import handler_serving
from mcpward.gateway._remote import RemoteUpstream

_CHUNK = b"x" * (1 << 20)


@contextlib.contextmanager
def _upstream(drip: bool) -> Iterator[tuple[str, list[int]]]:
    sent = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_DELETE(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()  # no length: read until the connection closes
            with contextlib.suppress(OSError):
                for _ in range(100 if drip else 256):  # bounded: 10 s, or 256 MiB
                    if drip:
                        time.sleep(0.1)
                    self.wfile.write(b" " if drip else _CHUNK)
                    self.wfile.flush()
                    sent[0] += 1 if drip else len(_CHUNK)
            self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield f"{base}/mcp", sent


async def _close(url: str) -> None:
    async def deliver(message: Any) -> None:
        pass

    upstream = RemoteUpstream(url, {}, deliver, timeout=1.0, max_message=1 << 20)
    upstream.session_id = "session-1"
    await upstream.close()


@pytest.mark.parametrize("drip", [False, True])
def test_the_answer_to_the_closing_delete_is_bounded(drip: bool) -> None:
    started = time.monotonic()
    with _upstream(drip) as (url, sent):
        asyncio.run(_close(url))
    assert time.monotonic() - started < 6
    assert sent[0] < 64 << 20
