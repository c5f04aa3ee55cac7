"""The registry's single sign-on against a provider (or whoever answers in its name) whose
answers are hostile: a key set that never ends (PyJWT's key client, used before, read it whole
into the registry's memory, each read within the timeout but the whole without a bound),
metadata that never ends (read whole before its size was checked), a token answer nested too
deeply for the JSON parser (a 500), a key set that redirects elsewhere (not followed, before or
now), and an ID token whose key id is not a string. Each sign-in is refused with a clear page, promptly,
and nothing is read past the bound. Real servers on loopback: the registry, and the kit's
authorization server with the hostile route laid over it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from loopback import answering, handler_serving, serving
from mcpward.registry import Registry, Role
from mcpward.registry.web import OidcSettings, create_app
from oauth_kit import AuthServer, rsa_key

#: What an endless answer offers at most (a bound for the test's own loop), in 64 KiB chunks.
_ENDLESS_CHUNKS = 16_384


class Hostile:
    """Which of the provider's answers is replaced, and how many bytes of it were sent."""

    def __init__(self) -> None:
        self.routes: tuple[str, ...] = ()
        self.kind = ""
        self.sent = 0
        self.elsewhere = ""

    def endless(self, opening: bytes) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield opening
            for _ in range(_ENDLESS_CHUNKS):  # about a chunk a millisecond: a minute or more in all
                self.sent += 65_536
                yield b"x" * 65_536
                await asyncio.sleep(0.001)

        return StreamingResponse(body(), media_type="application/json")


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[AuthServer, Hostile]]:
    server = AuthServer(keys=[rsa_key("rsa-1")], groups={"alice": ["mcp-admins"]})
    hostile = Hostile()

    def app_for(port: int) -> Any:
        issuer = f"http://127.0.0.1:{port}"
        honest = server.app(issuer)

        async def replaced(_request: Request) -> Response:
            if hostile.kind == "endless":
                return hostile.endless(b'{"keys": [], "padding": "')
            if hostile.kind == "redirect":
                return RedirectResponse(hostile.elsewhere, status_code=302)
            if hostile.kind == "nested":
                return Response(b"[" * 200_000, media_type="application/json")
            return JSONResponse({"error": "unknown hostile kind"}, status_code=500)

        replacing = Starlette(routes=[Route("/{path:path}", replaced, methods=["GET", "POST"])])

        async def either(scope: Any, receive: Any, send: Any) -> None:
            chosen = scope["type"] == "http" and scope["path"] in hostile.routes
            await (replacing if chosen else honest)(scope, receive, send)

        return either

    with serving(app_for):
        yield server, hostile


@pytest.fixture
def site(tmp_path: Path, provider: tuple[AuthServer, Hostile]) -> Iterator[str]:
    """A registry of its own for each test: it discovers the metadata and fetches the keys once."""
    server, _hostile = provider
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")

    def app_for(port: int) -> Any:
        settings = OidcSettings(issuer=server.issuer, client_id="registry", public_url=f"http://127.0.0.1:{port}",
                                roles={"mcp-admins": Role.ADMIN}, timeout=5)  # fmt: skip
        return create_app(registry, oidc=settings)

    with serving(app_for) as base:
        yield base
    registry.database.dispose()


@pytest.fixture
def hostile(provider: tuple[AuthServer, Hostile]) -> Iterator[Hostile]:
    _server, found = provider
    yield found
    found.routes, found.kind, found.sent = (), "", 0


def _sign_in(base: str) -> httpx.Response:
    """A browser's whole sign-in: start, the provider's page, the callback."""
    with httpx.Client(timeout=60) as browser:
        started = browser.get(f"{base}/login/sso?next=/fleet")
        if started.status_code != 303:
            return started
        back = httpx.get(started.headers["location"])
        return browser.get(back.headers["location"])


def test_an_honest_provider_signs_in(site: str, hostile: Hostile) -> None:
    landed = _sign_in(site)
    assert landed.status_code == 200 and 'url=/fleet"' in landed.text


def test_a_key_set_that_never_ends_is_refused_without_reading_it(site: str, hostile: Hostile) -> None:
    hostile.routes, hostile.kind = ("/jwks",), "endless"
    began = time.monotonic()
    refused = _sign_in(site)
    assert refused.status_code == 401 and "could not be verified" in refused.text
    assert time.monotonic() - began < 10
    assert hostile.sent < 16 * 1024 * 1024  # the registry stopped reading at its bound (256 KiB)


def test_a_key_set_that_redirects_is_not_followed(site: str, hostile: Hostile) -> None:
    hits: list[str] = []
    with handler_serving(answering(b'{"keys": []}', hits)) as elsewhere:
        hostile.routes, hostile.kind, hostile.elsewhere = ("/jwks",), "redirect", f"{elsewhere}/keys"
        refused = _sign_in(site)
    assert refused.status_code == 401
    assert hits == []


def test_metadata_that_never_ends_is_refused_without_reading_it(site: str, hostile: Hostile) -> None:
    hostile.kind = "endless"
    hostile.routes = ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")
    began = time.monotonic()
    refused = httpx.get(f"{site}/login/sso", timeout=60)
    assert refused.status_code == 503 and "cannot be read" in refused.text
    assert time.monotonic() - began < 10
    assert hostile.sent < 16 * 1024 * 1024


def test_a_token_answer_nested_too_deeply_is_refused(site: str, hostile: Hostile) -> None:
    hostile.routes, hostile.kind = ("/token",), "nested"
    refused = _sign_in(site)
    assert refused.status_code == 401 and "could not be verified" in refused.text


def test_an_id_token_whose_key_id_is_not_a_string_is_refused(
    site: str, provider: tuple[AuthServer, Hostile], hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = provider
    honest = server.token

    def listed_kid(**claims: Any) -> str:
        _header, _, rest = honest(**claims).partition(".")
        header = jwt.utils.base64url_encode(b'{"alg":"RS256","kid":["rsa-1"]}').decode()
        return f"{header}.{rest}"

    monkeypatch.setattr(server, "token", listed_kid)
    refused = _sign_in(site)
    assert refused.status_code == 401 and "could not be verified" in refused.text
