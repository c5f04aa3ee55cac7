"""The egress proxy resolves the names the server asks for, outside the sandbox: an allowed name
whose DNS the server's author controls (its own API, say, or a sub-domain under an allowed
``*.domain``) could answer with the host's loopback, a cloud's metadata address or a private
one, and the proxy connected there. The sandbox's own network namespace hides the host's
loopback; the proxy, on the host, handed it back: the gateway's ``serve`` port, a container
engine's TCP API, the metadata service's credentials. Before, a ``CONNECT`` or a plain request
for such a name reached a loopback service of the host. The DNS answer is stood in for by
a patched ``getaddrinfo`` (no network here); the service on loopback records what reached it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sandbox_proxy_kit import ask, egress_proxy, stand_in_resolver, wait_for_record

from loopback import Accepting
from mcpward.sandbox.interface import NetworkRules

_NAME = "api.vendor.test"


class _HostService(Accepting):
    """A service of the host on loopback that records every connection it accepts."""

    connection_timeout = 1.0

    def __init__(self) -> None:
        self.received: list[bytes] = []
        super().__init__()

    def handle(self, connection: socket.socket) -> None:
        try:
            self.received.append(connection.recv(200) or b"<connected>")
        except OSError:
            self.received.append(b"<connected>")


@pytest.fixture
def service() -> Iterator[_HostService]:
    found = _HostService()
    yield found
    found.close()


def _answering(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    """The server's DNS answering ``address`` for ``_NAME``."""
    stand_in_resolver(monkeypatch, lambda name: name.rstrip(".") == _NAME, address)


@pytest.fixture
def proxied(tmp_path: Path, service: _HostService) -> Iterator[dict[str, Any]]:
    rules = NetworkRules(allow=(f"{_NAME}:{service.port}", f"*.vendor.test:{service.port}"))
    with egress_proxy(tmp_path, rules) as (proxy, records):
        yield {"port": proxy.port, "records": records, "service": service}


@pytest.mark.parametrize(
    ("address", "family"),
    [("127.0.0.1", socket.AF_INET), ("127.9.9.9", socket.AF_INET), ("::ffff:127.0.0.1", socket.AF_INET6)],
)
def test_connect_to_an_allowed_name_resolving_to_loopback_is_refused(
    proxied: dict[str, Any], monkeypatch: pytest.MonkeyPatch, address: str, family: int
) -> None:
    if family == socket.AF_INET6 and not socket.has_ipv6:
        pytest.skip("no IPv6")
    _answering(monkeypatch, address)
    service = proxied["service"]
    got = ask(proxied["port"], f"CONNECT {_NAME}:{service.port} HTTP/1.1\r\n\r\n".encode())
    time.sleep(0.3)
    assert not got.startswith(b"HTTP/1.1 200")
    assert service.received == []
    wait_for_record(proxied["records"])
    assert proxied["records"][0]["decision"] == "block"
    assert proxied["records"][0]["host"] == _NAME


def test_a_plain_request_to_a_name_resolving_to_loopback_is_refused(
    proxied: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _answering(monkeypatch, "127.0.0.1")
    service = proxied["service"]
    payload = f"GET http://{_NAME}:{service.port}/admin HTTP/1.1\r\nHost: {_NAME}:{service.port}\r\n\r\n"
    got = ask(proxied["port"], payload.encode())
    time.sleep(0.3)
    assert not got.startswith(b"HTTP/1.1 200")
    assert service.received == []
    wait_for_record(proxied["records"])
    assert proxied["records"][0]["decision"] == "block"


@pytest.mark.parametrize("address", ["169.254.169.254", "10.0.0.5", "0.0.0.0"])  # noqa: S104 (an answer, not a bind)
def test_metadata_private_and_unspecified_answers_are_refused(
    proxied: dict[str, Any], monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    _answering(monkeypatch, address)
    got = ask(proxied["port"], f"CONNECT {_NAME}:{proxied['service'].port} HTTP/1.1\r\n\r\n".encode())
    assert got.startswith(b"HTTP/1.1 403")
    wait_for_record(proxied["records"])
    assert proxied["records"][0]["decision"] == "block"
    assert proxied["service"].received == []


def test_an_explicit_mapping_or_address_in_the_profile_still_reaches_loopback(
    tmp_path: Path, service: _HostService
) -> None:
    """What the profile itself names (an address, or ``network.resolve``) is its author's choice."""
    rules = NetworkRules(allow=(f"127.0.0.1:{service.port}", f"mirror.test:{service.port}"))
    resolve = {f"mirror.test:{service.port}": ("127.0.0.1", service.port)}
    with egress_proxy(tmp_path, rules, resolve=resolve) as (proxy, _records):
        for host in ("127.0.0.1", "mirror.test"):
            got = ask(proxy.port, f"CONNECT {host}:{service.port} HTTP/1.1\r\n\r\n".encode())
            assert got.startswith(b"HTTP/1.1 200")
    assert len(service.received) == 2
