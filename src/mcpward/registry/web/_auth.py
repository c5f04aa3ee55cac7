"""Who is calling. The JSON API takes API tokens only (``Authorization: Bearer``), never the
session cookie, so a page cannot be tricked into calling it; the pages take the session cookie,
and every form they post carries the session's CSRF token."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import HTTPException, Request

from mcpward.registry._service import Registry
from mcpward.registry.interface import Principal, Role

SESSION_COOKIE = "mcpward_session"


def _registry(request: Request) -> Registry:
    from mcpward.registry.web import registry_of

    return registry_of(request)


def bearer(request: Request) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return _registry(request).authenticate(token.strip())


def require(role: Role) -> Callable[[Request], Principal]:
    """A dependency: the caller's principal, if its role allows ``role``; else 401 or 403."""

    def dependency(request: Request) -> Principal:
        principal = bearer(request)
        if principal is None:
            raise HTTPException(401, "a valid API token is needed", headers={"WWW-Authenticate": "Bearer"})
        if not principal.role.allows(role):
            raise HTTPException(
                403, f"this needs the {role.value} role; {principal.name} is {principal.role.value}"
            )
        return principal

    return dependency


def session_of(request: Request) -> tuple[Principal, str] | None:
    """The signed-in person and the session's CSRF token, from the cookie."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    return _registry(request).session_principal(session_id)


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


def same_origin(request: Request) -> bool:
    """A form post must come from a page of this server: browsers send Origin on POST."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser, or an old one; the CSRF token still has to match
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host
