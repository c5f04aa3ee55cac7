"""A stolen sender-constrained access token, used at the gateway as a bearer token.

An issuer can bind an access token to a key of its client (RFC 9449 DPoP: ``cnf.jkt``; RFC
8705 mutual TLS: ``cnf.x5t#S256``): the token is good only with a proof that its presenter holds
that key, so a copy taken from a log, a proxy or the client's memory is worth nothing to whoever
took it. ``gateway serve`` takes bearer tokens only, checks no such proof, and took a bound
token sent as ``Authorization: Bearer`` like any other (until 2026-12-05): the thief of a DPoP-
or certificate-bound token signed in as its owner, exactly what the binding is there to stop
(RFC 9449, section 7.2: a DPoP-bound token received as a bearer token must be refused).

Now a token whose claims (or introspection answer) carry ``cnf`` is refused with the reason: the
gateway cannot check the proof, so it does not take the token without it."""

from __future__ import annotations

from typing import Any

import pytest

from mcpward.gateway import GatewayConfig
from mcpward.gateway._oauth import TokenRefused
from oauth_kit import AuthServer, identify_token, identify_with

RESOURCE = "https://gateway.example"
DPOP = {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
MUTUAL_TLS = {"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}


def _settings(idp: AuthServer, **issuer: Any) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {"auth": {"resource": RESOURCE, "issuers": [{"issuer": idp.issuer, **issuer}]}}
    )


@pytest.mark.parametrize("binding", [DPOP, MUTUAL_TLS], ids=["dpop", "mutual-tls"])
def test_a_key_bound_jwt_sent_as_a_bearer_token_is_refused(idp: AuthServer, binding: dict[str, str]) -> None:
    with pytest.raises(TokenRefused, match="bound to a key"):
        identify_with(_settings(idp), idp, RESOURCE, cnf=binding)


def test_a_key_bound_opaque_token_is_refused(idp: AuthServer) -> None:
    settings = _settings(idp, introspection_url=f"{idp.issuer}/introspect")
    idp.opaque["opaque-bound"] = {"sub": "alice", "aud": RESOURCE, "exp": 4_000_000_000, "cnf": DPOP}
    with pytest.raises(TokenRefused, match="bound to a key"):
        identify_token(settings, "opaque-bound")


def test_an_unbound_token_passes(idp: AuthServer) -> None:
    assert identify_with(_settings(idp), idp, RESOURCE).subject == "alice"
