"""An access token issued in the future (``iat`` ahead of the gateway's clock) was taken.

``gateway serve`` checked ``exp`` and ``nbf`` within its leeway and bounded a token's lifetime
as ``exp - iat``, but never looked at whether ``iat`` had come yet (PyJWT's own check of it was
turned off, as the gateway judges times on its own clock). A token minted by an issuer whose
clock ran two days ahead, or signed with made-up times, and no ``nbf`` (most access tokens
carry none) was accepted at once, and as its lifetime was counted from that ``iat``, it stayed
good for two days and an hour where ``max_token_lifetime`` allows a day (until 2026-12-05).
Opaque tokens whose introspection answered such an ``iat`` were taken alike.

Now a token whose ``iat`` is more than the leeway ahead is refused (401) as not yet valid,
as PyJWT refuses it; a token within the leeway (an ordinary clock skew) passes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from mcpward.gateway import GatewayConfig
from mcpward.gateway._oauth import TokenRefused
from oauth_kit import AuthServer, identify_token, identify_with

RESOURCE = "https://gateway.example"


def _settings(idp: AuthServer, **issuer: Any) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {"auth": {"resource": RESOURCE, "issuers": [{"issuer": idp.issuer, **issuer}]}}
    )


def test_a_token_issued_two_days_ahead_is_refused(idp: AuthServer) -> None:
    ahead = time.time() + 2 * 24 * 3600
    with pytest.raises(TokenRefused, match="not valid yet"):
        identify_with(_settings(idp), idp, RESOURCE, iat=int(ahead), exp=int(ahead + 3600))


def test_a_token_issued_a_few_seconds_ahead_passes(idp: AuthServer) -> None:
    # An ordinary clock skew between the issuer and the gateway, within the 30 s leeway.
    ahead = time.time() + 10
    identity = identify_with(_settings(idp), idp, RESOURCE, iat=int(ahead), exp=int(ahead + 300))
    assert identity.subject == "alice"


def test_an_introspected_token_issued_ahead_is_refused(idp: AuthServer) -> None:
    settings = _settings(idp, introspection_url=f"{idp.issuer}/introspect")
    ahead = time.time() + 2 * 24 * 3600
    idp.opaque["opaque-ahead"] = {
        "sub": "alice",
        "aud": RESOURCE,
        "iat": int(ahead),
        "exp": int(ahead + 3600),
    }
    with pytest.raises(TokenRefused, match="not valid yet"):
        identify_token(settings, "opaque-ahead")
