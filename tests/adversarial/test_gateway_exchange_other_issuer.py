"""A token exchange (RFC 8693) handed one identity provider another provider's users' tokens.

``gateway serve`` trusting two issuers, A and B, with a remote server whose token exchange is
A's token endpoint: a caller signed in at B opening a session to that server had their access
token (B's, for this gateway) posted to A as the exchange's ``subject_token``. The gateway
takes that token from anyone who presents it until it expires, so A (a partner's provider, or
whoever took its token endpoint) could replay it here and act as B's user: every tool that
user may call, on every server of the gateway. The introspection of opaque tokens was already
kept to one issuer for this reason; the exchange was not (until 2026-12-05).

Now a token exchange names the issuer whose tokens it exchanges (``issuer``; with one
``[[auth.issuers]]`` it is that one, with several it must be named, or the config is refused),
and a caller of another issuer is refused with the reason before anything is sent."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
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
from mcpward.gateway._config import ConfigError
from oauth_kit import AuthServer, issuers_serving, oauth_gateway


@contextlib.contextmanager
def _token_endpoint() -> Iterator[tuple[str, list[str]]]:
    """A token endpoint that keeps every subject token it is sent (what a provider, or whoever
    answers at its token endpoint, can do) and exchanges any of them."""
    received: list[str] = []

    async def token(request: Request) -> Response:
        form = await request.form()
        received.append(str(form.get("subject_token")))
        return JSONResponse(
            {
                "access_token": "for-the-upstream",
                "token_type": "Bearer",
                "expires_in": 300,
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            }
        )

    with serving(lambda _port: Starlette(routes=[Route("/token", token, methods=["POST"])])) as base:
        yield f"{base}/token", received


@contextlib.contextmanager
def _upstream() -> Iterator[str]:
    async def mcp(request: Request) -> Response:
        message = await request.json()
        result = {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "serverInfo": {"name": "up", "version": "1"},
        }
        return JSONResponse({"jsonrpc": "2.0", "id": message.get("id"), "result": result})

    with serving(lambda _port: Starlette(routes=[Route("/mcp", mcp, methods=["POST"])])) as base:
        yield f"{base}/mcp"


def _config(
    issuers: list[AuthServer], upstream: str, exchange: dict[str, Any], takes: tuple[str, ...] = ()
) -> GatewayConfig:
    return GatewayConfig.model_validate({
        "pins": {"enabled": False}, "baseline": {"enabled": False}, "dlp": {"enabled": False},
        "auth": {"resource": "https://gateway.example", "issuers": [{"issuer": i.issuer} for i in issuers]},
        "servers": {"up": {"url": upstream, "token_exchange": {"client_id": "gateway", **exchange},
                           "issuers": takes},
                    "ledger": {"command": [sys.executable, "-c", "pass"]}},
    })  # fmt: skip


@contextlib.contextmanager
def _gateway(tmp_path: Path, settings: GatewayConfig) -> Iterator[str]:
    log = AuditLog(tmp_path / "audit.jsonl")
    up = settings.servers["up"]
    servers = {"up": Upstream(url=up.url, exchange=token_exchange_from(settings, "up"))}

    app_for = oauth_gateway(settings, servers, log)

    with serving(app_for) as base:
        yield base
    log.close()


def _initialize(base: str, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.post(f"{base}/servers/up/mcp", json=INITIALIZE, headers=headers, timeout=30)


@pytest.mark.parametrize("both", [False, True])
def test_a_caller_of_another_issuer_is_not_exchanged_at_this_issuers_token_endpoint(
    tmp_path: Path, both: bool
) -> None:
    with (
        issuers_serving("a-1", "b-1") as (a, b),
        _token_endpoint() as (token_url, received),
        _upstream() as up,
    ):
        # The server takes A's callers alone (its exchange's issuer), or, named, both issuers'.
        takes = (a.issuer, b.issuer) if both else ()
        settings = _config([a, b], up, {"token_url": token_url, "issuer": a.issuer}, takes)
        with _gateway(tmp_path, settings) as base:
            bobs = b.token(aud=base, sub="bob")
            refused = _initialize(base, bobs)
            # Refused with the reason, and bob's token was sent nowhere: before, it reached A's
            # token endpoint, which could present it here as bob. (Since 2026-12-05 a server
            # whose exchange is A's takes A's callers alone: 401 before any session.)
            if both:
                assert f"for callers of {a.issuer}" in refused.json()["error"]["message"], refused.text
            else:
                assert refused.status_code == 401, refused.text
                assert "not trusted for this server" in refused.json()["error"]
            assert bobs not in received
            # A's own users are exchanged as before.
            alices = a.token(aud=base, sub="alice")
            assert _initialize(base, alices).json()["result"]["serverInfo"]["name"] == "up"
            assert received == [alices]


def test_with_several_issuers_an_exchange_must_name_its_issuer(tmp_path: Path) -> None:
    with issuers_serving("a-1", "b-1") as (a, b):
        exchange = {"token_url": f"{a.issuer}/token"}
        with pytest.raises(ValueError, match=r"token_exchange must name its issuer"):
            _config([a, b], "https://up.example/mcp", exchange)
        with pytest.raises(ValueError, match=r"not in \[\[auth\.issuers\]\]"):
            _config([a], "https://up.example/mcp", {**exchange, "issuer": "https://other.example"})
        # With one issuer, its tokens are the only ones there are: the exchange is for it.
        one = _config([a], "https://up.example/mcp", exchange)
        assert one.servers["up"].token_exchange is not None
        made = token_exchange_from(one, "up")
        assert made is not None and made.settings.issuer == a.issuer


def test_the_config_file_names_the_exchanges_issuer(tmp_path: Path) -> None:
    from mcpward.gateway import load_config

    path = tmp_path / "gateway.toml"
    path.write_text(
        '[auth]\nresource = "https://gw.example"\n'
        '[[auth.issuers]]\nissuer = "https://a.example"\n[[auth.issuers]]\nissuer = "https://b.example"\n'
        '[servers.up]\nurl = "https://up.example/mcp"\n[servers.up.token_exchange]\n'
        'token_url = "https://a.example/token"\nclient_id = "gw"\n'
    )
    with pytest.raises(ConfigError, match="issuer"):
        load_config(path)
    path.write_text(path.read_text() + 'issuer = "https://a.example"\n')
    assert load_config(path).servers["up"].token_exchange is not None
