"""A server floods the host's audit log through the egress proxy with connections it is allowed
to make. The proxy bounded its records of refused requests (test_sandbox_refusal_flood.py) but
recorded every allowed connection and request whole, each with its path (up to 500
characters): a server sending requests in a loop to its one allowed host, on a kept-alive
connection, grew the record without bound (about 600 bytes a request here, thousands a second).

Now a run records at most 2,000 allowed connections (or requests) one by one, and 1 MB of them;
the rest are summed up in one record when the proxy stops (how many, the bytes each way, the
busiest hosts). Findings (a request that inspection passed with an alert, or blocked) have a
budget of their own, and refusals theirs, so a flood of allowed requests does not push the
evidence out. A few connections are each recorded, as before, with no summary."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox_proxy_kit import egress_proxy

from mcpward.sandbox.interface import NetworkRules

HOST = "api.example.test"


def _answer(connection: socket.socket) -> None:
    """``ok`` to each request of a kept-alive connection, in one write (two writes, as
    ``http.server`` makes, wait out the peer's delayed acknowledgement each time)."""
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with connection, connection.makefile("rb") as reader:
        while True:
            line = reader.readline()
            if not line:
                return
            if line == b"\r\n":
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


@contextmanager
def _upstream() -> Iterator[int]:
    """A loopback HTTP server answering ``ok`` to every request (bodiless); its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stopped = threading.Event()

    def serve() -> None:
        while not stopped.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(30)
            threading.Thread(target=_answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stopped.set()
        thread.join(5)
        listener.close()


def _requests(port: int, count: int, path_length: int) -> int:
    """``count`` plain-HTTP requests for ``HOST`` through the proxy on ``port``, on one kept-alive
    connection (bounded reads); how many were answered."""
    answered = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client, client.makefile("rb") as reader:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for number in range(count):
            path = f"/v1/items/{number:08d}/" + "x" * path_length
            client.sendall(f"GET http://{HOST}{path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            status = reader.readline()
            while reader.readline() not in (b"\r\n", b""):  # the headers
                pass
            reader.read(2)
            answered += status.startswith(b"HTTP/1.1 200")
    return answered


def test_allowed_requests_write_a_bounded_record(tmp_path: Path) -> None:
    with _upstream() as upstream:
        rules = NetworkRules(allow=(f"{HOST}:80",))
        resolve = {f"{HOST}:80": ("127.0.0.1", upstream)}
        with egress_proxy(tmp_path, rules, resolve=resolve) as (proxy, records):
            answered = _requests(proxy.port, 2600, 480)
            # Refused after the flood: still recorded one by one.
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as client:
                client.sendall(b"CONNECT outside.test:443 HTTP/1.1\r\n\r\n")
                client.recv(100)
    assert answered == 2600
    written = sum(len(json.dumps(record)) for record in records)
    assert written < 1_200_000, f"{written} bytes of records for 2,600 allowed requests"
    one_by_one = [r for r in records if r.get("method") == "GET"]
    assert 0 < len(one_by_one) <= 2000, len(one_by_one)
    summary = records[-1]
    assert summary["method"] == "connections" and summary["decision"] == "allow", summary
    assert summary["unrecorded"] == 2600 - len(one_by_one), summary
    assert summary["received"] > 0 and summary["sent"] > 0, summary
    assert summary["hosts"] == {HOST: summary["unrecorded"]}, summary
    assert [r["host"] for r in records if r.get("decision") == "block"] == ["outside.test"]


def test_findings_are_not_pushed_out_by_allowed_connections(tmp_path: Path) -> None:
    with _upstream() as upstream:
        rules = NetworkRules(allow=(f"{HOST}:80",))
        resolve = {f"{HOST}:80": ("127.0.0.1", upstream)}
        with egress_proxy(tmp_path, rules, resolve=resolve) as (proxy, records):
            _requests(proxy.port, 2100, 0)
            # What outbound inspection reports through the proxy after the flood: a request
            # passed with a finding, and one refused.
            proxy.report({"method": "POST", "host": HOST, "port": 80, "path": "/upload", "decision": "alert",
                          "severity": "high", "events": [{"kind": "secret", "severity": "high"}]})  # fmt: skip
            proxy.report({"method": "POST", "host": HOST, "port": 80, "path": "/upload", "decision": "block",
                          "severity": "critical", "sent": 0, "received": 0})  # fmt: skip
    decisions = [r["decision"] for r in records if r.get("path") == "/upload"]
    assert decisions == ["alert", "block"], decisions
    assert records[-1]["method"] == "connections" and records[-1]["unrecorded"] == 100, records[-1]


def test_a_few_connections_are_each_recorded(tmp_path: Path) -> None:
    with _upstream() as upstream:
        rules = NetworkRules(allow=(f"{HOST}:80",))
        resolve = {f"{HOST}:80": ("127.0.0.1", upstream)}
        with egress_proxy(tmp_path, rules, resolve=resolve) as (proxy, records):
            assert _requests(proxy.port, 3, 10) == 3
    assert [(r["method"], r["decision"], r["status"]) for r in records] == [("GET", "allow", 200)] * 3, (
        records
    )
    assert all(r["path"].startswith("/v1/items/") for r in records), records
