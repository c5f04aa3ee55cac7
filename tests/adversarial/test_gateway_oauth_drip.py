"""A token endpoint that answers slowly (a byte at a time) against ``gateway serve``'s RFC 8693
exchange for a remote upstream: each read kept within the timeout, so the exchange went on for as
long as the endpoint dripped, a session could not start, and a session whose exchanged token was
due for renewal held every later message behind it (the upstream's lock) with no answer but a
timeout. The exchange now has a deadline as a whole, and the requests that waited for it are
answered with the reason at once. Real loopback servers: the identity provider that signs the
callers' tokens, a token endpoint that drips, the remote MCP server, and the gateway."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_attack_kit import INITIALIZE
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from loopback import handler_serving, serving
from mcpward.gateway import (
    AuditLog,
    GatewayConfig,
    Upstream,
    build_interceptors,
    create_app,
    resource_server_from,
)
from mcpward.gateway._oauth import (
    ExchangeSettings,
    IssuerSettings,
    IssuerUnavailable,
    ResourceServer,
    ResourceSettings,
    TokenExchange,
)
from oauth_kit import AuthServer

#: The exchange's timeout in the test (5 s by default): each read, and now the whole exchange.
EXCHANGE_TIMEOUT = 1.0
#: How long the endpoint drips at most (a byte every 0.2 s), so that no thread outlives the test long.
DRIP_SECONDS = 20.0


class TokenEndpoint(BaseHTTPRequestHandler):
    """Answers an exchanged token valid for 35 s (renewed 30 s before it expires), or, with
    ``drip`` set, a 200 whose body comes a byte every 0.2 s."""

    drip = False
    asked = 0
    dripped = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        cls = type(self)
        cls.asked += 1
        if not cls.drip:
            body = json.dumps(
                {
                    "access_token": f"upstream-{cls.asked}",
                    "token_type": "Bearer",
                    "expires_in": 35,
                    "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                }
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())
            return
        cls.dripped += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        ends = time.monotonic() + DRIP_SECONDS
        with contextlib.suppress(OSError):
            self.wfile.write(b'{"access_token": "')
            while time.monotonic() < ends:
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)

    def log_message(self, *args: Any) -> None:
        pass


class Ahead:
    """The wall clock, moved forward by hand (the exchange's, to make its token due)."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


@pytest.fixture
def endpoint() -> type[TokenEndpoint]:
    """A token endpoint of the test's own (its mode and counts are class attributes)."""
    return type("Endpoint", (TokenEndpoint,), {"drip": False, "asked": 0, "dripped": 0})


async def _mcp(request: Request) -> Response:
    message = await request.json()
    if message.get("method") == "initialize":
        result: dict[str, Any] = {"protocolVersion": "2025-06-18", "capabilities": {},
                                  "serverInfo": {"name": "up", "version": "1"}}  # fmt: skip
    else:
        result = {}
    if "id" not in message:
        return Response(status_code=202)
    return JSONResponse({"jsonrpc": "2.0", "id": message["id"], "result": result})


@contextlib.contextmanager
def _gateway(tmp_path: Path, idp: AuthServer, endpoint: type[TokenEndpoint], clock: Ahead) -> Iterator[str]:
    """``gateway serve``'s app with one remote upstream reached with exchanged tokens."""
    settings = GatewayConfig.model_validate({
        "pins": {"enabled": False}, "baseline": {"enabled": False}, "dlp": {"enabled": False},
        "auth": {"resource": "https://gateway.example", "issuers": [{"issuer": idp.issuer}], "scopes": ["mcp"]},
    })  # fmt: skip
    log = AuditLog(tmp_path / "audit.jsonl")
    remote = Starlette(routes=[Route("/mcp", _mcp, methods=["POST"])])
    with handler_serving(endpoint) as token_base, serving(lambda _port: remote) as up:
        exchange = TokenExchange(
            ExchangeSettings(token_url=f"{token_base}/token", client_id="gateway", client_secret="s",
                             timeout=EXCHANGE_TIMEOUT),
            clock=clock,
        )  # fmt: skip
        servers = {"up": Upstream(url=f"{up}/mcp", exchange=exchange)}

        def app_for(port: int) -> Starlette:
            base = f"http://127.0.0.1:{port}"
            return create_app(
                servers,
                lambda _name, u: build_interceptors(settings, audit_log=log, command=u.command, url=u.url),
                token_hashes={},
                allowed_hosts=(f"127.0.0.1:{port}",),
                max_message=65536,
                call_timeout=10,
                resource_server=resource_server_from(settings, resource=base),
            )

        with serving(app_for) as base:
            yield base
    log.close()


def test_a_dripping_token_endpoint_refuses_a_new_session_within_the_deadline(
    tmp_path: Path, idp: AuthServer, endpoint: type[TokenEndpoint]
) -> None:
    endpoint.drip = True
    with _gateway(tmp_path, idp, endpoint, Ahead()) as base:
        headers = {"Authorization": f"Bearer {idp.token(aud=base, sub='alice')}"}
        started = time.monotonic()
        answer = httpx.post(
            f"{base}/servers/up/mcp", json=INITIALIZE, headers=headers, timeout=DRIP_SECONDS - 5
        )
        took = time.monotonic() - started
    assert took < EXCHANGE_TIMEOUT + 4, took
    assert "token exchange" in answer.text and endpoint.dripped == 1


def test_requests_waiting_for_a_dripping_renewal_are_answered_with_the_reason(
    tmp_path: Path, idp: AuthServer, endpoint: type[TokenEndpoint]
) -> None:
    clock = Ahead()
    with _gateway(tmp_path, idp, endpoint, clock) as base:
        url = f"{base}/servers/up/mcp"
        token = idp.token(aud=base, sub="alice")
        opened = httpx.post(url, json=INITIALIZE, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert opened.status_code == 200 and opened.json()["result"]["serverInfo"]["name"] == "up"
        headers = {"Authorization": f"Bearer {token}", "Mcp-Session-Id": opened.headers["mcp-session-id"]}

        def ping(request_id: int) -> tuple[float, dict[str, Any]]:
            started = time.monotonic()
            answer = httpx.post(url, json={"jsonrpc": "2.0", "id": request_id, "method": "ping"},
                                headers=headers, timeout=DRIP_SECONDS - 5)  # fmt: skip
            return time.monotonic() - started, answer.json()

        # The exchanged token is due for renewal, and the endpoint now drips.
        endpoint.drip, clock.ahead = True, 10.0
        barrier = threading.Barrier(4)

        def together(request_id: int) -> tuple[float, dict[str, Any]]:
            barrier.wait(timeout=10)
            return ping(request_id)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(together, range(10, 14)))
        for took, answer in answers:
            print("took", took)
            assert took < EXCHANGE_TIMEOUT + 4, (took, answer)
            assert "token exchange" in answer["error"]["message"], answer
        assert [answer["id"] for _, answer in answers] == list(range(10, 14))
        # One renewal for the four (the same caller's token), not one after another.
        assert endpoint.dripped <= 2, endpoint.dripped

        # The endpoint answers again: the same session serves at once, nothing is left stuck.
        endpoint.drip = False
        took, answer = ping(20)
        assert answer == {"jsonrpc": "2.0", "id": 20, "result": {}} and took < 4


class Dripping(BaseHTTPRequestHandler):
    """A JWKS or introspection endpoint whose answer comes a byte every 0.2 s."""

    def do_GET(self) -> None:
        self._drip()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self._drip()

    def _drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        ends = time.monotonic() + DRIP_SECONDS
        with contextlib.suppress(OSError):
            while time.monotonic() < ends:
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("token", ["jwt", "opaque"])
def test_a_dripping_jwks_or_introspection_refuses_within_the_deadline(idp: AuthServer, token: str) -> None:
    """The keys and the introspection are fetched with the same deadline as a whole: a JWKS that
    dripped held its issuer's lock, and so every token of that issuer not yet checked, for as
    long as it liked."""
    with handler_serving(Dripping) as dripping:
        issuer = IssuerSettings(
            issuer=idp.issuer, jwks_url=f"{dripping}/jwks", introspection_url=f"{dripping}/introspect"
        )
        resource = "https://gateway.example"
        server = ResourceServer(
            ResourceSettings(resource=resource, issuers=(issuer,), fetch_timeout=EXCHANGE_TIMEOUT)
        )
        presented = idp.token(aud=resource) if token == "jwt" else "opaque-token"

        async def identify() -> tuple[float, BaseException | None]:
            started = time.monotonic()
            try:
                # Bounded here so that the unfixed code fails the test rather than hanging it.
                async with asyncio.timeout(DRIP_SECONDS - 5):
                    await asyncio.gather(*(server.identify(presented, "ledger") for _ in range(3)))
            except BaseException as exc:  # noqa: BLE001 - what it ended with is the result
                return time.monotonic() - started, exc
            finally:
                await server.close()
            return time.monotonic() - started, None

        took, ended = asyncio.run(identify())
    assert isinstance(ended, IssuerUnavailable), ended
    assert took < EXCHANGE_TIMEOUT + 3, took
