"""Two small ASGI layers every response goes through: a cap on request bodies (checked on the
declared length and again on the bytes that arrive), and the security headers of the pages; and
the limits on what one token holder may send to the fleet inventory."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcpward._bounded import keep_recent
from mcpward.registry.web._auth import served_over_https


@dataclass(frozen=True, slots=True)
class FleetLimits:
    """What one token holder may send to the fleet inventory (``registry serve
    --fleet-uploads-per-minute``, ``--fleet-records-per-token``, ``--fleet-servers-per-token``).
    An upload is itself bounded by the body limit (2 MiB) and 5,000 servers; these bound how many
    and how fast, so one token cannot fill the database or hold its writers from every other
    machine's reports. The defaults fit one agent token shared by a fleet of tens of thousands
    of machines (every six hours, within a 30-minute jitter)."""

    #: Reports a minute, per holder (then 429 with Retry-After; the agent keeps the report).
    uploads_per_minute: int = 1200
    #: (machine, home) records whose last report is the holder's; a new one past it is 409.
    records_per_token: int = 100_000
    #: Servers in those records; a report that would pass it is 409 (this bounds the rows one
    #: token fills, and what every read of the fleet view reads).
    servers_per_token: int = 1_000_000


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """What one token holder may ask the registry for (``registry serve --requests-per-minute``):
    entries a minute, each document of an import counted (then 429 with Retry-After). Two whole
    imports of 1,000 a minute fit; a flood that buries the reviewers' queue does not."""

    per_minute: int = 2000


class UploadRate:
    """Uploads (or entry requests) per holder within the last minute: a holder that sent
    ``per_minute`` is told how many seconds to wait, and what it sends meanwhile is not counted.
    Memory is bounded: at most ``max_holders`` holders (holders are tokens an admin made), the
    least recent forgotten."""

    window = 60.0

    def __init__(
        self, per_minute: int, *, max_holders: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.max_holders = max_holders
        self._clock = clock
        self._sent: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, holder: str, count: int = 1) -> int:
        """0, and ``count`` counted, when ``holder`` may send that many now; else the seconds to
        wait (``count`` over ``per_minute`` never fits: the caller refuses it first)."""
        with self._lock:
            now = self._clock()
            times = self._sent.get(holder)
            if times is None:
                times = self._sent[holder] = deque(maxlen=self.per_minute)
            while times and times[0] <= now - self.window:
                times.popleft()
            keep_recent(self._sent, holder, times, self.max_holders)
            if len(times) + count > self.per_minute:
                # Until enough of the oldest have left the window for ``count`` to fit.
                leaving = times[min(len(times) + count - self.per_minute, len(times)) - 1]
                return max(1, math.ceil(leaving + self.window - now))
            times.extend([now] * count)
            return 0

    def tracked(self) -> int:
        with self._lock:
            return len(self._sent)


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"request body larger than {self.max_bytes} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    # base-uri is no fetch directive (default-src does not cover it): a <base> an escaping bug
    # let in would send every link of the page to another host.
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        b"base-uri 'none'",
    ),
]


#: On every answer but the public read API's and the static files: without it a page a session
#: cookie opened (the review queue, an entry, a gateway's held results, its forms' CSRF token)
#: or a JSON API answer could be kept by a shared cache (a company proxy, a CDN) for the next
#: person asking for its URL, and by the browser on disk after signing out.
_NO_STORE = (b"cache-control", b"no-store")


def _cacheable(scope: Scope) -> bool:
    """Whether an answer is the same for everyone: the static files, and the read API of a
    registry that serves it without a token."""
    path = scope.get("path", "")
    if path.startswith("/static/"):
        return True
    app = scope.get("app")
    public = bool(getattr(getattr(app, "state", None), "public_v0", False))
    return public and path.startswith(_READ_API)


#: On every answer of an https registry (RFC 6797; a year, no subdomains: the registry's host
#: only, whose other names it does not know). The sign-in and every form are refused from a
#: plain-http page of the registry's host, but the browser still asked for that page, and
#: whoever answered it (anyone on the path) could show anything under the registry's name:
#: after one visit the browser no longer asks over plain http. Not sent on a plain-http
#: registry: browsers ignore it there, and the RFC says not to.
_HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = not _cacheable(scope)
        # By what the registry knows (the request's scheme, its public URL), not by what a
        # browser sent; around an app that is no registry's, by the scheme alone.
        https = served_over_https(Request(scope)) if "app" in scope else scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + _HEADERS
                if https:
                    headers.append(_HSTS)
                if private and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append(_NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


_READ_API = ("/v0/", "/v0.1/")
_CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, OPTIONS"),
    (b"access-control-allow-headers", b"Authorization, Content-Type"),
    (b"access-control-max-age", b"600"),
]


#: The CORS header is sent only to a request with an Origin, so every answer says so, the one
#: without it too: a shared cache kept a server-side client's answer (no Origin, no CORS
#: header) and served it to browser clients under the same URL, which refused it.
_VARY = (b"vary", b"Origin")


def _with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            headers[index] = (name, value + b", Origin")
            return headers
    return [*headers, _VARY]


class ReadApiCors:
    """Cross-origin reads of the official read API (``/v0``, ``/v0.1``) only, for browser
    clients such as vscode.dev: any origin may GET, never with credentials (a private read API
    takes a bearer token, which a page sends itself); the JSON API and the pages, which a
    session cookie opens, get no CORS header at all."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(_READ_API) or scope.get("method") not in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if scope["method"] == "OPTIONS" and b"origin" in headers:
            await send({"type": "http.response.start", "status": 204, "headers": [*_CORS, _VARY]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = list(message.get("headers", [])) + (_CORS[:1] if b"origin" in headers else [])
                message["headers"] = _with_vary(answer)
            await send(message)

        await self.app(scope, receive, with_cors)
