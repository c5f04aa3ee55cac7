"""A server floods the host's audit log through the egress proxy. Each request the proxy
refused (a host not listed) was recorded whole, the host as the server wrote it (up to the
16 KiB head): a server in bubblewrap asking in a loop for hosts of 14,000 characters wrote
53 MB to the gateway's audit log in 5 s (about 36 GB an hour), past its sandbox's file-size
limit, until the host's disk was full, burying every other record. Now each refusal is recorded
once a run, its host cut to the longest name (253), at most 2,000 of them, and the rest counted
in one record when the proxy stops."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from mcpward.sandbox._proxy import EgressProxy
from mcpward.sandbox.interface import NetworkRules


def _ask(port: int, line: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(line + b"\r\n\r\n")
        client.recv(100)


def test_refused_requests_write_a_bounded_record(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = []
    proxy = EgressProxy(tmp_path / "unused.sock", NetworkRules(allow=("api.example.com",)), records.append,
                        tcp=True)  # fmt: skip
    proxy.start()
    try:
        for _ in range(2100):
            host = os.urandom(7000).hex().encode()
            _ask(proxy.port, b"CONNECT " + host + b":443 HTTP/1.1")
        for _ in range(3):  # the same refusal again: recorded once
            _ask(proxy.port, b"CONNECT outside.test:443 HTTP/1.1")
    finally:
        proxy.stop()
    written = sum(len(json.dumps(record)) for record in records)
    assert written < 2_000_000, f"{written} bytes of records for 2,103 refusals"
    assert all(len(str(record.get("host", ""))) <= 253 for record in records)
    assert records[-1]["method"] == "refusals" and records[-1]["unrecorded"] >= 100
    assert sum(record.get("host") == "outside.test" for record in records) <= 1


def test_a_few_refusals_are_each_recorded(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = []
    proxy = EgressProxy(tmp_path / "unused.sock", NetworkRules(allow=()), records.append, tcp=True)
    proxy.start()
    try:
        for host in (b"one.test", b"two.test", b"three.test"):
            _ask(proxy.port, b"CONNECT " + host + b":443 HTTP/1.1")
        _ask(proxy.port, b"GET http://four.test/path HTTP/1.1\r\nHost: four.test")
    finally:
        proxy.stop()
    hosts = [record["host"] for record in records if record["decision"] == "block"]
    assert hosts == ["one.test", "two.test", "three.test", "four.test"]
