"""A token whose audience named the gateway and other services was taken.

RFC 8707 binds a token to the resource it was asked for, and the MCP authorization
specification has a server accept only tokens "issued specifically for" it. An access token
whose ``aud`` listed this gateway and other APIs (``["https://gateway.example",
"https://crm.example"]``) was accepted: every other service named holds a token that works
here, and any of them (or whoever reads its logs) could replay it at the gateway as the user,
until 2026-12-05.

Now every audience a token names must be this gateway's (its URL or one of its servers'),
or one the config lists in ``auth.other_audiences``; any other refuses it (401)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mcpward.gateway import GatewayConfig
from mcpward.gateway._oauth import TokenRefused
from oauth_kit import AuthServer, identify_token, issuers_serving

RESOURCE = "https://gateway.example"


@pytest.fixture(scope="module")
def idp() -> Iterator[AuthServer]:
    with issuers_serving("k1") as (server,):
        yield server


def _settings(idp: AuthServer, **auth: Any) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {"auth": {"resource": RESOURCE, "issuers": [{"issuer": idp.issuer}], **auth}}
    )


def test_a_token_for_the_gateway_and_another_service_is_refused(idp: AuthServer) -> None:
    token = idp.token(aud=[RESOURCE, "https://crm.example"])
    with pytest.raises(TokenRefused, match="other audiences"):
        identify_token(_settings(idp), token)


def test_a_token_for_a_server_and_another_service_is_refused(idp: AuthServer) -> None:
    token = idp.token(aud=[f"{RESOURCE}/servers/ledger/mcp", "https://crm.example/"])
    with pytest.raises(TokenRefused, match="other audiences"):
        identify_token(_settings(idp), token)


def test_audiences_of_this_gateway_alone_pass(idp: AuthServer) -> None:
    for aud in (RESOURCE, [RESOURCE], [RESOURCE, f"{RESOURCE}/servers/ledger/mcp"],
                ["HTTPS://Gateway.example/", f"{RESOURCE}/servers/other/mcp", f"{RESOURCE}/servers/ledger/mcp"]):  # fmt: skip
        assert identify_token(_settings(idp), idp.token(aud=aud)).subject == "alice"


def test_an_audience_the_config_lists_is_taken(idp: AuthServer) -> None:
    token = idp.token(aud=[RESOURCE, "https://crm.example"])
    settings = _settings(idp, other_audiences=["https://crm.example"])
    assert identify_token(settings, token).subject == "alice"
    # and only that one
    with pytest.raises(TokenRefused, match="other audiences"):
        identify_token(settings, idp.token(aud=[RESOURCE, "https://crm.example", "https://mail.example"]))


def test_an_audience_of_another_type_is_refused(idp: AuthServer) -> None:
    with pytest.raises(TokenRefused):
        identify_token(_settings(idp), idp.token(aud=[RESOURCE, 7]))
