"""An identity provider's metadata names where its keys (and the registry's token endpoint) are:
links, as a registry document's are. The gateway and the registry's sign-in fetched them
wherever they pointed once the scheme was https: a name whose DNS answers the check a public
address and the connection loopback or a private one (DNS rebinding) had the gateway, or the
registry, open a TLS session with this machine's own services or the network behind it (and
the registry POST the sign-in code and its client secret there). Now the key set is fetched
only where a redirect from the issuer's side may go, judged at the address the connection
reached, before a byte is sent.

The resolver is simulated in-process: a lookup made to judge (no port) is answered a public
address, never connected to; a lookup made to connect (a port) is answered a listener on loopback
or on this machine's own non-loopback address (private here), which records what it received."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from loopback import own_address
from mcpward.gateway._oauth import IssuerSettings, ResourceServer, ResourceSettings, _Keys
from mcpward.registry.web._oidc import OidcSettings, _Provider
from oauth_kit import rsa_key

ISSUER = "https://issuer.test"
#: Globally reachable addresses: answered to the lookups that judge, never connected to.
PUBLIC = {"issuer.test": "11.0.0.7", "keys.test": "11.0.0.9"}


@contextlib.contextmanager
def _resolving(monkeypatch: pytest.MonkeyPatch, connect_to: str) -> Iterator[None]:
    """Names of PUBLIC resolved to their public address for a lookup without a port (a
    judgment's), to ``connect_to`` for one with a port (a connection's)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):  # anyio's lookups (the gateway's client) ask in bytes
            host = host.decode()
        if host not in PUBLIC:
            return real(host, port, *args, **kwargs)
        address = PUBLIC[host] if port is None else connect_to
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


@contextlib.contextmanager
def _listening(address: str) -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on ``address``: its port, and the first bytes each connection sent (b""
    for one closed without a byte), complete once the block ends."""
    received: list[bytes] = []
    stop = threading.Event()
    server = socket.create_server((address, 0))
    server.settimeout(0.2)

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except TimeoutError:
                if stop.is_set():
                    return
                continue
            with connection:
                connection.settimeout(2)
                try:
                    received.append(connection.recv(64))
                except OSError:
                    received.append(b"")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        stop.set()
        thread.join(10)
        server.close()


def _token() -> str:
    key = rsa_key("attacker")
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "admin", "aud": "https://gateway.example", "iat": now, "exp": now + 300}
    return jwt.encode(claims, key.private, algorithm=key.alg, headers={"kid": key.kid})


def _where() -> list[str]:
    return ["127.0.0.1", own_address()]


@pytest.mark.parametrize("rebound_to", _where(), ids=["loopback", "private"])
def test_the_gateway_fetches_no_discovered_key_set_from_a_rebound_name(
    monkeypatch: pytest.MonkeyPatch, rebound_to: str
) -> None:
    with _listening(rebound_to) as (port, received), _resolving(monkeypatch, rebound_to):

        async def discovered(self: _Keys) -> str:
            return f"https://keys.test:{port}/jwks"  # as the issuer's metadata names it

        monkeypatch.setattr(_Keys, "_discover", discovered)
        server = ResourceServer(
            ResourceSettings(resource="https://gateway.example", issuers=(IssuerSettings(issuer=ISSUER),))
        )

        async def identify() -> None:
            try:
                with contextlib.suppress(Exception):
                    await server.identify(_token(), "ledger")
            finally:
                await server.close()

        asyncio.run(identify())
    # Before, the TLS handshake began with whatever listened there; then the TCP handshake still
    # reached it, until 2026-12-05 (test_no_connection_to_a_refused_address.py): nothing does.
    assert server.keys[ISSUER].fetches == 1
    assert received == [], received


@pytest.mark.parametrize("rebound_to", _where(), ids=["loopback", "private"])
def test_the_registrys_sign_in_fetches_no_key_set_from_a_rebound_name(
    monkeypatch: pytest.MonkeyPatch, rebound_to: str
) -> None:
    provider = _Provider(
        OidcSettings(issuer=ISSUER, client_id="registry", public_url="https://registry.test")
    )
    with _listening(rebound_to) as (port, received), _resolving(monkeypatch, rebound_to):
        provider.metadata = {"issuer": ISSUER, "jwks_uri": f"https://keys.test:{port}/jwks"}
        with httpx.Client(timeout=5, follow_redirects=False) as client, pytest.raises(Exception) as ended:
            provider.signing_key(client, _token())
    assert received == [b""], received  # before, the TLS handshake began there
    # A ValueError, as the sign-in's other refusals of the provider's answers are.
    assert isinstance(ended.value, ValueError), ended.value
    assert str(ended.value) in ("onto loopback", "from the network to a private address"), ended.value
