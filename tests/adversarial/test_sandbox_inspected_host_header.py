"""Inside an inspected ``CONNECT`` tunnel, the proxy checked the tunnel's host against the
allow list and judged each request as a request to it, but sent the request's own ``Host``
header on unread: ``CONNECT api.mail.test:443`` followed by ``Host: other.test`` (or
``api.mail.test:8443``) reached whatever the upstream address serves under that other name. A CDN or shared front end (one address for many sites) routes by that
header, so a server allowed one of its sites reached any other (domain fronting), and the
undeclared-destination check never saw the name. The plain-HTTP path refused this already.

Before: the upstream received the request with ``Host: other.test`` (status 200). Now: a
request whose Host header or absolute target names another site than the tunnel is refused
(400), recorded, and never sent (an absolute target for another site went, rewritten to origin
form, to the tunnel's host: refused now as the plain-HTTP path refuses it)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest

from mcpward.sandbox._authority import CertificateAuthority
from mcpward.sandbox._calls import CallTracker
from mcpward.sandbox._interception import Interception
from mcpward.sandbox._outbound import OutboundInspector
from mcpward.sandbox._proxy import EgressProxy
from mcpward.sandbox.interface import InspectionRules, NetworkRules


class _Api(BaseHTTPRequestHandler):
    """The API at the allowed address: records the Host header of each request it is sent."""

    received: list[str]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append(self.headers.get("Host", ""))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def https_server(authority: CertificateAuthority, host: str) -> Iterator[tuple[int, list[str]]]:
    received: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Api", (_Api,), {"received": received}))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(authority.write_leaf(host, authority.folder / f"{host}.pem"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()


def _call(tracker: CallTracker, arguments: dict[str, Any]) -> None:
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
               "params": {"name": "send_email", "arguments": arguments}}  # fmt: skip
    tracker.from_client(orjson.dumps(message))


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[dict[str, Any]]:
    public = CertificateAuthority(tmp_path / "public-ca")
    inspection_ca = CertificateAuthority(tmp_path / "inspection-ca")
    records: list[dict[str, Any]] = []
    tracker = CallTracker()
    with https_server(public, "api.mail.test") as (port, received):
        upstream = ssl.create_default_context(cadata=public.pem.decode())
        upstream.set_alpn_protocols(["http/1.1"])
        rules = InspectionRules(tls=True)
        interception = Interception(
            inspection_ca, OutboundInspector("mail", rules), tracker, upstream, records.append
        )
        proxy = EgressProxy(
            tmp_path / "unused.sock",
            NetworkRules(allow=("api.mail.test",)),
            records.append,
            resolve={"api.mail.test:443": ("127.0.0.1", port)},
            tcp=True,
            inspection=interception,
        )
        proxy.start()
        _call(tracker, {"to": "alice@example.org"})
        try:
            yield {"proxy": proxy.port, "received": received, "records": records,
                   "client": ssl.create_default_context(cadata=inspection_ca.pem.decode())}  # fmt: skip
        finally:
            proxy.stop()


def _exchange(setup: dict[str, Any], request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", setup["proxy"]), timeout=10) as raw:
        raw.sendall(b"CONNECT api.mail.test:443 HTTP/1.1\r\nHost: api.mail.test:443\r\n\r\n")
        assert raw.recv(4096).startswith(b"HTTP/1.1 200")
        with setup["client"].wrap_socket(raw, server_hostname="api.mail.test") as tls:
            tls.sendall(request)
            answer = b""
            deadline = time.monotonic() + 10
            while b"\r\n\r\n" not in answer and time.monotonic() < deadline:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return answer


_BODY = b'{"To":"alice@example.org"}'


def _post(target: bytes, host: bytes) -> bytes:
    return (
        b"POST " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(_BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + _BODY
    )


@pytest.mark.parametrize(
    ("target", "host"),
    [
        (b"/email", b"other.test"),
        (b"/email", b"api.mail.test.other.test"),
        (b"/email", b"api.mail.test:8443"),
        (b"https://other.test/email", b"api.mail.test"),
    ],
)
def test_a_request_for_another_site_inside_the_tunnel_is_refused(
    setup: dict[str, Any], target: bytes, host: bytes
) -> None:
    answer = _exchange(setup, _post(target, host))
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert setup["received"] == []


@pytest.mark.parametrize("host", [b"api.mail.test", b"API.mail.test", b"api.mail.test:443"])
def test_the_tunnels_own_host_still_passes(setup: dict[str, Any], host: bytes) -> None:
    answer = _exchange(setup, _post(b"/email", host))
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert setup["received"] == [host.decode()]
