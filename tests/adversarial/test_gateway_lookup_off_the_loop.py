"""The gateway serves every client and session from one asyncio event loop. Before it fetches a
key set its issuer's metadata names, it judges the link (``linked_from``): it looked up the
issuer's and the key set's hosts with ``socket.getaddrinfo`` in the loop's own thread. A hostile
identity provider, whose DNS answers as slowly as it likes (a resolver gives up after 5 s per
attempt), stalled the whole gateway for as long as each lookup took: every other client's call,
ping and session waited (here a lookup of 1.5 s held the loop for all of it). Now the link is
judged in a thread, within the fetch's timeout; the connection still looks its host up once,
off the loop, and is made only to the addresses so judged.

The resolver is simulated in-process (socket.getaddrinfo patched): the key set's host answers a
public address after a delay to a lookup that judges (no port) and nothing to a connection's, so
nothing leaves loopback."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from typing import Any

import httpx
import jwt
import pytest

from mcpward._http import ConnectionCheck, pin_connections
from mcpward.gateway._oauth import IssuerSettings, ResourceServer, ResourceSettings, _Keys
from oauth_kit import rsa_key

ISSUER = "https://issuer.test"
SLOW = "keys.test"


def _slow_lookups(monkeypatch: pytest.MonkeyPatch, delay: float) -> list[str]:
    """Lookups of SLOW take ``delay`` seconds (a public address when judged, no answer to a
    connection); the threads they were made in, by name."""
    real, threads = socket.getaddrinfo, []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        if host == "issuer.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("11.0.0.7", 0))]
        if host != SLOW:
            return real(host, port, *args, **kwargs)
        threads.append(threading.current_thread().name)
        time.sleep(delay)
        if port is not None:
            raise socket.gaierror(socket.EAI_NONAME, "no answer here")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("11.0.0.9", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return threads


def _token() -> str:
    key = rsa_key("someone")
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "someone", "aud": "https://gateway.example", "iat": now, "exp": now + 300}
    return jwt.encode(claims, key.private, algorithm=key.alg, headers={"kid": key.kid})


def _server(monkeypatch: pytest.MonkeyPatch, fetch_timeout: float = 5.0) -> ResourceServer:
    async def discovered(self: _Keys) -> str:
        return f"https://{SLOW}/jwks"  # as the issuer's metadata names it

    monkeypatch.setattr(_Keys, "_discover", discovered)
    return ResourceServer(
        ResourceSettings(
            resource="https://gateway.example",
            issuers=(IssuerSettings(issuer=ISSUER),),
            fetch_timeout=fetch_timeout,
        )
    )


async def _longest_stall(work: Any) -> tuple[float, float]:
    """How long the loop was held at most, in seconds, while ``work`` ran (another session's
    ping, every 20 ms), and how long ``work`` took."""
    longest, done = 0.0, asyncio.Event()

    async def ping() -> None:
        nonlocal longest
        while not done.is_set():
            before = time.monotonic()
            await asyncio.sleep(0.02)
            longest = max(longest, time.monotonic() - before - 0.02)

    pinging = asyncio.create_task(ping())
    await asyncio.sleep(0.05)
    started = time.monotonic()
    try:
        await work
    finally:
        took = time.monotonic() - started
        done.set()
        await pinging
    return longest, took


def _stall_while_identifying(server: ResourceServer, token: str) -> tuple[float, float]:
    """:func:`_longest_stall` of ``server`` identifying ``token`` (accepted or refused), the
    server closed after."""

    async def identify() -> None:
        with contextlib.suppress(Exception):
            await server.identify(token, "ledger")

    async def main() -> tuple[float, float]:
        try:
            return await _longest_stall(identify())
        finally:
            await server.close()

    return asyncio.run(main())


def test_a_slow_lookup_of_a_key_sets_host_does_not_stall_the_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    threads = _slow_lookups(monkeypatch, 1.5)
    server = _server(monkeypatch)
    stall, took = _stall_while_identifying(server, _token())
    assert server.keys[ISSUER].fetches == 1
    assert took >= 1.5  # the lookups were made, and waited for
    # Before, the loop was held for the whole lookup (1.5 s): no other session was served.
    assert stall < 0.5, stall
    assert threads and "MainThread" not in threads, threads


def test_a_key_sets_lookup_is_held_to_the_fetch_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    _slow_lookups(monkeypatch, 3.0)
    stall, took = _stall_while_identifying(_server(monkeypatch, fetch_timeout=0.5), _token())
    # The issuer's lock (every token of that issuer) was held as long as its DNS answered.
    assert took < 2.0, took
    assert stall < 0.5, stall


def test_a_remote_upstreams_pinned_lookup_does_not_stall_the_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    # Held before: a judged connection's one lookup (pin_connections) is anyio's, in a thread.
    threads = _slow_lookups(monkeypatch, 1.5)

    async def connect() -> None:
        async with pin_connections(httpx.AsyncClient(timeout=5, follow_redirects=False)) as client:
            check = ConnectionCheck("network", SLOW, "https")
            with contextlib.suppress(httpx.HTTPError):
                await client.get(f"https://{SLOW}/mcp", extensions={"trace": check.asynchronous})

    stall, took = asyncio.run(_longest_stall(connect()))
    assert took >= 1.5
    assert stall < 0.5, stall
    assert threads and "MainThread" not in threads, threads


def test_a_slow_lookup_of_the_introspection_endpoint_does_not_stall_the_gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Held before: a configured endpoint (introspection, token exchange) is connected to by
    # httpcore's own backend, whose lookup is anyio's, in a thread.
    threads = _slow_lookups(monkeypatch, 1.5)
    issuer = IssuerSettings(issuer=ISSUER, introspection_url=f"https://{SLOW}/introspect")
    server = ResourceServer(ResourceSettings(resource="https://gateway.example", issuers=(issuer,)))
    stall, took = _stall_while_identifying(server, "an-opaque-token")
    assert took >= 1.5
    assert stall < 0.5, stall
    assert threads and "MainThread" not in threads, threads
