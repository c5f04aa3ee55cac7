"""A hostile or impersonated registry that answers the fleet agent's report with its status
line and then drips its headers a byte at a time, each byte within the read timeout. The
client's deadline for a whole answer began once the headers were in, and the timeout bounds
each read only, so the agent waited for as long as the server kept dripping: up to the HTTP
library's 16 KiB of headers, at 29 seconds a byte, five days. Its systemd unit (a oneshot, no
time limit) stayed "activating" that long, so the timer never started it again and the
machine stopped reporting; ``enforce --registry`` and ``scan --registry`` hung the same way
on a page of entries. The whole exchange, headers included, now ends within its deadline."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from mcpward.registry._remote import fetch_entries, inventory, report_inventory
from mcpward.registry.interface import RegistryError, RegistryUnavailable

#: How long the dripping server goes on at most (the test's own bound).
DRIP_SECONDS = 30.0


@contextlib.contextmanager
def _dripping_headers() -> Iterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(DRIP_SECONDS)
    done = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection:
                connection.recv(1 << 16)
                connection.sendall(b"HTTP/1.1 201 Created\r\nX-Drip: ")
                end = time.monotonic() + DRIP_SECONDS
                while time.monotonic() < end and not done.is_set():
                    connection.sendall(b"a")
                    time.sleep(0.1)

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        listener.close()
        worker.join(DRIP_SECONDS)


def test_a_report_whose_headers_drip_ends_in_bounded_time() -> None:
    started = time.monotonic()
    with _dripping_headers() as url, pytest.raises(RegistryUnavailable):
        report_inventory(url, inventory([], "/home/alice"), timeout=0.5, token="mcpw_" + "d" * 40)
    assert time.monotonic() - started < 10


def test_a_page_whose_headers_drip_ends_in_bounded_time() -> None:
    started = time.monotonic()
    with _dripping_headers() as url, pytest.raises(RegistryError):
        fetch_entries(url, timeout=0.5)
    assert time.monotonic() - started < 10
