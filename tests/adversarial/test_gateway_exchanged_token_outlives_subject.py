"""An exchanged token (RFC 8693) went on acting for a caller whose own token had expired.

``gateway serve`` exchanges a caller's access token for one the remote upstream takes, and
keeps the exchanged token (by the caller's token's digest) until 30 s before the ``expires_in``
the issuer gave it. That lifetime is the issuer's to choose and has nothing to do with the
caller's token: a caller whose token lived a minute, with an exchanged token of an hour, was
still represented upstream by it for the hour, and an opaque token revoked at the issuer (which
the gateway learns at its next introspection, within a minute) kept its exchanged token as long.
What the gateway sends upstream by itself (its answers to the server's own requests) comes with
no caller's request whose token check would have refused the caller (until 2026-12-05).

Now an exchanged token is kept no longer than the caller's token lives (its ``exp``; for an
opaque token a minute, as long as the gateway trusts an introspection) nor an hour, and once the
caller's JWT has expired nothing is exchanged for it: the exchange is refused with the reason,
and the expired token is not sent to the token endpoint.

The caller's token is signed by a real authorization server on loopback, which also exchanges
it (``oauth_kit``); a small token endpoint exchanges opaque tokens."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from loopback import serving
from mcpward.gateway._oauth import ExchangeFailed, ExchangeSettings, TokenExchange
from oauth_kit import AuthServer

RESOURCE = "https://gateway.example"


class _Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@contextlib.contextmanager
def _opaque_exchange() -> Iterator[tuple[str, list[str]]]:
    """A token endpoint exchanging any subject token for one that lives an hour."""
    received: list[str] = []

    async def token(request: Request) -> Response:
        form = await request.form()
        received.append(str(form.get("subject_token")))
        return JSONResponse({
            "access_token": f"upstream-{len(received)}", "token_type": "Bearer", "expires_in": 3600,
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        })  # fmt: skip

    with serving(lambda _port: Starlette(routes=[Route("/token", token, methods=["POST"])])) as base:
        yield f"{base}/token", received


def test_an_exchanged_token_is_not_used_after_the_callers_token_expired(idp: AuthServer) -> None:
    clock = _Clock()
    settings = ExchangeSettings(token_url=f"{idp.issuer}/token", client_id="gateway",
                                client_secret="exchange-secret", audience="https://upstream.example")  # fmt: skip
    exchange = TokenExchange(settings, clock=clock)
    subject = idp.token(aud=RESOURCE, lifetime=60)  # the exchanged one lives 300 s

    async def run() -> None:
        try:
            first = await exchange.token_for(subject, idp.issuer)
            assert await exchange.token_for(subject, idp.issuer) == first  # kept meanwhile
            before = idp.exchanges
            clock.now += 61  # the caller's token has expired; the exchanged one has 4 minutes
            with pytest.raises(ExchangeFailed, match="expired"):
                await exchange.token_for(subject, idp.issuer)
            assert idp.exchanges == before  # nor is the expired token sent to be exchanged
        finally:
            await exchange.close()

    asyncio.run(run())


def test_an_opaque_callers_exchanged_token_is_kept_a_minute_at_most() -> None:
    clock = _Clock()
    with _opaque_exchange() as (token_url, received):
        exchange = TokenExchange(ExchangeSettings(token_url=token_url, client_id="gateway"), clock=clock)

        async def run() -> None:
            try:
                assert await exchange.token_for("opaque-caller", None) == "upstream-1"
                clock.now += 30
                assert await exchange.token_for("opaque-caller", None) == "upstream-1"
                # Past the minute the gateway trusts an introspection (revoked meanwhile, it
                # would refuse the caller): exchanged again, not kept for the issuer's hour.
                clock.now += 31
                assert await exchange.token_for("opaque-caller", None) == "upstream-2"
            finally:
                await exchange.close()

        asyncio.run(run())
    assert received == ["opaque-caller", "opaque-caller"]
