"""Issuer confusion the first fix left open (see ``test_gateway_issuer_confusion``): a rule had to
name its issuers only when it named subjects or groups under two ``[[auth.issuers]]``.

- A grant on a client id or a scope is a name too: the partner's administrator registers a
  client called ``finance-agent`` (or defines the scope ``payments:write``) and mints a token
  with it; a rule that grants the company's ``finance-agent`` granted the partner's.
- A static ``[[serve.clients]]`` token is a source of its own: with one provider and static
  tokens, a rule written for the static ``ci-*`` tokens granted the provider's user (or
  client-credentials client, whose id is then the subject) named ``ci-runner``.

Real token issuers on loopback, the gateway's own token check."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from mcpward.gateway import GatewayConfig, resource_server_from
from mcpward.gateway._interceptors.policy import Policy
from mcpward.gateway.interface import Identity, Session
from oauth_kit import AuthServer, identify_with, issuers_serving

RESOURCE = "https://gateway.example"
STATIC = {"name": "ci-deploy", "sha256": "0" * 64}


@pytest.fixture(scope="module")
def providers() -> Iterator[tuple[AuthServer, AuthServer]]:
    with issuers_serving("company-1", "partner-1") as (company, partner):
        yield company, partner


def _config(issuers: list[AuthServer], rules: list[dict[str, Any]], *, static: bool = False) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {
            "auth": {"resource": RESOURCE, "issuers": [{"issuer": issuer.issuer} for issuer in issuers]},
            "serve": {"clients": [STATIC] if static else []},
            "policy": {"rules": rules},
        }
    )


def _identify(settings: GatewayConfig, issuer: AuthServer, **claims: Any) -> Identity:
    identity: Identity = identify_with(settings, issuer, RESOURCE, **claims)
    return identity


def _granted(settings: GatewayConfig, identity: Identity) -> bool:
    return Policy(settings.policy).decide(Session(server="ledger", target="x", identity=identity), "pay")[0]


@pytest.mark.parametrize(
    "rule",
    [
        {"name": "agent", "clients": ["finance-agent"], "allow": ["*"]},
        {"name": "payers", "scopes": ["payments:write"], "allow": ["pay"]},
    ],
)
def test_a_grant_on_a_client_or_scope_must_say_whose(
    providers: tuple[AuthServer, AuthServer], rule: dict[str, Any]
) -> None:
    company, partner = providers
    with pytest.raises(ValidationError, match="not their issuers"):
        _config([company, partner], [rule])
    settings = _config([company, partner], [{**rule, "issuers": [company.issuer]}])
    claims = {"sub": "mallory", "azp": "finance-agent", "scope": "payments:write"}
    assert _granted(settings, _identify(settings, company, **claims))
    assert not _granted(settings, _identify(settings, partner, **claims))
    # a deny on a client of either provider only refuses more: no issuers needed
    _config([company, partner], [{"name": "bots", "clients": ["bot-*"], "deny": ["*"]}])


def test_a_static_tokens_name_is_not_the_providers_subject(providers: tuple[AuthServer, AuthServer]) -> None:
    company, _ = providers
    ci = {"name": "ci", "subjects": ["ci-*"], "allow": ["*"]}
    with pytest.raises(ValidationError, match="not their issuers"):
        _config([company], [ci], static=True)
    settings = _config([company], [{**ci, "issuers": ["static"]}], static=True)
    assert _granted(settings, Identity("ci-deploy"))  # the [[serve.clients]] token
    assert not _granted(settings, _identify(settings, company, sub="ci-runner"))
    # a client-credentials token (no sub) is named by its client id: no way around it either
    assert not _granted(settings, _identify(settings, company, sub=None, azp="ci-runner"))
    # one source only (no static tokens, or static tokens off): nothing to confuse
    _config([company], [ci])
    GatewayConfig.model_validate(
        {
            "auth": {"resource": RESOURCE, "issuers": [{"issuer": company.issuer}], "static_tokens": False},
            "serve": {"clients": [STATIC]},
            "policy": {"rules": [ci]},
        }
    )


def test_one_providers_opaque_tokens_are_never_sent_to_anothers_introspection(
    providers: tuple[AuthServer, AuthServer],
) -> None:
    """An opaque token went to the first issuer that introspects: with the partner listed first,
    every opaque token of the company's users was handed to the partner's endpoint (a bearer
    token it could use wherever the company's tokens are taken), and the partner answered for
    it. Two introspecting issuers are refused; one still works."""
    company, partner = providers
    issuers = [
        {"issuer": partner.issuer, "introspection_url": f"{partner.issuer}/introspect"},
        {"issuer": company.issuer, "introspection_url": f"{company.issuer}/introspect"},
    ]
    with pytest.raises(ValidationError, match="at most one of"):
        GatewayConfig.model_validate({"auth": {"resource": RESOURCE, "issuers": issuers}})
    # The server takes the company's callers alone: an opaque token there can only be the
    # company's (where it could be the partner's, nothing is sent: 2026-12-05,
    # test_gateway_opaque_token_other_issuer.py).
    ledger = {"command": ["true"], "issuers": [company.issuer]}
    settings = GatewayConfig.model_validate(
        {
            "auth": {"resource": RESOURCE, "issuers": [issuers[1], {"issuer": partner.issuer}]},
            "servers": {"ledger": ledger},
        }
    )
    company.opaque["company-opaque"] = {"sub": "alice", "aud": RESOURCE, "exp": int(time.time()) + 60}
    server = resource_server_from(settings)
    assert server is not None

    async def run() -> Identity:
        try:
            return await server.identify("company-opaque", "ledger")
        finally:
            await server.close()

    before = partner.introspections
    assert asyncio.run(run()).issuer == company.issuer
    assert partner.introspections == before
