"""Issuer confusion: a gateway that accepts tokens of two identity providers (the company's and
a partner's, say) must not read "alice" or "finance" from one as "alice" or "finance" from the
other. The attacker administers the second provider (or an account on it whose name they
chose) and mints a token for ``sub = alice, groups = [finance]``; rules written for the
company's finance group granted it, and a deny that spares ``sre`` spared their "sre" too.
Two real token issuers on loopback, the gateway's own token check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from mcpward.gateway import GatewayConfig
from mcpward.gateway._interceptors.policy import Policy
from mcpward.gateway.interface import Identity, Session
from oauth_kit import AuthServer, identify_with, issuers_serving

RESOURCE = "https://gateway.example"


@pytest.fixture(scope="module")
def providers() -> Iterator[tuple[AuthServer, AuthServer]]:
    with issuers_serving("company-1", "partner-1") as (company, partner):
        yield company, partner


def _config(company: AuthServer, partner: AuthServer, rules: list[dict[str, Any]]) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {
            "auth": {
                "resource": RESOURCE,
                "issuers": [{"issuer": company.issuer}, {"issuer": partner.issuer}],
            },
            "policy": {"rules": rules},
        }
    )


def _identify(settings: GatewayConfig, issuer: AuthServer, **claims: Any) -> Identity:
    identity: Identity = identify_with(settings, issuer, RESOURCE, **claims)
    return identity


def _granted(settings: GatewayConfig, identity: Identity, tool: str = "pay", tier: str | None = None) -> bool:
    entry = {"id": 1, "tier": tier} if tier else None
    session = Session(server="ledger", target="x", identity=identity, entry=entry)
    return Policy(settings.policy).decide(session, tool)[0]


def test_a_rule_on_groups_without_issuers_is_refused_when_two_providers_sign_in(
    providers: tuple[AuthServer, AuthServer],
) -> None:
    company, partner = providers
    for rule in (
        {"name": "finance", "groups": ["finance"], "allow": ["*"]},
        {"name": "alice", "subjects": ["alice"], "allow": ["*"]},
        {"name": "tier-0", "tiers": ["tier-0"], "not_groups": ["sre"], "deny": ["*"]},
    ):
        with pytest.raises(ValidationError, match="not their issuers"):
            _config(company, partner, [rule])
    with pytest.raises(ValidationError, match="not in"):
        _config(company, partner, [{"name": "typo", "issuers": ["https://compnay.example"], "allow": ["*"]}])
    # a rule that names nobody (every caller of a tier, of a client) needs no issuer
    _config(company, partner, [{"name": "bots", "clients": ["bot-*"], "deny": ["*"]}])


def test_the_partners_alice_in_finance_is_not_the_companys(providers: tuple[AuthServer, AuthServer]) -> None:
    company, partner = providers
    settings = _config(
        company,
        partner,
        [
            {"name": "finance", "issuers": [company.issuer], "groups": ["finance"], "allow": ["*"]},
            {"name": "tier-0", "issuers": [company.issuer], "tiers": ["tier-0"], "not_groups": ["sre"],
             "deny": ["*"]},
            {"name": "tier-0-partner", "issuers": [partner.issuer], "tiers": ["tier-0"], "deny": ["*"]},
            {"name": "everyone", "issuers": [company.issuer, partner.issuer], "tiers": ["tier-0"], "allow": ["*"]},
        ],
    )  # fmt: skip
    ours = _identify(settings, company, sub="alice", groups=["finance"])
    forged = _identify(settings, partner, sub="alice", groups=["finance", "sre"])
    assert ours.issuer == company.issuer and forged.issuer == partner.issuer
    assert _granted(settings, ours)
    assert not _granted(settings, forged)
    # the partner's "sre" does not escape the deny on tier-0 servers that the company's sre does
    company_sre = _identify(settings, company, sub="sam", groups=["sre"])
    assert _granted(settings, company_sre, tier="tier-0")
    assert not _granted(settings, forged, tier="tier-0")


def test_a_static_token_is_its_own_source(providers: tuple[AuthServer, AuthServer]) -> None:
    company, partner = providers
    settings = _config(
        company, partner, [{"name": "ci", "issuers": ["static"], "subjects": ["ci-*"], "allow": ["*"]}]
    )
    assert _granted(settings, Identity("ci-runner"))  # a [[serve.clients]] token: no issuer
    assert not _granted(settings, _identify(settings, partner, sub="ci-runner"))


def test_a_client_named_like_a_person_is_not_that_person(providers: tuple[AuthServer, AuthServer]) -> None:
    """A token without ``sub`` (client credentials) was named by its client id: a client the
    attacker registered as "alice" was the subject "alice", granted what her rules grant."""
    company, partner = providers
    settings = _config(
        company,
        partner,
        [{"name": "alice", "issuers": [company.issuer], "subjects": ["alice"], "allow": ["*"]}],
    )
    alice = _identify(settings, company, sub="alice", azp="desktop-app")
    assert alice.subject == "alice" and _granted(settings, alice)
    robot = _identify(settings, company, sub=None, azp=None, client_id="alice")
    assert robot.subject == "client:alice" and robot.client_id == "alice"
    assert not _granted(settings, robot)
