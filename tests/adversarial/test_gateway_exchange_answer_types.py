"""A token exchange's answer was used whatever kind of token it said it gave.

The gateway asks the identity provider (RFC 8693) for an access token
(``requested_token_type`` ``...:access_token``) and sends it upstream as ``Bearer``. The answer's
``issued_token_type`` and ``token_type`` were never read: a refresh token, an ID token, a SAML
assertion or a token bound to a key (``token_type: DPoP``, good only with a proof the gateway
does not make) was sent upstream as a bearer access token, so a token endpoint that was
misconfigured, or a provider that answers with another grant's token, put a credential of
another kind (an ID token carries the person's claims; a refresh token outlives any access
token) in every request to the upstream server, until 2026-12-05.

Now the answer must say ``issued_token_type`` ``urn:ietf:params:oauth:token-type:access_token``
and ``token_type`` ``Bearer`` (RFC 8693 section 2.2.1 makes both required; the type compared
case-insensitively, RFC 6749 section 5.1); any other answer fails the exchange, and nothing is
sent upstream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from loopback import serving
from mcpward.gateway._oauth import ExchangeFailed, ExchangeSettings, TokenExchange

ACCESS = "urn:ietf:params:oauth:token-type:access_token"


@contextlib.contextmanager
def _token_endpoint(answer: dict[str, Any]) -> Iterator[str]:
    async def token(request: Request) -> Response:
        await request.form()
        return JSONResponse({"access_token": "issued", "expires_in": 300, **answer})

    with serving(lambda _port: Starlette(routes=[Route("/token", token, methods=["POST"])])) as base:
        yield f"{base}/token"


def _exchange(answer: dict[str, Any]) -> str:
    with _token_endpoint(answer) as url:
        exchange = TokenExchange(ExchangeSettings(token_url=url, client_id="gateway"))

        async def run() -> str:
            try:
                return await exchange.token_for("the-callers-token", None)
            finally:
                await exchange.close()

        return asyncio.run(run())


@pytest.mark.parametrize(
    "answer",
    [
        {"issued_token_type": "urn:ietf:params:oauth:token-type:refresh_token", "token_type": "N_A"},
        {"issued_token_type": "urn:ietf:params:oauth:token-type:id_token", "token_type": "N_A"},
        {"issued_token_type": "urn:ietf:params:oauth:token-type:saml2", "token_type": "Bearer"},
        {"issued_token_type": ACCESS, "token_type": "DPoP"},
        {"issued_token_type": ACCESS, "token_type": "N_A"},
        {"issued_token_type": ACCESS},
        {"token_type": "Bearer"},
        {"issued_token_type": [ACCESS], "token_type": "Bearer"},
    ],
)
def test_an_answer_of_another_kind_of_token_fails_the_exchange(answer: dict[str, Any]) -> None:
    with pytest.raises(ExchangeFailed, match="not a bearer access token"):
        _exchange(answer)


@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER"])
def test_a_bearer_access_token_is_taken(token_type: str) -> None:
    assert _exchange({"issued_token_type": ACCESS, "token_type": token_type}) == "issued"
