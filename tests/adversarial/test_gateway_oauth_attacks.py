"""Attacks on ``gateway serve`` as an OAuth resource server, against a real authorization server
on loopback (``oauth_kit``): tokens that are expired, for another audience, from another issuer,
unsigned, HMAC-signed with the public key, tampered with, replayed after expiry; a JWKS that is
down, rotated, or asked for made-up key ids; and the client's token never reaching upstream."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from gateway_attack_kit import INITIALIZE
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from loopback import serving
from mcpward.gateway import (
    AuditLog,
    GatewayConfig,
    Upstream,
    token_exchange_from,
)
from oauth_kit import TOOL_SERVER, AuthServer, WallClock, ec_key, oauth_gateway, rsa_key


@pytest.fixture(scope="module")
def idp() -> Iterator[AuthServer]:
    server = AuthServer(keys=[rsa_key("rsa-1"), ec_key("ec-1")], groups={"alice": ["finance"]})
    with serving(lambda port: server.app(f"http://127.0.0.1:{port}")):
        yield server


@contextlib.contextmanager
def gateway(
    tmp_path: Path, idp: AuthServer, *, clock: WallClock | None = None, upstream: Upstream | None = None,
    **auth: Any,
) -> Iterator[str]:  # fmt: skip
    """``gateway serve``'s app trusting ``idp``, on a loopback port; yields its base URL."""
    settings = GatewayConfig.model_validate({
        "pins": {"enabled": False}, "baseline": {"enabled": False}, "dlp": {"enabled": False},
        "auth": {"resource": "https://gateway.example", "issuers": [{"issuer": idp.issuer}], "scopes": ["mcp"],
                 "jwks_min_refetch_seconds": 30, **auth},
    })  # fmt: skip
    log = AuditLog(tmp_path / "audit.jsonl")
    servers = {"ledger": upstream or Upstream(command=(sys.executable, "-c", TOOL_SERVER))}

    with serving(oauth_gateway(settings, servers, log, clock or WallClock())) as base:
        yield base
    log.close()


def _call(base: str, token: str | None, server: str = "ledger") -> httpx.Response:
    """An initialize (a session and its server process, when the token is accepted)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(f"{base}/servers/{server}/mcp", json=INITIALIZE, headers=headers, timeout=30)


def _admitted(base: str, token: str) -> bool:
    """Whether the gateway takes ``token``, asked without starting a server: a DELETE of no
    session is answered 204 once the caller is admitted (and refused like any request if not)."""
    response = httpx.delete(_for(base), headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code in (204, 401, 403, 503), response.text
    return response.status_code == 204


def _refused(response: httpx.Response, status: int = 401, error: str = "invalid_token") -> str:
    """The refusal's reason, after checking it is the one the MCP specification asks for."""
    assert response.status_code == status, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and f'error="{error}"' in challenge
    assert 'resource_metadata="http://127.0.0.1:' in challenge
    assert "Traceback" not in response.text
    return str(response.json()["error"])


@pytest.fixture(scope="module")
def served(idp: AuthServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with gateway(tmp_path_factory.mktemp("oauth"), idp) as base:
        yield base


def _for(base: str, server: str = "ledger") -> str:
    return f"{base}/servers/{server}/mcp"


def test_no_token_is_challenged_with_the_protected_resource_metadata(served: str, idp: AuthServer) -> None:
    response = _call(served, None)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert "error=" not in challenge and 'scope="mcp"' in challenge  # RFC 6750: no error without a token
    url = challenge.split('resource_metadata="')[1].split('"')[0]
    assert url == f"{served}/.well-known/oauth-protected-resource/servers/ledger/mcp"
    metadata = httpx.get(url).json()
    assert metadata["resource"] == _for(served) and metadata["authorization_servers"] == [idp.issuer]
    assert metadata["scopes_supported"] == ["mcp"]
    root = httpx.get(f"{served}/.well-known/oauth-protected-resource").json()
    assert root["resource"] == served
    assert httpx.get(f"{served}/.well-known/oauth-protected-resource/servers/nope/mcp").status_code == 404


def test_a_valid_token_is_served_and_an_uppercase_host_in_aud_is_the_same_resource(served: str, idp: AuthServer) -> None:  # fmt: skip
    assert _call(served, idp.token(aud=_for(served))).status_code == 200
    assert _admitted(served, idp.token(aud=served.replace("http://", "HTTP://") + "/"))
    assert _admitted(served, idp.token(key=idp.keys[1], aud=[served, _for(served)]))
    # Another service's audience beside ours: one any of them could replay here (2026-12-05:
    # test_gateway_token_other_audiences.py).
    assert not _admitted(served, idp.token(key=idp.keys[1], aud=[served, "https://other.example"]))
    # A client-credentials token (an agent on its own behalf) names its client, not a person.
    assert _admitted(served, idp.token(aud=served, sub=None, azp=None, client_id="nightly-agent"))
    assert "names no subject" in _refused(_call(served, idp.token(aud=served, sub=None, azp=None)))


def test_an_expired_token_is_refused(served: str, idp: AuthServer) -> None:
    assert "expired" in _refused(_call(served, idp.token(aud=served, lifetime=-120)))


def test_a_token_for_another_resource_is_refused(served: str, idp: AuthServer) -> None:
    assert "not for this resource" in _refused(_call(served, idp.token(aud="http://127.0.0.1:1/mcp")))
    # A token for one server of the gateway is no key to another.
    assert "not for this resource" in _refused(_call(served, idp.token(aud=_for(served, "ledger")), "other"))
    assert _refused(_call(served, idp.token(aud=None)))  # no audience at all


def test_a_token_from_another_issuer_is_refused(served: str, idp: AuthServer) -> None:
    # Exact comparison: a trailing slash or another case is another issuer (RFC 9207's thinking).
    for issuer in (idp.issuer + "/", idp.issuer.replace("http://", "HTTP://"), "http://127.0.0.1:9/evil"):
        assert "issuer" in _refused(_call(served, idp.token(aud=served, iss=issuer)))


def test_an_unsigned_token_is_refused(served: str, idp: AuthServer) -> None:
    claims = jwt.decode(idp.token(aud=served), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "rsa-1"})
    assert "algorithm 'none'" in _refused(_call(served, unsigned))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_token_hmac_signed_with_the_public_key_is_refused(served: str, idp: AuthServer) -> None:
    claims = jwt.decode(idp.token(aud=served), options={"verify_signature": False})
    for pem in (idp.keys[0].public_pem(), json.dumps(idp.keys[0].jwk()).encode()):
        signing_input = (
            _b64(b'{"alg":"HS256","kid":"rsa-1","typ":"JWT"}') + "." + _b64(json.dumps(claims).encode())
        )
        signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
        assert "algorithm 'HS256'" in _refused(_call(served, signing_input + "." + _b64(signature)))


def test_a_token_bringing_its_own_key_is_refused(served: str, idp: AuthServer) -> None:
    """Keys come from the issuer's JWKS only: a token that embeds its signer's key (``jwk``),
    points at it (``jku``, ``x5u``) or names a published key while signed with another is refused;
    so is a published RSA key used with an algorithm the gateway does not take for it."""
    attacker = rsa_key("rsa-1")  # the issuer's key id, the attacker's key
    headers = {
        "kid": "rsa-1",
        "jwk": attacker.jwk(),
        "jku": "http://127.0.0.1:9/jwks",
        "x5u": "http://127.0.0.1:9/x",
    }
    claims = jwt.decode(idp.token(aud=served), options={"verify_signature": False})
    forged = jwt.encode(claims, attacker.private, algorithm="RS256", headers=headers)
    assert "signature" in _refused(_call(served, forged))
    other_algorithm = jwt.encode(claims, idp.keys[0].private, algorithm="PS256", headers={"kid": "rsa-1"})
    assert _refused(_call(served, other_algorithm))


def test_a_tampered_token_is_refused(served: str, idp: AuthServer) -> None:
    header, payload, signature = idp.token(aud=served).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"], claims["groups"] = "admin", ["admins"]
    forged = ".".join((header, _b64(json.dumps(claims).encode()), signature))
    assert "signature" in _refused(_call(served, forged))
    assert _refused(_call(served, "not-a-jwt.at.all"))
    assert _refused(_call(served, "x" * 20_000))


def test_a_token_without_the_required_scope_gets_insufficient_scope(served: str, idp: AuthServer) -> None:
    response = _call(served, idp.token(aud=served, scope="profile"))
    assert "scope" in _refused(response, 403, "insufficient_scope")
    assert 'scope="mcp"' in response.headers["www-authenticate"]


def test_a_token_replayed_after_its_expiry_is_refused(tmp_path: Path, idp: AuthServer) -> None:
    clock = WallClock()
    with gateway(tmp_path, idp, clock=clock) as base:
        token = idp.token(aud=base, lifetime=60)
        assert _admitted(base, token)
        assert _admitted(base, token)  # remembered: same answer, no second check
        clock.ahead = 60 + 31  # past exp and the 30 s leeway
        assert "expired" in _refused(_call(base, token))


def test_an_unreachable_jwks_fails_closed_and_recovers(tmp_path: Path, idp: AuthServer) -> None:
    clock = WallClock()
    idp.jwks_up = False
    try:
        with gateway(tmp_path, idp, clock=clock, jwks_max_age_seconds=600) as base:
            token = idp.token(aud=base)
            down = _call(base, token)
            assert down.status_code == 503 and "cannot be fetched" in down.json()["error"]
            assert "Traceback" not in down.text and down.headers["retry-after"]
            idp.jwks_up = True
            clock.ahead = 31  # the next attempt, no sooner: an outage is not hammered either
            assert _admitted(base, token)
            # The IdP goes down again: the keys fetched stand until jwks_max_age, then 503.
            idp.jwks_up = False
            clock.ahead += 400
            assert _admitted(base, idp.token(aud=base, lifetime=2000))
            clock.ahead += 400
            assert _call(base, idp.token(aud=base, lifetime=2000)).status_code == 503
    finally:
        idp.jwks_up = True


def test_a_rotated_jwks_accepts_the_new_key_and_refuses_the_removed_one(tmp_path: Path, idp: AuthServer) -> None:  # fmt: skip
    clock, old_keys = WallClock(), list(idp.keys)
    try:
        with gateway(tmp_path, idp, clock=clock) as base:
            old_token = idp.token(aud=base)
            assert _admitted(base, old_token)
            new_key = ec_key("ec-2")
            idp.keys = [new_key]  # rotated: rsa-1 is revoked
            clock.ahead = 31
            assert _admitted(base, idp.token(key=new_key, aud=base))
            assert "does not publish" in _refused(_call(base, idp.token(key=old_keys[0], aud=base)))
            assert _refused(_call(base, old_token))  # remembered before, refused once its key is gone
    finally:
        idp.keys = old_keys


def test_a_flood_of_unknown_key_ids_fetches_the_jwks_at_most_once(tmp_path: Path, idp: AuthServer) -> None:
    stranger = rsa_key("unused")
    with gateway(tmp_path, idp) as base:
        assert _admitted(base, idp.token(aud=base))
        before = idp.jwks_fetches
        with httpx.Client(timeout=30) as client:
            for n in range(60):
                stranger.kid = f"made-up-{n}"
                token = idp.token(key=stranger, aud=base)
                response = client.post(
                    _for(base), json=INITIALIZE, headers={"Authorization": f"Bearer {token}"}
                )
                assert response.status_code == 401
        assert idp.jwks_fetches - before <= 1


def test_an_opaque_token_is_introspected(tmp_path: Path, idp: AuthServer) -> None:
    auth = {"issuers": [{"issuer": idp.issuer, "introspection_url": f"{idp.issuer}/introspect",
                         "introspection_client_id": "gateway"}]}  # fmt: skip
    with gateway(tmp_path, idp, **auth) as base:
        idp.opaque["opaque-alice"] = {
            "sub": "alice",
            "aud": base,
            "scope": "mcp",
            "exp": int(time.time()) + 60,
        }
        idp.opaque["opaque-elsewhere"] = {"sub": "alice", "aud": "https://other.example", "scope": "mcp",
                                          "exp": int(time.time()) + 60}  # fmt: skip
        assert _admitted(base, "opaque-alice")
        assert "not active" in _refused(_call(base, "opaque-revoked"))
        assert "not for this resource" in _refused(_call(base, "opaque-elsewhere"))


def test_a_flood_of_made_up_opaque_tokens_is_not_passed_on_to_the_issuer(
    tmp_path: Path, idp: AuthServer
) -> None:
    auth = {"issuers": [{"issuer": idp.issuer, "introspection_url": f"{idp.issuer}/introspect"}],
            "introspections_per_second": 5}  # fmt: skip
    with gateway(tmp_path, idp, **auth) as base, httpx.Client(timeout=30) as client:
        before, statuses = idp.introspections, []
        started = time.monotonic()
        for n in range(40):
            headers = {"Authorization": f"Bearer made-up-{n}"}
            statuses.append(client.post(_for(base), json=INITIALIZE, headers=headers).status_code)
        allowed = 10 + 5 * (time.monotonic() - started) + 1  # the burst, and the rate meanwhile
        assert idp.introspections - before <= allowed
        assert set(statuses) == {401, 503} and statuses.count(401) == idp.introspections - before


def test_the_clients_token_never_reaches_the_upstream(tmp_path: Path, idp: AuthServer) -> None:
    seen: list[str | None] = []

    async def mcp(request: Request) -> Response:
        seen.append(request.headers.get("authorization"))
        message = await request.json()
        result = {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "serverInfo": {"name": "up", "version": "1"},
        }
        return JSONResponse({"jsonrpc": "2.0", "id": message.get("id"), "result": result})

    with serving(lambda _port: Starlette(routes=[Route("/mcp", mcp, methods=["POST"])])) as upstream_base:
        upstream = Upstream(
            url=f"{upstream_base}/mcp", headers={"Authorization": "Bearer upstream-credential"}
        )
        with gateway(tmp_path, idp, upstream=upstream) as base:
            token = idp.token(aud=base)
            assert _call(base, token).status_code == 200
        assert seen and all(header == "Bearer upstream-credential" for header in seen)

        # RFC 8693: the upstream gets a token the issuer exchanged for the caller's, for itself.
        seen.clear()
        settings = GatewayConfig.model_validate({"servers": {"up": {"url": f"{upstream_base}/mcp",
            "token_exchange": {"token_url": f"{idp.issuer}/token", "client_id": "gateway",
                               "client_secret": "env:EXCHANGE_SECRET", "audience": "https://upstream.example"}}}})  # fmt: skip
        with pytest.MonkeyPatch.context() as env:
            env.setenv("EXCHANGE_SECRET", "exchange-secret")
            exchange = token_exchange_from(settings, "up")
        exchanged = Upstream(url=f"{upstream_base}/mcp", exchange=exchange)
        with gateway(tmp_path, idp, upstream=exchanged) as base:
            token = idp.token(aud=base, sub="alice")
            assert _call(base, token).status_code == 200
            assert _call(base, token).status_code == 200  # a second session: the exchanged token is kept
    assert len(seen) == 2 and idp.exchanges == 1 and all(token not in header for header in seen)
    upstream_token = jwt.decode(seen[0].removeprefix("Bearer "), options={"verify_signature": False})
    assert upstream_token["sub"] == "alice" and upstream_token["aud"] == "https://upstream.example"
    assert upstream_token["act"] == {"sub": "gateway"}


def test_a_session_answers_only_the_person_and_agent_that_opened_it(served: str, idp: AuthServer) -> None:
    """Sessions belong to (issuer, subject, client): the same person with a refreshed token keeps
    theirs; another person, or the same person through another agent, is told it does not exist."""
    opened = _call(served, idp.token(aud=served, sub="alice", azp="agent-a"))
    session = {"Mcp-Session-Id": opened.headers["mcp-session-id"]}
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}

    def ping_as(sub: str, azp: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {idp.token(aud=served, sub=sub, azp=azp)}", **session}
        return httpx.post(_for(served), json=ping, headers=headers, timeout=30)

    assert ping_as("alice", "agent-a").json()["id"] == 2  # a new token of the same person and agent
    assert ping_as("mallory", "agent-a").status_code == 404
    assert ping_as("alice", "agent-b").status_code == 404
    httpx.delete(_for(served), headers={"Authorization": f"Bearer {idp.token(aud=served, sub='alice', azp='agent-a')}",
                                        **session}, timeout=30)  # fmt: skip
