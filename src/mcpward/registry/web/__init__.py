"""``mcpward registry serve``: the registry as a web application.

- ``/api/...``: the JSON API for everything the commands do (OpenAPI at ``/openapi.json``),
  authenticated with ``Authorization: Bearer`` API tokens and their roles;
- ``/v0/servers`` (and ``/v0.1``): the official MCP registry's read API, approved entries only,
  so clients' private-registry setting can point here;
- ``/queue``, ``/entries/ID``, ``/fleet`` (and ``/held``, a gateway's held results, when
  served with one): reviewers' pages rendered on the server, with a
  session cookie after signing in with a token or through the organisation's OpenID Connect
  provider (``/login/sso``, groups mapped to roles), and a CSRF token in every form.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from mcpward import __version__
from mcpward.dlp import redact_text
from mcpward.registry._service import Registry
from mcpward.registry.interface import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PolicyRefusal,
    RegistryError,
)
from mcpward.registry.web._auth import FailureThrottle
from mcpward.registry.web._held import HeldReview
from mcpward.registry.web._limits import (
    BodyLimit,
    FleetLimits,
    ReadApiCors,
    RequestLimits,
    SecurityHeaders,
    UploadRate,
)
from mcpward.registry.web._oidc import OidcSettings, load_oidc_settings

__all__ = [
    "MAX_BODY_BYTES",
    "FleetLimits",
    "HeldReview",
    "OidcSettings",
    "RequestLimits",
    "create_app",
    "load_oidc_settings",
]

#: Larger bodies are refused with 413 before they are read: 1,000 servers of a fleet report fit
#: in well under this.
MAX_BODY_BYTES = 2 * 1024 * 1024

_STATUS = {NotFound: 404, Conflict: 409, Forbidden: 403, InvalidInput: 422, PolicyRefusal: 422}


def create_app(
    registry: Registry,
    *,
    public_v0: bool = True,
    max_body: int = MAX_BODY_BYTES,
    held: HeldReview | None = None,
    oidc: OidcSettings | None = None,
    fleet: FleetLimits | None = None,
    requests: RequestLimits | None = None,
    public_url: str | None = None,
) -> FastAPI:
    """``held``: a gateway's held results, for the reviewers' ``/held`` page; ``oidc``: single
    sign-on for the pages through an OpenID Connect provider (API tokens stay); ``fleet``: what
    one token holder may send to the fleet inventory; ``requests``: the entries it may ask for;
    ``public_url``: the registry's address as browsers reach it (https: behind a proxy that
    ends TLS, whose plain-http requests are judged https for the cookies)."""
    from pathlib import Path

    from mcpward.registry.web import _api, _held, _official, _oidc, _pages

    app = FastAPI(
        title="mcpward registry",
        version=__version__,
        description="Approved MCP servers, their reviews, and the fleet inventory.",
        docs_url=None,  # the interactive docs load scripts from a CDN; the description is enough
        redoc_url=None,
    )
    app.state.registry = registry
    app.state.public_v0 = public_v0
    app.state.held = held
    app.state.v0_pages = _official.PageCache()
    app.state.v0_exports = _official.ExportCache()
    app.state.auth_throttle = FailureThrottle()
    app.state.fleet_limits = fleet = fleet or FleetLimits()
    app.state.fleet_rate = UploadRate(fleet.uploads_per_minute)
    app.state.request_rate = UploadRate((requests or RequestLimits()).per_minute)
    app.state.oidc = _oidc.make_provider(oidc)
    app.state.kept_choices = _pages.KeptChoices()
    app.state.public_url = public_url or ""
    _access_log_without_queries()
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, max_bytes=max_body)
    app.add_middleware(ReadApiCors)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")

    @app.exception_handler(RegistryError)
    async def _registry_error(_request: Request, exc: RegistryError) -> JSONResponse:
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
        return JSONResponse({"detail": redact_text(str(exc))}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own answer repeats each bad value ("input"), which may be a secret.
        problems = [
            {
                "type": error.get("type"),
                "loc": [_text(part) if isinstance(part, str) else part for part in error.get("loc", ())],
                "msg": _text(str(error.get("msg", ""))),
            }
            for error in exc.errors()[:20]
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # A person who mistypes a page's address gets a page; programs (the JSON and /v0
        # APIs, or any client that does not ask for HTML) keep FastAPI's JSON answer.
        if _wants_page(request):
            return _pages.error_page(request, str(exc.detail), exc.status_code)
        return JSONResponse(
            {"detail": _text(str(exc.detail))}, status_code=exc.status_code, headers=exc.headers
        )

    app.include_router(_api.router)
    app.include_router(_official.router, prefix="/v0")
    # The official registry's stable version; VS Code asks for /v0.1/servers.
    app.include_router(_official.router, prefix="/v0.1", include_in_schema=False)
    app.include_router(_pages.router)
    app.include_router(_held.router)
    app.include_router(_oidc.router)
    return app


def _wants_page(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/v0/", "/v0.1/", "/static/")) or path in ("/api", "/v0", "/v0.1"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _text(value: str) -> str:
    """``value`` fit for an answer: secrets masked, and a lone surrogate (a dict key of the
    body may hold one) escaped, since UTF-8 cannot encode it."""
    return redact_text(value).encode("utf-8", "backslashreplace").decode("utf-8")


def registry_of(request: Request) -> Registry:
    registry: Any = request.app.state.registry
    assert isinstance(registry, Registry)
    return registry


class _PathWithoutQuery(logging.Filter):
    """Uvicorn's access log line without the query string: ``?name=`` or ``?search=`` may hold
    what a caller should not have sent, and a log keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def _access_log_without_queries() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _PathWithoutQuery) for f in access.filters):
        access.addFilter(_PathWithoutQuery())
