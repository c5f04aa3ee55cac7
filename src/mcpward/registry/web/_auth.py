"""Who is calling. The JSON API takes API tokens only (``Authorization: Bearer``), never the
session cookie, so a page cannot be tricked into calling it; the pages take the session cookie,
and every form they post carries the session's CSRF token."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, Response

from mcpward._anchor import same_secret
from mcpward._bounded import keep_recent
from mcpward.registry._service import Registry
from mcpward.registry.interface import Principal, Role

SESSION_COOKIE = "mcpward_session"
#: Where the cookies are Secure their names carry this prefix: a browser keeps such a cookie only
#: from this host over https, with ``Path=/`` and no ``Domain``, so no sibling subdomain (and no
#: forged plain-http answer for one) can set or shadow it. A plain ``mcpward_session`` set for the
#: parent domain was read as the registry's, and signed a reviewer in as whoever planted it.
HOST_PREFIX = "__Host-"


class FailureThrottle:
    """Failed authentications per client address: after ``max_failures`` within ``window``
    seconds, the address is refused (429) until the oldest of them is ``window`` old. Tokens
    are 256-bit, so this is not what makes guessing hopeless; it keeps a guesser from loading
    the server and the log. Memory is bounded: at most ``max_addresses`` addresses, each with
    at most ``max_failures`` times, the least recently failing forgotten first."""

    def __init__(
        self,
        *,
        max_failures: int = 10,
        window: float = 60.0,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_addresses = max_addresses
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int:
        """Seconds until ``address`` may try again; 0 when it may now."""
        with self._lock:
            times = self._failures.get(address)
            if times is None:
                return 0
            now = self._clock()
            while times and times[0] <= now - self.window:
                times.popleft()
            if not times:
                del self._failures[address]
                return 0
            if len(times) < self.max_failures:
                return 0
            return max(1, math.ceil(times[0] + self.window - now))

    def failed(self, address: str) -> None:
        with self._lock:
            times = self._failures.get(address)
            if times is None:
                times = self._failures[address] = deque(maxlen=self.max_failures)
            times.append(self._clock())
            keep_recent(self._failures, address, times, self.max_addresses)

    def tracked(self) -> int:
        with self._lock:
            return len(self._failures)


def client_address(request: Request) -> str:
    # The socket's peer: ``registry serve`` does not trust forwarding headers.
    return request.client.host if request.client else "unknown"


def throttle_of(request: Request) -> FailureThrottle:
    throttle = request.app.state.auth_throttle
    assert isinstance(throttle, FailureThrottle)
    return throttle


def check_throttle(request: Request) -> None:
    """429 when this address has failed to authenticate too often lately (asked of a token found
    wrong: see ``bearer``)."""
    wait = throttle_of(request).retry_after(client_address(request))
    if wait:
        raise HTTPException(
            429,
            "too many failed authentications from this address; try again later",
            headers={"Retry-After": str(wait)},
        )


def _registry(request: Request) -> Registry:
    from mcpward.registry.web import registry_of

    return registry_of(request)


def bearer(request: Request) -> Principal | None:
    """The token's holder; None without a token; a wrong token counts as a failure, and from
    an address that guessed too often is a 429. A right token is taken from it all the same:
    behind a proxy or a NAT every client shares the address, and anyone's wrong tokens kept
    every agent, gateway and reviewer out (tokens are 256-bit: the limit keeps a guesser's load
    and log down, it is not what makes guessing hopeless)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    principal = _registry(request).authenticate(token.strip())
    if principal is None:
        check_throttle(request)
        throttle_of(request).failed(client_address(request))
    return principal


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
    """The signed-in person and the session's CSRF token, from the cookie (a role that reads
    nothing, ``reporter``, opens no page)."""
    session_id = read_cookie(request, SESSION_COOKIE)
    if not session_id:
        return None
    found = _registry(request).session_principal(session_id)
    return found if found is not None and found[0].role.allows(Role.VIEWER) else None


def sign_in_again(request: Request, who: Principal, to: str = "decide") -> str | None:
    """Why ``who`` must sign in again before a decision: they signed in through the identity
    provider, which said their groups (so their role) longer ago than its settings'
    ``role_max_age_minutes``. A person removed from a group there kept the role for the life of
    the session (eight hours), deciding. None when the decision may be taken: the role is
    fresh, or is an API token's, which the registry itself holds and revokes. ``to``: what the
    new sign-in is for, in the message."""
    from mcpward.registry.web._oidc import ROLE_MAX_AGE_MINUTES, provider_of

    if who.role_read_at is None:
        return None
    provider = provider_of(request)
    # Signed in when the registry offered single sign-on, it no longer does: the default.
    minutes = provider.settings.role_max_age_minutes if provider is not None else ROLE_MAX_AGE_MINUTES
    if _registry(request).now() - who.role_read_at <= timedelta(minutes=minutes):
        return None
    said = f"Your role was read from your organisation's identity provider more than {minutes} minutes ago."
    if provider is None:
        return f"{said} This registry no longer offers single sign-on: sign in with an API token to {to}."
    return f"{said} Sign in again to {to} (it reads your groups anew; usually no password is asked)."


def sign_in_again_link(request: Request, path: str) -> str | None:
    """The single sign-on that comes back to ``path``; None where none is offered."""
    from mcpward.registry.web._oidc import provider_of

    return f"/login/sso?next={quote(path, safe='')}" if provider_of(request) is not None else None


def read_cookie(request: Request, name: str) -> str | None:
    """The cookie ``name`` as the registry sets it: its ``__Host-`` form; the plain one only
    where the request is not judged https (a plain-http registry, whose browsers keep no Secure
    cookie; a GET behind a TLS proxy without ``public_url``, which carries no Origin)."""
    held = request.cookies.get(HOST_PREFIX + name)
    if held or cookies_secure(request):
        return held
    return request.cookies.get(name)


def set_cookie(request: Request, response: Response, name: str, value: str, **options: Any) -> None:
    """Sets ``name``: Secure and ``__Host-`` (``Path=/``, no ``Domain``) where
    :func:`cookies_secure` says so, plain otherwise."""
    if cookies_secure(request):
        response.set_cookie(HOST_PREFIX + name, value, secure=True, httponly=True, **options)
    else:
        response.set_cookie(name, value, httponly=True, **options)


def delete_cookie(response: Response, name: str, *, path: str = "/") -> None:
    """Both forms of ``name`` cleared (a browser clears a ``__Host-`` one only by a Secure
    answer with ``Path=/``)."""
    response.delete_cookie(HOST_PREFIX + name, secure=True, httponly=True)
    response.delete_cookie(name, path=path)


def cookies_secure(request: Request) -> bool:
    """Whether the sign-in cookies are marked Secure: when this request came over https, the
    browser's page is https (its Origin, sent with a sign-in's form), or the registry's public
    URL (``registry serve --public-url``, or single sign-on's ``public_url``) is https.
    ``registry serve`` speaks plain http behind a proxy that ends TLS and reads no forwarding
    header, so judged by the request alone they never were, and browsers sent the session over
    plain http too."""
    return served_over_https(request) or request.headers.get("origin", "").startswith("https://")


def served_over_https(request: Request) -> bool:
    """Whether the registry is https, by what it knows rather than by what a browser sent: this
    request came over https, or its public URL (``registry serve --public-url``, or single
    sign-on's ``public_url``) is https."""
    from mcpward.registry.web._oidc import provider_of

    provider = provider_of(request)
    public = (provider.settings.public_url if provider is not None else "") or ""
    declared = str(getattr(request.app.state, "public_url", "") or "")
    return request.url.scheme == "https" or any(url.startswith("https://") for url in (public, declared))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and same_secret(expected, given or "")


def same_origin(request: Request) -> bool:
    """A form post must come from a page of this server: browsers send Origin on POST. Of an
    https registry, from an https page: a page over plain http for its host is whoever answered
    the browser's plain-http request (anyone on the path), and posted its own token to the
    sign-in (login CSRF) while the host alone was compared."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser, or an old one; the CSRF token still has to match
    scheme, separator, rest = origin.partition("://")
    if not separator or rest != request.headers.get("host", ""):
        return False
    return scheme == "https" or not served_over_https(request)
