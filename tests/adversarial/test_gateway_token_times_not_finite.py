"""An access token whose times are NaN never expired and escaped the lifetime bound.

JSON as Python reads it (PyJWT's reader) takes ``NaN``, and PyJWT writes it (``jwt.encode``
with a time computed from a NaN). ``gateway serve`` judged ``exp``, ``nbf`` and ``iat`` with
comparisons, and every comparison with NaN is false: a token of a trusted issuer with
``"exp": NaN`` was never expired (and, as nothing could be remembered until NaN, checked and
taken again on every request, forever), and one with ``"iat": NaN`` passed
``max_token_lifetime`` whatever its ``exp`` (a year), until 2026-12-05. Fail closed: a time
that is not a finite number now refuses the token, as one that is not a number did."""

from __future__ import annotations

import time

import pytest

from mcpward.gateway import GatewayConfig
from mcpward.gateway._oauth import TokenRefused
from oauth_kit import AuthServer, identify_with

RESOURCE = "https://gateway.example"
NAN = float("nan")


def _settings(idp: AuthServer) -> GatewayConfig:
    return GatewayConfig.model_validate({"auth": {"resource": RESOURCE, "issuers": [{"issuer": idp.issuer}]}})


def test_a_token_whose_exp_is_nan_is_refused(idp: AuthServer) -> None:
    with pytest.raises(TokenRefused, match="exp"):
        identify_with(_settings(idp), idp, RESOURCE, exp=NAN)


def test_a_token_whose_iat_is_nan_is_held_to_the_lifetime_bound(idp: AuthServer) -> None:
    with pytest.raises(TokenRefused):
        identify_with(_settings(idp), idp, RESOURCE, iat=NAN, exp=int(time.time() + 365 * 24 * 3600))


def test_a_token_whose_nbf_is_nan_is_refused(idp: AuthServer) -> None:
    with pytest.raises(TokenRefused, match="nbf"):
        identify_with(_settings(idp), idp, RESOURCE, nbf=NAN)
