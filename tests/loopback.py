"""Serving on loopback in tests: a free port, waiting for a process to listen, an ASGI app in a
uvicorn thread, a raw TCP service in a thread (:class:`Accepting`), and a clock a test moves by hand (for idle timeouts and rate limits, instead
of sleeping)."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class Accepting:
    """A TCP service on a loopback port, in a thread: each connection it accepts is handed to
    :meth:`handle` (with ``connection_timeout`` set), one at a time; :meth:`close` stops it."""

    connection_timeout = 5.0

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = int(self.listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def handle(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(self.connection_timeout)
                self.handle(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.listener.close()


def end_by_closing_input(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Close a child's standard input (a gateway or server ends when its client goes) and wait
    for it, killing it if it has not ended within ``timeout``."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test starts (which binds it a
    moment later), or for an address where nothing answers. Taken from a band of this worker's
    own, below the ports the kernel hands out by itself (bind to port 0, a connection's own
    end): a port from a bind to 0, closed and handed on, was free to any other worker in that
    moment, and two servers of two tests got one port. The test whose server lost the race
    spoke to the other's (its first request closed unanswered; its gateway "ended", the bind
    refused). Each worker walks its band from a place of its own (another run at the same
    time walks elsewhere); a port in use is passed over."""
    for _ in range(_BAND_SIZE):
        port = _BAND_START + next(_band_steps) % _BAND_SIZE
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as probe:  # the whole band in use: the kernel's choice, as before
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bands() -> tuple[int, int]:
    """This worker's band of ports (its first port, and how many) below the kernel's own."""
    try:
        lowest = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        lowest = 32768
    first, workers = 10_000, 16
    size = max(1, (lowest - first) // workers)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    slot = int(worker) % workers if worker.isdigit() else 0
    return first + slot * size, size


_BAND_START, _BAND_SIZE = _bands()
# A place of this process's own to start from: runs at the same time walk different ports.
_band_steps = itertools.count(int.from_bytes(os.urandom(4), "big") % _BAND_SIZE)


def wait_for(port: int, process: subprocess.Popen[bytes], *, timeout: float = 30) -> None:
    """Until something listens on ``port``; RuntimeError if ``process`` ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("a server did not start") from None
            time.sleep(0.1)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@contextlib.contextmanager
def serving(app_for_port: Callable[[int], Any]) -> Iterator[str]:
    """The app made for a free port, served by uvicorn in a thread; yields its base URL. A
    ``gateway serve`` app must run in one event loop for its life, as here: starlette's
    TestClient used without ``with`` runs each request in a loop of its own, and the upstream
    sessions the first request opened (their pipes, pumps and locks, of a closed loop) fail or
    hang the next. Ask it from a thread joined with a timeout (see
    tests/adversarial/test_gateway_modern_tool_relisting.py) where a hang is what is tested."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        # A client kept idle past uvicorn's 5 s keep-alive (a test's long flood on another
        # connection, on a loaded machine) raced the server's close and was reset.
        uvicorn.Config(
            app_for_port(port), host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=120
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def serve_gateway(config: Path, log: Path, port: int) -> subprocess.Popen[bytes]:
    """``mcpward gateway serve`` with ``config`` and ``log``, once it listens on ``port``."""
    command = [sys.executable, "-m", "mcpward", "gateway", "serve", "--config", str(config)]
    process = subprocess.Popen([*command, "--audit-log", str(log)], stderr=subprocess.DEVNULL)
    wait_for(port, process)
    return process


@contextlib.contextmanager
def gateway_serving(config: Path, log: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """:func:`serve_gateway`, ended (and waited for) when the block ends."""
    process = serve_gateway(config, log, port)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def clients_toml(tokens: dict[str, str]) -> str:
    """``[[serve.clients]]`` tables for client name -> token (the config holds only hashes)."""
    return "".join(
        f'[[serve.clients]]\nname = "{name}"\nsha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n'
        for name, token in tokens.items()
    )


@contextlib.contextmanager
def gateway_serving_one(
    folder: Path, token: str, server: str, command: Sequence[str], *, head: str = "", tail: str = ""
) -> Iterator[tuple[str, Path]]:
    """:func:`gateway_serving` of the stdio server ``command`` as ``server`` to one client,
    ``laptop`` with ``token``: its config, pins and audit log in ``folder``; ``head`` and
    ``tail``: more of its config (TOML), before the ``[serve]`` table and after the server's.
    The server's MCP URL and the audit log."""
    port = free_port()
    config = folder / "gateway.toml"
    words = ", ".join(f'"{word}"' for word in command)
    config.write_text(
        f"{head}[serve]\nport = {port}\n{clients_toml({'laptop': token})}"
        f'[pins]\nstore = "{folder / "pins.json"}"\n[servers.{server}]\ncommand = [{words}]\n{tail}',
        encoding="utf-8",
    )
    log = folder / "audit.jsonl"
    with gateway_serving(config, log, port):
        yield f"http://127.0.0.1:{port}/servers/{server}/mcp", log


@contextlib.contextmanager
def handler_serving(handler: type[BaseHTTPRequestHandler], address: str = "127.0.0.1") -> Iterator[str]:
    """An HTTP server on ``address`` (loopback unless told) answering with ``handler``, in a
    thread: its base URL; stopped after."""
    server = ThreadingHTTPServer((address, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{address}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def opened_sse_stream(handler: BaseHTTPRequestHandler, kind: str) -> bool:
    """A GET answered as a server of ``kind`` answers it: 405 unless "sse" (the old transport);
    for "sse", the event stream opened with its endpoint event. Whether it was opened (the caller
    then keeps it open its own way)."""
    if kind != "sse":
        handler.send_response(405)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return False
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.end_headers()
    try:
        handler.wfile.write(b"event: endpoint\ndata: /messages?session_id=1\n\n")
        handler.wfile.flush()
    except OSError:
        return False
    return True


def answering(
    body: bytes, hits: list[str], *, location: str | None = None, content_type: str | None = None
) -> type[BaseHTTPRequestHandler]:
    """A handler that records the path of each GET in ``hits`` and answers ``body``, or
    redirects to ``location`` (302) when one is given."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            if location is not None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            if content_type is not None:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def own_address() -> str:
    """This machine's address toward the network, for a server "off loopback" that no packet
    leaves the machine to reach (a UDP socket's connect sends nothing)."""
    import pytest

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            pytest.skip("this machine has no route off loopback")
        address = str(probe.getsockname()[0])
    if address.startswith("127."):
        pytest.skip("this machine has no address off loopback")
    return address


@contextlib.contextmanager
def anothers_listener(uid: int) -> Iterator[tuple[str, list[bytes]]]:
    """A listener on a loopback port, of the account ``uid`` (the test runs as root), answering
    one connection: its URL, and (once the block ends) what it was sent."""
    port_out, port_in = os.pipe()
    sent_out, sent_in = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(port_out)
            os.close(sent_out)
            os.setgid(uid)
            os.setuid(uid)
            with socket.socket() as listener:
                listener.bind(("127.0.0.1", 0))
                listener.listen(4)
                listener.settimeout(20)
                os.write(port_in, str(listener.getsockname()[1]).encode())
                connection, _ = listener.accept()
                connection.settimeout(5)
                os.write(sent_in, connection.recv(1 << 16))
                connection.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
                connection.close()
        finally:
            os._exit(0)
    os.close(port_in)
    os.close(sent_in)
    port = int(os.read(port_out, 16))
    os.close(port_out)
    sent: list[bytes] = []
    try:
        yield f"http://127.0.0.1:{port}", sent
    finally:
        with contextlib.suppress(OSError):  # a listener still waiting: let it end
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        os.waitpid(child, 0)
        with os.fdopen(sent_out, "rb") as received:
            sent.append(received.read())
