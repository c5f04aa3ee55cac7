"""A remote MCP server given by name, to ``mcpward inspect --url`` or as the gateway's upstream,
whose DNS answers the first connection with the server and a later one with this machine's
loopback (DNS rebinding, the server closing each connection so that the next is looked up
again): inspect, and the gateway, sent the next requests, and the credentials given for the
server, to whatever listened on loopback at that port. Now every connection after the first is
judged as a redirect from where the first one reached, at the address it reached, before a byte
is sent.

The resolver is simulated in-process (socket.getaddrinfo patched, by lookup): the server is on
this machine's own non-loopback address (private here), the listener on loopback at the same
port; nothing leaves the machine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from loopback import own_address
from mcpward.gateway._remote import RemoteUpstream
from mcpward.inspect._fetch import ServerTarget, fetch_all

SECRET = "Bearer rebound-credential-0123456789"


def _mcp_server(address: str, port: int = 0) -> ThreadingHTTPServer:
    """An MCP server over streamable HTTP that answers initialize and closes each connection
    (HTTP/1.0), so that every request is a new connection and a new lookup."""

    class Server(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            message = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            if "id" not in message:
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            result: dict[str, Any] = {"tools": []}
            if message.get("method") == "initialize":
                result = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}},
                          "serverInfo": {"name": "rebound", "version": "1"}}  # fmt: skip
            body = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self.send_response(405)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return ThreadingHTTPServer((address, port), Server)


@contextlib.contextmanager
def _running(*servers: ThreadingHTTPServer) -> Iterator[None]:
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@contextlib.contextmanager
def _rebinding(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str], list[Any]]]:
    """The MCP server on this machine's own address, a listener on loopback at the same port
    recording the Authorization header of each request, and ``mcp.test`` resolving to the
    server for its first connection, to loopback after. Yields the server's URL, what the
    listener saw, and the connections' lookups."""
    seen: list[str] = []

    class Local(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_DELETE = do_POST

        def log_message(self, *args: Any) -> None:
            pass

    # The same port on both addresses: a port the system gave on one may be another test's on
    # loopback (tests run in parallel), so another is asked for then, a bounded number of times.
    for _ in range(50):
        asked = _mcp_server(own_address())
        port = asked.server_address[1]
        try:
            local = ThreadingHTTPServer(("127.0.0.1", port), Local)
            break
        except OSError:
            asked.server_close()
    else:
        raise AssertionError("no port was free on both this machine's address and loopback")
    real, connections = socket.getaddrinfo, []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if (host.decode() if isinstance(host, bytes) else host) != "mcp.test":
            return real(host, port, *args, **kwargs)
        connections.append(port)
        address = own_address() if len(connections) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with _running(asked, local):
        yield f"http://mcp.test:{port}/mcp", seen, connections


def test_inspect_sends_a_server_name_rebound_onto_loopback_no_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _rebinding(monkeypatch) as (url, seen, connections):
        target = ServerTarget(name="rebound", transport="http", url=url, headers={"Authorization": SECRET})
        results, errors = fetch_all([target], timeout=10)
    assert len(connections) >= 2  # the server was reached, then looked up again
    assert seen == [], seen  # before: the next request, and its token, went to loopback
    assert results == [] and len(errors) == 1
    assert "onto loopback" in errors[0].message, errors[0].message


def initialize_and_list(url: str) -> list[Any]:
    """What the gateway's remote upstream at ``url`` delivers of initialize and tools/list, each
    answered (or dropped) before the next is sent."""
    delivered: list[Any] = []

    async def session() -> None:
        async def deliver(message: Any) -> None:
            delivered.append(message)

        upstream = RemoteUpstream(url, {"Authorization": SECRET}, deliver, timeout=2.0, max_message=1 << 20)
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                      "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                 "clientInfo": {"name": "client", "version": "1"}}}  # fmt: skip
        for message in (initialize, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}):
            upstream.send(json.dumps(message).encode())
            for _ in range(100):
                await asyncio.sleep(0.02)
                if not upstream._tasks:
                    break
        await upstream.close()

    asyncio.run(session())
    return delivered


def test_the_gateway_sends_an_upstream_name_rebound_onto_loopback_no_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _rebinding(monkeypatch) as (url, seen, connections):
        delivered = initialize_and_list(url)
    assert len(connections) >= 2 and len(delivered) == 1  # the server answered initialize
    assert seen == [], seen  # before: tools/list, and the upstream's token, went to loopback
