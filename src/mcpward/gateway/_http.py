"""``mcpward gateway serve``: the streamable-HTTP front end. One endpoint per configured server
(``/servers/NAME/mcp``); each client session (``Mcp-Session-Id``) gets its own server process
and its own relay, so stdio servers, which serve one client, are never shared.

Clients authenticate with bearer tokens whose sha256 the config lists (the config holds no
secret), or with OAuth access tokens that ``_oauth``'s resource server accepts; Host and
Origin are checked against the configured names, so a web page reached through DNS rebinding
cannot talk to the gateway. A POST answers a request with JSON; what a
server sends unasked (notifications, its own requests) waits for the session's GET stream.

Sessions and their judging are ``_http_session``'s; MCP 2026-07-28 requests (no session) are
``_modern_serve``'s.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from mcpward._bounded import keep_recent
from mcpward.gateway import _modern, _oauth
from mcpward.gateway._http_session import (
    _ROOM_WAIT,
    MAX_CALLERS,
    SESSION_HEADER,
    Caller,
    HttpSession,
    Judge,
    ServerNotReading,
    StillAdmitted,
    Upstream,
)
from mcpward.gateway._modern_serve import _modern_refusal, _ModernSessions
from mcpward.gateway._oauth import ResourceServer
from mcpward.gateway.interface import (
    BLOCKED,
    Identity,
    Interceptor,
    Refusal,
    encode,
    error,
)

#: RFC 9728's well-known path (the per-server form adds the endpoint's path).
_PRM = "/.well-known/oauth-protected-resource"
#: Seconds a posted message has to arrive whole (a message of ``max_message`` at a slow
#: link's pace fits; one that never finishes does not hold its connection).
_BODY_SECONDS = 60.0


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ClientLimits:
    """What one client (token) may use; the defaults and why are the gateway config's
    (``[serve]`` in ``mcpward.gateway``)."""

    max_sessions_per_client: int = 8
    max_sessions: int = 64
    new_sessions_per_minute: int = 30
    requests_per_second: float = 20.0
    request_burst: int = 60
    max_requests_in_flight_per_client: int = 32


def new_client_token() -> tuple[str, str]:
    """A client token for ``gateway serve`` and the sha256 its config lists (never the token)."""
    token = "mcpg_" + secrets.token_urlsafe(32)
    return token, _token_digest(token)


def _refuse(
    status: int, why: str, *, retry: float | None = None, headers: dict[str, str] | None = None
) -> Response:
    headers = dict(headers or {})
    if retry is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry)))
    return JSONResponse({"error": why}, status_code=status, headers=headers or None)


class _Admission:
    """Who may call: a Host (and Origin) the gateway serves, a client token the config lists or
    an access token the resource server accepts, and a client within its request rate."""

    def __init__(
        self,
        token_hashes: dict[str, str],
        allowed_hosts: tuple[str, ...],
        limits: ClientLimits,
        clock: Callable[[], float],
        resource_server: ResourceServer | None = None,
    ) -> None:
        self._token_hashes, self._allowed_hosts = token_hashes, allowed_hosts
        self._limits, self._clock = limits, clock
        self.resource_server = resource_server
        #: Per client (token digest): its request bucket (tokens, when), the most recent callers'.
        self._buckets: collections.OrderedDict[str, tuple[float, float]] = collections.OrderedDict()

    async def check(self, request: Request, server: str) -> Response | Caller:
        host = request.headers.get("host", "")
        if host not in self._allowed_hosts:
            return _refuse(421, f"host {host!r} is not served here")  # DNS rebinding
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1] not in self._allowed_hosts:
            return _refuse(403, "cross-origin request refused")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        digest = _token_digest(token) if token else ""
        client = next(
            (name for known, name in self._token_hashes.items() if hmac.compare_digest(known, digest)), None
        )
        if (
            client is not None
            and self.resource_server is not None
            and not self.resource_server.takes_static(server)
        ):
            # A server that names its issuers takes their callers: a static token is another source.
            return _refuse(401, "this server takes access tokens of its issuers only, not a client token")
        if client is not None:
            caller = Caller(client, digest, identity=Identity(subject=client))
        elif self.resource_server is None:
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        else:
            verdict = await self._access_token(token, server, request.client.host if request.client else "")
            if isinstance(verdict, Response):
                return verdict
            caller = verdict
        return self._within_rate(caller) or caller

    async def _access_token(self, token: str, server: str, address: str) -> Response | Caller:
        """The caller an access token names, or the 401/403/503 the MCP specification asks for;
        ``address`` is the client's (its share of the token introspections)."""
        resource_server = self.resource_server
        assert resource_server is not None
        if not token:
            challenge = _oauth.challenge(resource_server, server, None)
            return _refuse(401, "an access token is needed", headers={"WWW-Authenticate": challenge})
        try:
            identity = await resource_server.identify(token, server, caller=address)
        except _oauth.TokenRefused as refused:
            challenge = _oauth.challenge(resource_server, server, refused)
            return _refuse(refused.status, refused.why, headers={"WWW-Authenticate": challenge})
        except _oauth.IssuerUnavailable as exc:
            return _refuse(503, f"{exc}; try again later", retry=30)
        # One key per person and agent, not per token: a refreshed token keeps its sessions.
        # Of a JSON array: claims may hold NUL, and joined with NUL ("alice\0", "x") and
        # ("alice", "\0x") were one caller, each reaching the other's sessions.
        who = orjson.dumps([identity.issuer or "", identity.subject, identity.client_id or ""])
        key = "oauth:" + hashlib.sha256(who).hexdigest()
        return Caller(identity.subject, key, identity=identity, token=token)

    def still_admitted(
        self, caller: Caller, server: str, latest: Callable[[], str] | None = None
    ) -> StillAdmitted | None:
        """For a stream the caller opens: whether its access token (or ``latest``, the newest
        one it presented for the stream's session, a refreshed token) would still be taken,
        from the token's remembered check (the issuer is asked only when it is due). None for
        a static token, which only the config ends."""
        resource_server = self.resource_server
        if resource_server is None or not caller.token:
            return None
        opened_with = caller.token

        async def admitted() -> bool:
            try:
                await resource_server.identify(latest() if latest else opened_with, server)
            except (_oauth.TokenRefused, _oauth.IssuerUnavailable):
                return False
            return True

        return admitted

    def _within_rate(self, caller: Caller) -> Response | None:
        """A token bucket per client: ``request_burst`` requests at once, refilled at
        ``requests_per_second``."""
        limits, now = self._limits, self._clock()
        tokens, at = self._buckets.get(caller.key, (float(limits.request_burst), now))
        tokens = min(float(limits.request_burst), tokens + (now - at) * limits.requests_per_second)
        if tokens < 1:
            keep_recent(self._buckets, caller.key, (tokens, now), MAX_CALLERS)
            wait = (1 - tokens) / limits.requests_per_second
            return _refuse(429, "too many requests from this client; slow down", retry=wait)
        keep_recent(self._buckets, caller.key, (tokens - 1, now), MAX_CALLERS)
        return None


class _SessionTable:
    """The sessions being served: each a server process (or remote connection) and its relay,
    owned by the client that opened it, within that client's and the gateway's limits, ended
    when its client ends it or leaves it idle."""

    def __init__(
        self,
        servers: dict[str, Upstream],
        make_interceptors: Callable[[str, Upstream], list[Interceptor]],
        *,
        max_message: int,
        call_timeout: float,
        idle_timeout: float,
        clock: Callable[[], float],
        limits: ClientLimits,
        judge: Judge,
    ) -> None:
        self.servers, self._make_interceptors = servers, make_interceptors
        self._max_message, self._call_timeout = max_message, call_timeout
        self._idle_timeout, self._clock, self._limits, self._judge = idle_timeout, clock, limits, judge
        self.clock = clock
        self._sessions: dict[str, HttpSession] = {}
        #: Per client (token digest): sessions starting (while any do), and the recent session
        #: starts (the most recent callers').
        self._opening: dict[str, int] = {}
        self._opened: collections.OrderedDict[str, collections.deque[float]] = collections.OrderedDict()

    def owned(self, session_id: str | None, name: str, caller: Caller) -> HttpSession | None:
        """The session, if it exists on this server and the caller's token opened it; another
        client is answered as if it did not exist (a leaked id grants nothing)."""
        session = self._sessions.get(session_id or "")
        if session is None or session.session.server != name:
            return None
        return session if hmac.compare_digest(session.opened_by, caller.key) else None

    async def open(self, name: str, caller: Caller) -> HttpSession | str | Response:
        """A started session, why it could not start (for the client), or the refusal of a
        session over the caller's limits."""
        refused = self._too_many(caller)
        if refused is not None:
            return refused
        self._opening[caller.key] = self._opening.get(caller.key, 0) + 1  # counted while it starts
        try:
            return await self._start(name, caller)
        finally:
            self._opening[caller.key] -= 1
            if not self._opening[caller.key]:
                del self._opening[caller.key]

    def _too_many(self, caller: Caller) -> Response | None:
        """The refusal of a new session, if the caller has as many as it may (each is a server
        process) or opened too many in the last minute, or the gateway is full."""
        limits = self._limits
        mine = self._opening.get(caller.key, 0) + sum(
            1 for s in self._sessions.values() if s.opened_by == caller.key
        )
        if mine >= limits.max_sessions_per_client and not caller.gateway:
            return _refuse(
                429,
                f"this client has {mine} sessions open, the most it may; end one (DELETE) or wait "
                "for an idle one to time out",
            )
        if len(self._sessions) + sum(self._opening.values()) >= limits.max_sessions:
            return _refuse(503, "the gateway serves as many sessions as it may; try again later", retry=30)
        now = self._clock()
        recent = self._opened.get(caller.key) or collections.deque()
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= limits.new_sessions_per_minute:
            wait = recent[0] + 60 - now
            return _refuse(429, "this client opened too many sessions in the last minute", retry=wait)
        recent.append(now)
        keep_recent(self._opened, caller.key, recent, MAX_CALLERS)
        return None

    async def _start(self, name: str, caller: Caller) -> HttpSession | str:
        upstream = self.servers[name]
        session = HttpSession(
            name,
            list(upstream.command),
            self._make_interceptors(name, upstream),
            max_message=self._max_message,
            call_timeout=self._call_timeout,
            url=upstream.url,
            upstream_headers=upstream.headers,
            clock=self._clock,
            owner=caller.key,
            judge=self._judge,
            exchange=upstream.exchange,
        )
        session.session.client = caller.name
        session.session.identity = caller.identity
        session.subject_token = caller.token
        try:
            await session.start()
        except Refusal as exc:
            return f"mcpward gateway: {exc}"
        except OSError as exc:
            return f"mcpward gateway: cannot start {name}: {exc.strerror or exc}"
        self._sessions[session.id] = session
        return session

    def alive(self, session: HttpSession) -> bool:
        """Whether ``session`` is still served (not ended by its client or for idleness) and
        its server still runs."""
        return self._sessions.get(session.id) is session and not session.gone

    async def end(self, session: HttpSession) -> None:
        self._sessions.pop(session.id, None)
        await session.stop()

    async def reap(self, every: float) -> None:
        """Sessions a client left without a DELETE end after ``idle_timeout``, server and all."""
        while True:
            await asyncio.sleep(every)
            cutoff = self._clock() - self._idle_timeout
            for session in [s for s in self._sessions.values() if s.last_used < cutoff and not s.waiting]:
                await self.end(session)

    async def close(self) -> None:
        for session in list(self._sessions.values()):  # no server outlives the gateway
            await session.stop()


async def _read_body(request: Request, max_message: int) -> bytes | Response:
    """The posted message, refused on its declared length before it is read, on what
    actually arrives, and when it has not arrived within ``_BODY_SECONDS``."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_message):
        return _refuse(413, f"message larger than {max_message} bytes")
    # Read as it arrives and stop at the limit: a chunked body declares no length, and
    # reading it whole first held all of it (hundreds of MB) before the refusal.
    body = bytearray()
    try:
        async with asyncio.timeout(_BODY_SECONDS):
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_message:
                    return _refuse(413, f"message larger than {max_message} bytes")
    except TimeoutError:
        # The rate bounds how often a client posts, not how long a post takes: bodies that
        # never finished each held a connection for good (test_gateway_serve_slow_bodies.py).
        why = f"the message did not arrive within {_BODY_SECONDS:g} s"
        return _refuse(408, why, headers={"Connection": "close"})
    return bytes(body)


def create_app(
    servers: dict[str, Upstream],
    make_interceptors: Callable[[str, Upstream], list[Interceptor]],
    *,
    token_hashes: dict[str, str],
    allowed_hosts: tuple[str, ...],
    max_message: int,
    call_timeout: float,
    idle_timeout: float = 1800.0,
    clock: Callable[[], float] = time.monotonic,
    reap_interval: float | None = None,
    limits: ClientLimits = ClientLimits(),
    judge: Judge | None = None,
    task_after: float | None = 2.0,
    replica: str = "",
    resource_server: ResourceServer | None = None,
) -> Starlette:
    """``servers``: name -> upstream; ``token_hashes``: sha256 of a client token -> client name.
    ``clock`` measures idleness and ``reap_interval`` is how often idle sessions are looked for
    (by default half the timeout, at most a minute); tests set both instead of sleeping.
    ``limits`` bound what one client may use (sessions, their rate, requests); ``judge`` runs
    the checks (by default: :class:`Judge`'s defaults); ``resource_server`` accepts OAuth access
    tokens beside the static ones and publishes the protected-resource metadata. A 2026-07-28
    client declaring the tasks extension gets a task for a call that outlasts ``task_after``
    seconds (None: no tasks); its id begins with ``replica~`` when a replica name is given."""
    every = reap_interval if reap_interval is not None else min(60.0, idle_timeout / 2)
    judge = judge or Judge()
    admission = _Admission(token_hashes, allowed_hosts, limits, clock, resource_server)
    table = _SessionTable(
        servers,
        make_interceptors,
        max_message=max_message,
        call_timeout=call_timeout,
        idle_timeout=idle_timeout,
        clock=clock,
        limits=limits,
        judge=judge,
    )

    modern = _ModernSessions(
        table, call_timeout, task_after, replica, still_admitted=admission.still_admitted
    )
    #: Per client: its requests being answered (a body arriving, a call), each a connection.
    in_flight: collections.Counter[str] = collections.Counter()

    def finished(counts: collections.Counter[str], key: str) -> None:
        """One of ``key``'s requests answered; a client with none under way is not kept."""
        counts[key] -= 1
        if counts[key] <= 0:
            del counts[key]

    def too_busy(caller: Caller) -> Response | None:
        """The refusal of a request past the client's limit of requests under way: within its
        rate, slow bodies (60 s each) held 1,200 connections, past the gateway's limit of
        connections, so that no other client could connect."""
        if in_flight[caller.key] < limits.max_requests_in_flight_per_client:
            return None
        why = f"this client has {in_flight[caller.key]} requests under way, the most it may"
        return _refuse(429, why, retry=1, headers={"Connection": "close"})

    async def admit(request: Request) -> tuple[Caller, str] | Response:
        """(the client, the server it asks for), or the refusal to send."""
        name = request.path_params["name"]
        verdict = await admission.check(request, name)
        if isinstance(verdict, Response):
            return verdict
        if name not in servers:
            return _refuse(404, f"no server {name!r}")
        return verdict, name

    async def protected_resource(request: Request) -> Response:
        """RFC 9728 metadata: at the root for the gateway, path-suffixed for each server."""
        if resource_server is None:
            return _refuse(404, "this gateway takes no OAuth access tokens")
        name = request.path_params.get("name")
        if name is not None and name not in servers:
            return _refuse(404, f"no server {name!r}")
        return JSONResponse(resource_server.metadata(name), headers={"Cache-Control": "max-age=300"})

    async def sse_stream(request: Request) -> Response:
        """The legacy SSE transport: this stream carries every answer; posts go to /messages."""
        admitted = await admit(request)
        if isinstance(admitted, Response):
            return admitted
        client, name = admitted
        started = await table.open(name, client)
        if isinstance(started, Response):
            return started
        if isinstance(started, str):
            return _refuse(503, started)
        session = started

        async def events() -> AsyncIterator[bytes]:
            try:
                yield f"event: endpoint\ndata: /servers/{name}/messages?session_id={session.id}\n\n".encode()
                # The session's token is its caller's newest (each post brings one).
                admitted = admission.still_admitted(client, name, lambda: session.subject_token)
                async for chunk in _events(session, table.alive, admitted):
                    yield chunk
            finally:
                await table.end(session)

        return StreamingResponse(events(), media_type="text/event-stream")

    async def sse_message(request: Request) -> Response:
        verdict = await admission.check(request, request.path_params["name"])
        if isinstance(verdict, Response):
            return verdict
        refused = too_busy(verdict)
        if refused is not None:
            return refused
        in_flight[verdict.key] += 1
        try:
            return await sse_post(request, verdict)
        finally:
            finished(in_flight, verdict.key)

    async def sse_post(request: Request, verdict: Caller) -> Response:
        session = table.owned(request.query_params.get("session_id"), request.path_params["name"], verdict)
        if session is None:
            return _refuse(404, "unknown session")
        body = await _read_body(request, max_message)
        if isinstance(body, Response):
            return body

        session.last_used = clock()
        session.session.identity, session.subject_token = verdict.identity, verdict.token

        async def answer() -> None:
            try:
                reply = await session.handle(body)
            except ServerNotReading as exc:  # the 202 is sent: a request learns why on the stream
                refused = exc.request_id
                why = f"mcpward gateway: {exc}"
                reply = None if refused is None else encode(error(refused, BLOCKED, why))
            if reply is not None:
                session.hold(reply)

        session.tasks.add(task := asyncio.create_task(answer()))
        task.add_done_callback(session.tasks.discard)
        return Response(status_code=202)

    async def endpoint(request: Request) -> Response:
        admitted = await admit(request)
        if isinstance(admitted, Response):
            return admitted
        client, name = admitted
        refused = too_busy(client)
        if refused is not None:
            return refused
        in_flight[client.key] += 1
        try:
            return await answer_request(request, client, name)
        finally:
            finished(in_flight, client.key)

    async def answer_request(request: Request, client: Caller, name: str) -> Response:
        """A request of an admitted client (a stream it opens is answered once it starts)."""
        session_id = request.headers.get(SESSION_HEADER)
        session = table.owned(session_id, name, client) if session_id else None
        if session_id and session is None:
            return _refuse(404, "unknown session; initialize again")
        if session is not None:  # the same person; their token (scopes, groups) may be newer
            session.session.identity, session.subject_token = client.identity, client.token
        if request.method == "DELETE":
            if session is not None:
                await table.end(session)
            return Response(status_code=204)
        if request.method == "GET":
            if session is None:
                return _refuse(400, "a GET stream needs a session")
            if session.streaming:
                return _refuse(409, "this session's stream is open already; a session has one")
            streamed = session  # the session's token is its caller's newest (each post brings one)
            admitted = admission.still_admitted(client, name, lambda: streamed.subject_token)
            events = _events(streamed, table.alive, admitted)
            return StreamingResponse(events, media_type="text/event-stream")
        body = await _read_body(request, max_message)
        if isinstance(body, Response):
            return body
        if session is None:
            try:
                message = orjson.loads(body)
            except orjson.JSONDecodeError:
                message = None
            version = _modern.requested_version(request.headers, message)
            if version is not None:  # 2026-07-28: no session; the version travels in each request
                if not isinstance(message, dict):
                    return _modern_refusal(
                        400, None, _modern.HEADER_MISMATCH, "the body is not a JSON-RPC request"
                    )
                return await modern.answer(request, name, client, message, version)
            started = await table.open(name, client)
            if isinstance(started, Response):
                return started
            if isinstance(started, str):
                return Response(encode(error(_id(body), BLOCKED, started)), media_type="application/json")
            session = started
        session.last_used = clock()
        try:
            answer = await session.handle(body)
        except ServerNotReading as exc:
            return _refuse(503, str(exc), retry=_ROOM_WAIT)
        session.last_used = clock()
        headers = {SESSION_HEADER: session.id}
        if answer is None:
            return Response(status_code=202, headers=headers)
        return Response(answer, media_type="application/json", headers=headers)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        reaper = asyncio.create_task(table.reap(every))
        yield
        reaper.cancel()
        await table.close()
        judge.close()
        if resource_server is not None:
            await resource_server.close()
        for upstream in servers.values():
            if upstream.exchange is not None:
                await upstream.exchange.close()

    return Starlette(
        routes=[
            Route("/servers/{name}/mcp", endpoint, methods=["GET", "POST", "DELETE"]),
            Route("/servers/{name}/sse", sse_stream, methods=["GET"]),
            Route("/servers/{name}/messages", sse_message, methods=["POST"]),
            Route(_PRM, protected_resource, methods=["GET"]),
            Route(_PRM + "/servers/{name}/mcp", protected_resource, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


async def _events(
    session: HttpSession, served: Callable[[HttpSession], bool], admitted: StillAdmitted | None = None
) -> AsyncIterator[bytes]:
    """The session's stream, one at a time (each is a connection and a file descriptor that no
    session limit counts): it ends with the session (a DELETE, idleness), once its server
    is gone and what it left was sent, or once its caller's access token would be refused
    (``admitted``, asked before each event and keep-alive). A stream kept after its
    session held its connection forever (tests/adversarial/test_gateway_serve_streams.py); one
    kept after its token carried the session's traffic to a caller refused everything else
    (tests/adversarial/test_gateway_stream_outlives_token.py)."""
    if session.streaming:  # a second GET that passed the check beside the first
        return
    session.streaming = True
    try:
        while served(session) or (session.gone and not session.unasked.empty()):
            if admitted is not None and not await admitted():
                break
            session.last_used = session.clock()  # an open stream keeps its session alive
            try:
                data = await session.next_unasked(timeout=15)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if data:  # b"": the session ended, or its server is gone
                yield b"event: message\ndata: " + data.rstrip(b"\n") + b"\n\n"
    finally:
        session.streaming = False


def _id(body: bytes) -> Any:
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return message.get("id") if isinstance(message, dict) else None
