"""One caller's flood of made-up opaque tokens had every other caller's valid token refused.

``gateway serve`` paces RFC 7662 introspection so that opaque tokens, which cost nothing to
make up, cannot make it hammer the issuer: ``introspections_per_second`` (20, twice that at
once). That bucket was one for every caller, so a client sending unknown opaque tokens as fast
as it could (no valid token needed) spent it, and everyone else's opaque token was refused
with 503 "too many token introspections" for as long as the flood lasted: a valid token of a
caller who had done nothing, and one the issuer had already called active whose minute of
memory had lapsed (a denial of service across callers, until 2026-12-05).

Now each client address has a share of the rate (a quarter: one address's flood is refused
once it has spent that, and leaves the rest), and the whole bucket is still the issuer's
ceiling; but tokens not yet seen active may spend only down to half of it: the other half is
kept for tokens the issuer called active before and is asked about again (by their digest),
so that a flood from many addresses, or from behind one proxy, does not end the sessions of
callers already signed in.

A real authorization server on loopback introspects; the gateway's own token check, its clock
held still so the buckets do not refill meanwhile."""

from __future__ import annotations

import asyncio
import time

import pytest

from mcpward.gateway import GatewayConfig, resource_server_from
from mcpward.gateway._oauth import IssuerUnavailable, ResourceServer, TokenRefused
from oauth_kit import AuthServer

RESOURCE = "https://gateway.example"


class _StillClock:
    """The wall clock at the start, moved only by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _server(idp: AuthServer, clock: _StillClock) -> ResourceServer:
    settings = GatewayConfig.model_validate({"auth": {
        "resource": RESOURCE, "introspections_per_second": 5,
        "issuers": [{"issuer": idp.issuer, "introspection_url": f"{idp.issuer}/introspect"}],
    }})  # fmt: skip
    server = resource_server_from(settings, clock=clock)
    assert server is not None
    return server


async def _flood(server: ResourceServer, caller: str, count: int) -> dict[str, int]:
    outcomes = {"refused": 0, "unavailable": 0}
    for n in range(count):
        try:
            await server.identify(f"made-up-{caller}-{n}", "ledger", caller=caller)
        except TokenRefused:
            outcomes["refused"] += 1
        except IssuerUnavailable:
            outcomes["unavailable"] += 1
    return outcomes


def test_a_flood_from_one_address_does_not_refuse_another_callers_valid_token(idp: AuthServer) -> None:
    clock = _StillClock()
    server = _server(idp, clock)
    idp.opaque["opaque-bob"] = {"sub": "bob", "aud": RESOURCE, "exp": int(clock.now) + 3600}

    async def run() -> None:
        try:
            before = idp.introspections
            outcomes = await _flood(server, "203.0.113.9", 60)
            assert outcomes["unavailable"] > 0  # the flooder is held back
            assert idp.introspections - before <= 10  # and the issuer is not hammered
            assert (await server.identify("opaque-bob", "ledger", caller="198.51.100.7")).subject == "bob"
        finally:
            await server.close()

    asyncio.run(run())


def test_a_flood_from_many_addresses_leaves_callers_already_signed_in_their_sessions(
    idp: AuthServer,
) -> None:
    clock = _StillClock()
    server = _server(idp, clock)
    idp.opaque["opaque-carol"] = {"sub": "carol", "aud": RESOURCE, "exp": int(clock.now) + 3600}

    async def run() -> None:
        try:
            assert (await server.identify("opaque-carol", "ledger", caller="10.0.0.5")).subject == "carol"
            clock.now += 61  # carol's token is due to be introspected again
            before = idp.introspections
            for n in range(20):  # many addresses (or one proxy in front of them all)
                await _flood(server, f"203.0.113.{n}", 10)
            assert idp.introspections - before <= 10  # the issuer's ceiling holds
            assert (await server.identify("opaque-carol", "ledger", caller="10.0.0.5")).subject == "carol"
        finally:
            await server.close()

    asyncio.run(run())


@pytest.mark.parametrize("kind", ["other-audience", "revoked"])
def test_a_token_the_issuer_calls_active_but_refused_here_gets_no_priority(
    idp: AuthServer, kind: str
) -> None:
    """A token refused after its introspection (for another resource, or revoked since it was
    taken) is not remembered, so each request asks the issuer again: with the priority of
    tokens seen active, one such token from one address spent the whole ceiling."""
    clock = _StillClock()
    server = _server(idp, clock)
    audience = "https://elsewhere.example" if kind == "other-audience" else RESOURCE
    idp.opaque[f"opaque-{kind}"] = {"sub": "mallory", "aud": audience, "exp": int(clock.now) + 3600}
    idp.opaque[f"opaque-dave-{kind}"] = {"sub": "dave", "aud": RESOURCE, "exp": int(clock.now) + 3600}

    async def run() -> None:
        try:
            if kind == "revoked":
                await server.identify(f"opaque-{kind}", "ledger", caller="203.0.113.9")
                clock.now += 61
                del idp.opaque[f"opaque-{kind}"]
            for _ in range(60):
                with pytest.raises((TokenRefused, IssuerUnavailable)):
                    await server.identify(f"opaque-{kind}", "ledger", caller="203.0.113.9")
            dave = await server.identify(f"opaque-dave-{kind}", "ledger", caller="198.51.100.7")
            assert dave.subject == "dave"
        finally:
            await server.close()

    asyncio.run(run())


def test_the_addresses_of_one_ipv6_network_share_one_share(idp: AuthServer) -> None:
    clock = _StillClock()
    server = _server(idp, clock)

    async def run() -> None:
        try:
            before = idp.introspections
            for n in range(10):
                await _flood(server, f"2001:db8:1:2::{n + 1:x}", 3)
            assert idp.introspections - before <= 2  # the /64's share (a quarter of 5 a second, twice)
        finally:
            await server.close()

    asyncio.run(run())
