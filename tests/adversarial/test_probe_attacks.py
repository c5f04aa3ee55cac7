"""The port probe against hostile listeners on loopback: one that trickles an answer forever,
one that answers with an endless body, one that answers initialize with a forged result behind
a redirect. The probe stays bounded and reads nothing it should not."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mcpward.scan import ScanOptions, TargetOS, run_scan

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _listener(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _trickle(connection: socket.socket) -> None:
    try:
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n")
        for _ in range(200):  # bounded: 20 s at most, far beyond the probe's limit
            connection.sendall(b": keep-alive\n")
            time.sleep(0.1)
    except OSError:
        pass
    finally:
        connection.close()


def _endless(connection: socket.socket) -> None:
    try:
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n")
        chunk = b'{"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "' + b"x" * 65536
        for _ in range(200):  # 13 MB at most
            connection.sendall(chunk)
    except OSError:
        pass
    finally:
        connection.close()


@pytest.fixture
def trickling() -> Iterator[int]:
    yield from _listener(_trickle)


@pytest.fixture
def endless() -> Iterator[int]:
    yield from _listener(_endless)


def test_hostile_listeners_are_bounded_and_not_servers(
    trickling: int, endless: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mcpward.scan._probe as probe

    monkeypatch.setattr(probe, "READ_SECONDS", 0.25)
    started = time.monotonic()
    report = run_scan(
        ScanOptions(
            home=Path("/nonexistent-home"),
            target_os=TargetOS.LINUX,
            probe_ports=True,
            ports=frozenset({trickling, endless}),
            include_user_configs=False,
            workers=1,
        )
    )
    assert time.monotonic() - started < 6
    assert report.servers == ()
