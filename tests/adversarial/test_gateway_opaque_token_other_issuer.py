"""An opaque access token went to whichever issuer introspects, whatever server it was for.

``gateway serve`` trusting two issuers: the company's (JWT access tokens, no introspection) and
a partner's (opaque tokens, introspected). A token that is not a JWT names no issuer, and the
gateway sent every one to the partner's introspection endpoint, for any server:

- a token of the company's (an opaque one it issues for some other API, or a refresh token a
  client sent by mistake) presented for a server meant for the company's people alone was
  handed to the partner, who could keep and replay it where the company's tokens are taken;
- a token the partner calls active was taken on that server too, so that the partner's users
  reached a server that only the company's were meant to reach (the policy's rules are the
  only other line, and a rule that names no issuers lets them through).

Until 2026-12-05. Now a server may name the issuers whose callers it takes
(``servers.NAME.issuers``; a token exchange's issuer alone when it names one, every issuer
otherwise): a token of another issuer is refused on it (401), JWT or opaque, and an opaque
token is introspected only where every issuer the server takes introspects (at most one may):
where it could be a token of an issuer that does not, nothing is sent and it is refused. A
static ``[[serve.clients]]`` token is another source: taken on such a server only when its
``issuers`` list ``"static"``.

Real issuers on loopback, the gateway's own token check."""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from loopback import serving
from mcpward.gateway import (
    AuditLog,
    GatewayConfig,
    Upstream,
    build_interceptors,
    create_app,
    resource_server_from,
)
from oauth_kit import AuthServer, identify_token, issuers_serving

RESOURCE = "https://gateway.example"
STDIO = {"command": [sys.executable, "-c", "pass"]}


@pytest.fixture(scope="module")
def providers() -> Iterator[tuple[AuthServer, AuthServer]]:
    with issuers_serving("company-1", "partner-1") as (company, partner):
        yield company, partner


def _config(company: AuthServer, partner: AuthServer, servers: dict[str, Any]) -> GatewayConfig:
    issuers = [
        {"issuer": company.issuer},
        {"issuer": partner.issuer, "introspection_url": f"{partner.issuer}/introspect"},
    ]
    return GatewayConfig.model_validate(
        {"auth": {"resource": RESOURCE, "issuers": issuers}, "servers": servers}
    )


def _times() -> dict[str, int]:
    now = int(time.time())
    return {"iat": now, "exp": now + 300}


def _refused(settings: GatewayConfig, token: str, server: str) -> str:
    from mcpward.gateway._oauth import TokenRefused

    with pytest.raises(TokenRefused) as refused:
        identify_token(settings, token, server)
    return refused.value.why


def test_an_opaque_token_for_a_server_of_the_company_is_not_sent_to_the_partner(
    providers: tuple[AuthServer, AuthServer],
) -> None:
    company, partner = providers
    settings = _config(company, partner, {"payroll": {**STDIO, "issuers": [company.issuer]}})
    partner.opaque["company-opaque-1"] = {"sub": "mallory", "aud": RESOURCE, **_times()}
    before = partner.introspections
    why = _refused(settings, "company-opaque-1", "payroll")
    assert partner.introspections == before, "the token was handed to another issuer's introspection"
    assert "introspect" in why


def test_the_partners_token_is_refused_on_a_server_of_the_company(
    providers: tuple[AuthServer, AuthServer],
) -> None:
    company, partner = providers
    settings = _config(company, partner, {"payroll": {**STDIO, "issuers": [company.issuer]}, "ledger": STDIO})
    jwt_token = partner.token(aud=RESOURCE, sub="mallory")
    assert "not trusted for this server" in _refused(settings, jwt_token, "payroll")
    # the company's own still pass there, and the partner's where every issuer is taken
    assert identify_token(settings, company.token(aud=RESOURCE, sub="carol"), "payroll").subject == "carol"
    assert identify_token(settings, jwt_token, "ledger").subject == "mallory"


def test_where_a_token_could_be_an_issuers_that_does_not_introspect_it_goes_nowhere(
    providers: tuple[AuthServer, AuthServer],
) -> None:
    company, partner = providers
    # ledger takes both issuers: an opaque token could be the company's, so it is not sent
    settings = _config(
        company, partner, {"ledger": STDIO, "partner-tools": {**STDIO, "issuers": [partner.issuer]}}
    )
    partner.opaque["partner-opaque-1"] = {"sub": "pat", "aud": RESOURCE, **_times(),
                                          "iss": partner.issuer}  # fmt: skip
    before = partner.introspections
    assert "introspect" in _refused(settings, "partner-opaque-1", "ledger")
    assert partner.introspections == before
    # on a server of the partner's alone its opaque tokens are introspected as before
    assert identify_token(settings, "partner-opaque-1", "partner-tools").subject == "pat"
    assert partner.introspections == before + 1


def test_a_servers_issuers_must_be_configured_ones(providers: tuple[AuthServer, AuthServer]) -> None:
    company, partner = providers
    with pytest.raises(ValidationError, match="not in"):
        _config(company, partner, {"payroll": {**STDIO, "issuers": ["https://elsewhere.example"]}})


def test_a_servers_metadata_names_its_own_issuers(providers: tuple[AuthServer, AuthServer]) -> None:
    company, partner = providers
    settings = _config(company, partner, {"payroll": {**STDIO, "issuers": [company.issuer]}, "ledger": STDIO})
    server = resource_server_from(settings)
    assert server is not None
    assert server.metadata("payroll")["authorization_servers"] == [company.issuer]
    assert server.metadata("ledger")["authorization_servers"] == [company.issuer, partner.issuer]
    assert server.metadata(None)["authorization_servers"] == [company.issuer, partner.issuer]
    asyncio.run(server.close())


def test_a_static_client_token_reaches_a_server_that_names_its_issuers_only_when_listed(
    providers: tuple[AuthServer, AuthServer], tmp_path: Path
) -> None:
    """A server that names its issuers takes their callers; a ``[[serve.clients]]`` token is
    another source, taken there only when ``"static"`` is listed."""
    company, partner = providers
    token = "mcpg_static-client-token-of-the-server-issuers-test"
    servers_config = {
        "payroll": {**STDIO, "issuers": [company.issuer]},
        "reports": {**STDIO, "issuers": [company.issuer, "static"]},
        "ledger": STDIO,
    }
    settings = _config(company, partner, servers_config)
    servers = {name: Upstream(command=tuple(STDIO["command"])) for name in servers_config}
    log = AuditLog(tmp_path / "audit.jsonl")

    def app_for(port: int) -> Any:
        return create_app(
            servers,
            lambda _name, up: build_interceptors(settings, audit_log=log, command=up.command, url=up.url),
            token_hashes={hashlib.sha256(token.encode()).hexdigest(): "ci"},
            allowed_hosts=(f"127.0.0.1:{port}",),
            max_message=65536,
            call_timeout=30,
            resource_server=resource_server_from(settings, resource=f"http://127.0.0.1:{port}"),
        )

    try:
        with serving(app_for) as base:

            def status(server: str) -> int:
                headers = {"Authorization": f"Bearer {token}"}
                return httpx.delete(f"{base}/servers/{server}/mcp", headers=headers, timeout=30).status_code

            assert status("payroll") == 401
            assert status("reports") == 204 and status("ledger") == 204
    finally:
        log.close()
    with pytest.raises(ValidationError, match="needs"):
        GatewayConfig.model_validate({"servers": {"x": {**STDIO, "issuers": ["static"]}}})
