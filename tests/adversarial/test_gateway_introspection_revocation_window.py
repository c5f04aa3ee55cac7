"""A revoked opaque token was taken for a minute and a half, where the threat model says a minute.

``gateway serve`` remembers an introspected (opaque) token so as not to ask the issuer on every
request, "a minute at most, so a revocation at the issuer holds within a minute". It kept the
token until a minute after the introspection and then added the clock leeway (30 s, up to 300 s
by config) on top, as for a JWT's ``exp``: a token revoked at the issuer right after its
introspection was taken for 90 s, and with ``leeway_seconds = 300`` for six minutes (until
2026-12-05). The leeway is for the clocks of two machines judging one ``exp``; a minute of the
gateway's own clock needs none.

Now an introspected token is remembered until a minute after its introspection, or its ``exp``
(with the leeway) if that comes first; then the issuer is asked again."""

from __future__ import annotations

import asyncio
import time

import pytest

from mcpward.gateway import GatewayConfig, resource_server_from
from mcpward.gateway._oauth import TokenRefused
from oauth_kit import AuthServer, WallClock

RESOURCE = "https://gateway.example"


@pytest.mark.parametrize("leeway", [30, 300])
def test_a_token_revoked_at_the_issuer_is_refused_a_minute_after_its_introspection(
    idp: AuthServer, leeway: int
) -> None:
    settings = GatewayConfig.model_validate({"auth": {
        "resource": RESOURCE, "leeway_seconds": leeway,
        "issuers": [{"issuer": idp.issuer, "introspection_url": f"{idp.issuer}/introspect"}],
    }})  # fmt: skip
    clock = WallClock()
    server = resource_server_from(settings, clock=clock)
    assert server is not None
    token = f"opaque-revoked-later-{leeway}"
    idp.opaque[token] = {"sub": "alice", "aud": RESOURCE, "exp": int(time.time()) + 3600}

    async def run() -> None:
        try:
            assert (await server.identify(token, "ledger")).subject == "alice"
            del idp.opaque[token]  # revoked at the issuer
            clock.ahead = 30
            assert (await server.identify(token, "ledger")).subject == "alice"  # remembered
            clock.ahead = 61
            with pytest.raises(TokenRefused, match="not active"):
                await server.identify(token, "ledger")
        finally:
            await server.close()

    asyncio.run(run())
