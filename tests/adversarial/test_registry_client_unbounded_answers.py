"""A hostile (or impersonated) registry answering the client (``scan --registry``, ``enforce``,
``scan --report-to`` and the fleet agent) with answers that never end: a refusal whose page is
endless was read whole into memory (only the entries page had a cap), as was the answer to a
report; and an answer that drips one byte at a time held the client for ever, since the timeout
bounds each read, not the answer."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from loopback import handler_serving
from mcpward.registry._remote import fetch_entries, inventory, report_inventory
from mcpward.registry.interface import RegistryError

_CHUNK = b"x" * (1 << 20)
_ENDLESS_MIB = 256  # bounded: far past anything the client should read


@contextlib.contextmanager
def _registry(status: int, *, drip: bool = False) -> Iterator[tuple[str, list[int]]]:
    """A registry on loopback answering every request with ``status`` and a body that goes on
    (256 MiB, or one byte every 0.1 s for 10 s); ``sent`` counts the bytes that left."""
    sent = [0]

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()  # no length: read until the connection closes
            with contextlib.suppress(OSError):
                if drip:
                    self.wfile.write(b'{"entries": [')
                    self.wfile.flush()
                    for _ in range(100):
                        time.sleep(0.1)
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        sent[0] += 1
                else:
                    for _ in range(_ENDLESS_MIB):
                        self.wfile.write(_CHUNK)
                        sent[0] += len(_CHUNK)
            self.close_connection = True

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield f"{base}", sent


def test_an_endless_refusal_is_not_read_whole() -> None:
    with _registry(500) as (url, sent), pytest.raises(RegistryError, match="answered 500"):
        fetch_entries(url, timeout=5)
    assert sent[0] < 64 << 20


@pytest.mark.parametrize("status", [201, 400, 503])
def test_an_endless_answer_to_a_report_is_not_read_whole(status: int) -> None:
    with _registry(status) as (url, sent), contextlib.suppress(RegistryError):
        report_inventory(url, inventory([]), timeout=5)
    assert sent[0] < 64 << 20


def test_an_answer_that_drips_ends_in_bounded_time() -> None:
    started = time.monotonic()
    with _registry(200, drip=True) as (url, _), pytest.raises(RegistryError, match="too long"):
        fetch_entries(url, timeout=0.5)
    assert time.monotonic() - started < 6


def test_a_report_whose_answer_drips_ends_in_bounded_time() -> None:
    started = time.monotonic()
    with _registry(201, drip=True) as (url, _), pytest.raises(RegistryError, match="too long"):
        report_inventory(url, inventory([]), timeout=0.5)
    assert time.monotonic() - started < 6
