"""An opaque token that introspection called a refresh token was taken as an access token.

RFC 7662 introspection answers for any token its issuer knows, refresh tokens included (the
``token_type_hint`` is only a hint), and says which kind in ``token_type``. The gateway read
``active``, the issuer, the audience and the times, never the type: a refresh token (which
lives for days or months, is held by the client for the authorization server alone, and whose
audience some providers set to the resources it may be refreshed for) was taken at the gateway
as a bearer access token, and so was a token bound to a key (``token_type`` ``DPoP``), whose
thief needs the key's proof elsewhere, until 2026-12-05.

Now an introspected token whose answer names a ``token_type`` other than ``Bearer`` (or the
access token type) is refused; an answer that names none is taken as before."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from mcpward.gateway import GatewayConfig
from mcpward.gateway._oauth import TokenRefused
from oauth_kit import AuthServer, identify_token, issuers_serving

RESOURCE = "https://gateway.example"


@pytest.fixture(scope="module")
def idp() -> Iterator[AuthServer]:
    with issuers_serving("k1") as (server,):
        yield server


def _settings(idp: AuthServer) -> GatewayConfig:
    issuer = {"issuer": idp.issuer, "introspection_url": f"{idp.issuer}/introspect"}
    return GatewayConfig.model_validate({"auth": {"resource": RESOURCE, "issuers": [issuer]}})


def _opaque(idp: AuthServer, name: str, **answer: str) -> str:
    now = int(time.time())
    idp.opaque[name] = {"sub": "alice", "aud": RESOURCE, "iat": now, "exp": now + 300, **answer}
    return name


@pytest.mark.parametrize(
    "kind", ["refresh_token", "Refresh", "DPoP", "N_A", "urn:ietf:params:oauth:token-type:id_token"]
)
def test_an_introspected_token_of_another_type_is_refused(idp: AuthServer, kind: str) -> None:
    with pytest.raises(TokenRefused, match="not a bearer access token"):
        identify_token(_settings(idp), _opaque(idp, f"opaque-{kind}", token_type=kind))


@pytest.mark.parametrize(
    "kind", [None, "Bearer", "bearer", "access_token", "urn:ietf:params:oauth:token-type:access_token"]
)
def test_an_introspected_access_token_is_taken(idp: AuthServer, kind: str | None) -> None:
    answer = {} if kind is None else {"token_type": kind}
    assert identify_token(_settings(idp), _opaque(idp, f"access-{kind}", **answer)).subject == "alice"
