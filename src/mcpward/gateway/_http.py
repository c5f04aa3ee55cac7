"""``mcpward gateway serve``: the streamable-HTTP front end. One endpoint per configured server
(``/servers/NAME/mcp``); each client session (``Mcp-Session-Id``) gets its own server process
and its own relay, so stdio servers, which serve one client, are never shared.

Clients authenticate with bearer tokens whose sha256 the config lists (the config holds no
secret); Host and Origin are checked against the configured names, so a web page reached
through DNS rebinding cannot talk to the gateway. A POST answers a request with JSON; what a
server sends unasked (notifications, its own requests) waits for the session's GET stream.

Judging a message (DLP, the injection check, the audit record) costs about a second per few MB
dense with personal data; on the event loop, the one thread that serves every client, one
client's large messages held up everyone's calls (14 s in a review). So a :class:`Judge` runs
the relay: small messages on the loop while their client is within its share of the loop's
time, the rest in a bounded pool of threads where a client holds one thread at a time.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import hmac
import itertools
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from mcpward.gateway import _modern
from mcpward.gateway._relay import Out, Relay
from mcpward.gateway._remote import RemoteUpstream
from mcpward.gateway._stdio import Oversized, _die_with_parent, lines
from mcpward.gateway.interface import (
    BLOCKED,
    TIMEOUT,
    Interceptor,
    Refusal,
    Session,
    encode,
    error,
    request_key,
)

SESSION_HEADER = "mcp-session-id"
#: What a session keeps for its stream until the client reads it, in bytes.
_UNASKED_BYTES = 16 * 1024 * 1024
#: How long a posted message waits for a server that is not reading its input to take what
#: it was already sent, before the post is refused (at most ``call_timeout``).
_ROOM_WAIT = 10.0
#: What the gateway answers the server of its own (refusals of its requests) is dropped past
#: this much unread: waiting for it would stop reading the server, which may be blocked
#: writing to us (a deadlock), and holding it would grow without bound.
_REFUSALS_BYTES = 1024 * 1024
#: A message up to this size may be judged on the event loop: an ordinary call costs 0.1 ms
#: (handing it to a thread cost an idle server 0.45 ms of CPU per call in bench/gateway_http.py,
#: whose 4 KB answers are 8.6 KB with their structured copy), one dense with personal data
#: about 35 ms (measured 2026-12-03 on 15 KB of addresses and card numbers).
_INLINE_BYTES = 16 * 1024
#: The share of the event loop's time one client's judging may take (seconds per second, and
#: at once); past it, its small messages go to the judging threads too. Time, not bytes: per
#: byte, a message dense with personal data costs 300 times what an ordinary one does.
_INLINE_SHARE = 0.1
#: Threads that judge large messages: one client holds at most one, so a second client's large
#: message is not queued behind the first's. More would take the interpreter's lock (the
#: confirmation after the Hyperscan scan is Python) from the event loop more often.
_JUDGES = 2

_T = TypeVar("_T")


class Judge:
    """Where a session's relay judges a message. Small ones (``inline_bytes``) run on the event
    loop while their client (token) has spent less than ``inline_share`` of the loop's time
    judging (a budget in seconds, refilled at that many per second); the others run in a pool
    of ``workers`` threads, one message per client at a time (its slot, taken in the order
    asked), so one client cannot take the judge from the others: it waits for its own
    messages, which are still judged, never dropped. Memory: a budget and a lock per client
    (token), and at most ``workers`` messages being judged; what waits is the posts that the
    request rate and the session limits already bound."""

    def __init__(
        self,
        workers: int = _JUDGES,
        *,
        inline_bytes: int = _INLINE_BYTES,
        inline_share: float = _INLINE_SHARE,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.inline_bytes = inline_bytes
        self.inline_share = inline_share
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mcpward-judge")
        self._slots: dict[str, asyncio.Lock] = {}
        #: Per client: the loop time it may still spend judging (negative once overspent) and when.
        self._budgets: dict[str, tuple[float, float]] = {}

    def _left(self, client: str, now: float) -> float:
        left, at = self._budgets.get(client, (self.inline_share, now))
        return min(self.inline_share, left + (now - at) * self.inline_share)

    async def run(self, client: str, size: int, work: Callable[[], _T]) -> _T:
        """``work()`` (the relay judging a message of ``size`` bytes for ``client``)."""
        started = self.clock()
        if size <= self.inline_bytes and self._left(client, started) > 0:
            try:
                return work()
            finally:
                ended = self.clock()
                self._budgets[client] = (self._left(client, started) - (ended - started), ended)
        slot = self._slots.setdefault(client, asyncio.Lock())
        async with slot:
            future = asyncio.get_running_loop().run_in_executor(self._pool, work)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                # A thread cannot be stopped: the slot (and the session's lock the caller holds)
                # stay taken until it is done, so two judgings of one relay never overlap.
                await asyncio.wait({future})
                raise

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class ServerNotReading(Exception):
    """The server has not taken what it was already sent: a posted message is refused, not
    piled up in the gateway's memory. ``request_id``: the refused request's (None for a
    notification or a response)."""

    def __init__(self, why: str, request_id: Any = None) -> None:
        super().__init__(why)
        self.request_id = request_id


class HttpSession:
    """One client session: a server process, a relay, and the requests waiting for answers."""

    def __init__(
        self,
        name: str,
        command: list[str],
        interceptors: list[Interceptor],
        *,
        max_message: int,
        call_timeout: float,
        url: str | None = None,
        upstream_headers: dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        owner: str = "",
        judge: Judge,
    ) -> None:
        self.id = secrets.token_urlsafe(24)
        #: The digest of the token that opened the session: only its holder may use it.
        self.owner = owner
        self.clock = clock
        self.session = Session(server=name, target=url or command[0])
        self.url = url
        self.upstream_headers = upstream_headers or {}
        self.remote: RemoteUpstream | None = None
        self.relay = Relay(self.session, interceptors, max_message=max_message)
        self.judge = judge
        #: Held while the relay judges a message: it keeps state (requests in flight, the
        #: session's checks) that a message judged in a thread must not share with another.
        self.judging = asyncio.Lock()
        self.interceptors = interceptors
        self.command = command
        self.max_message = max_message
        self.call_timeout = call_timeout
        self.waiting: dict[str, asyncio.Future[bytes]] = {}
        #: Held while a posted message waits for room in the server's input and is written,
        #: so that messages enter it one at a time, each after the previous one drained.
        self.writing = asyncio.Lock()
        self.unasked: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1000)
        #: What waits for the stream, in bytes, and its bound (one largest message at least).
        self.unasked_bytes = 0
        self.unasked_limit = max(_UNASKED_BYTES, max_message)
        self.process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None
        self.last_used = clock()
        #: Answers being awaited for the legacy SSE transport (kept so they are not collected).
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        for interceptor in self.interceptors:
            interceptor.launch(self.session)  # a Refusal goes to the client as the answer
        if self.url is not None:
            self.remote = RemoteUpstream(
                self.url,
                self.upstream_headers,
                self._from_server,
                timeout=self.call_timeout,
                max_message=self.max_message,
            )
            return
        self.process = await asyncio.create_subprocess_exec(
            self.command[0],
            *self.command[1:],
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            preexec_fn=_die_with_parent,  # only asks the kernel for a signal; no lock is taken
        )
        self._pump = asyncio.create_task(self._read_server())

    async def _read_server(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in lines(self.process.stdout, self.max_message):
            await self._from_server(raw)
        code = await self.process.wait()
        async with self.judging:
            gone = _keyed(self.relay.server_gone(f"exit status {code}"))
        self._deliver(gone)

    async def _judged(self, size: int, work: Callable[[], _T]) -> _T:
        """``work()``, which runs the relay, by the judge for this session's client."""
        async with self.judging:
            return await self.judge.run(self.owner, size, work)

    async def _from_server(self, raw: bytes | Oversized) -> None:
        relay = self.relay
        if isinstance(raw, Oversized):
            # The request it answers (found by the id at its start) gets an error now.
            head = raw.head
            outs = await self._judged(len(head), lambda: _keyed(relay.server_too_large(head)))
        else:
            outs = await self._judged(len(raw), lambda: _keyed(relay.server_message(raw)))
        self._deliver(outs)

    def _deliver(self, outs: list[tuple[Out, str]]) -> None:
        """What the relay let through; each answer for the client with the key of the request
        it answers (found where it was judged: parsing a large one here would hold the loop)."""
        for out, key in outs:
            if out.to == "server":
                if self._unread_by_server() <= _REFUSALS_BYTES:
                    self._to_server(out.data)
                continue
            waiter = self.waiting.pop(key, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(out.data)
            else:
                self.hold(out.data)

    def hold(self, data: bytes) -> None:
        """Keep a message for the session's stream; one over the bound (a client that never
        reads it, a server that floods) is dropped, never piled up in memory."""
        if self.unasked_bytes + len(data) > self.unasked_limit:
            return
        with contextlib.suppress(asyncio.QueueFull):
            self.unasked.put_nowait(data)
            self.unasked_bytes += len(data)

    async def next_unasked(self, timeout: float) -> bytes:
        data = await asyncio.wait_for(self.unasked.get(), timeout=timeout)
        self.unasked_bytes -= len(data)
        return data

    def _unread_by_server(self) -> int:
        """Bytes written to the server's input that it has not read yet (held by us)."""
        stdin = self.process.stdin if self.process is not None else None
        if stdin is None or stdin.is_closing():
            return 0
        return stdin.transport.get_write_buffer_size()

    async def _room_in_server(self) -> None:
        """Returns once the server has read what it was sent (down to the pipe's low-water
        mark); at once for a remote server or one that is gone."""
        stdin = self.process.stdin if self.process is not None else None
        if stdin is None or stdin.is_closing():
            return
        with contextlib.suppress(ConnectionError):  # the server exited: writes are dropped
            await stdin.drain()

    async def _send(self, raw: bytes) -> tuple[Any, list[Out], asyncio.Future[bytes] | None]:
        """The posted message through the relay, and what it lets through to the server,
        once the server has room for it: backpressure toward the client, never more than one
        message held for a server that is not reading. :class:`ServerNotReading` if it has
        none in time (before the relay runs: nothing is recorded as forwarded that was not).
        Also its id and the future its answer will arrive in, for a request that was forwarded."""
        try:
            async with asyncio.timeout(min(_ROOM_WAIT, self.call_timeout)):
                await self.writing.acquire()
                try:
                    await self._room_in_server()
                except BaseException:
                    self.writing.release()
                    raise
        except TimeoutError:
            raise ServerNotReading(
                f"the server {self.session.server!r} is not reading what it was sent; try again later"
            ) from None
        try:
            relay = self.relay
            request_id, outs = await self._judged(
                len(raw), lambda: (_request_id(raw), relay.client_message(raw))
            )
            future: asyncio.Future[bytes] | None = None
            if request_id is not None and all(out.to == "server" for out in outs):
                # Registered before the request leaves, so that no answer can arrive unclaimed.
                future = asyncio.get_running_loop().create_future()
                self.waiting[request_key(request_id)] = future
            for out in outs:
                if out.to == "server":
                    self._to_server(out.data)
            return request_id, outs, future
        finally:
            self.writing.release()

    def _to_server(self, data: bytes) -> None:
        if self.remote is not None:
            self.remote.send(data)
            return
        if (
            self.process is not None
            and self.process.stdin is not None
            and not self.process.stdin.is_closing()
        ):
            self.process.stdin.write(data)

    async def handle(self, raw: bytes, timeout: float | None = None) -> bytes | None:
        """The answer to a posted message (None for a notification or a response), waited for
        ``timeout`` seconds (the call timeout by default)."""
        try:
            request_id, outs, future = await self._send(raw)
        except ServerNotReading as exc:
            exc.request_id = _request_id(raw)  # refused before it was judged (or parsed)
            raise
        immediate = next((out.data for out in outs if out.to != "server"), None)
        if immediate is not None:
            return immediate
        if future is None:
            return None
        try:
            return await asyncio.wait_for(future, timeout=timeout or self.call_timeout)
        except TimeoutError:
            self.waiting.pop(request_key(request_id), None)
            async with self.judging:
                expired = self.relay.expire(request_id)
            return expired[0].data if expired else encode(error(request_id, TIMEOUT, "no answer in time"))

    async def stop(self) -> None:
        if self.remote is not None:
            await self.remote.close()
        if self.process is not None and self.process.returncode is None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), timeout=5)
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        if self._pump is not None:
            self._pump.cancel()
        async with self.judging:  # after a message still being judged in a thread
            self.relay.close()


def _request_id(raw: bytes) -> Any:
    """The id of a posted request (None for anything else)."""
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return message.get("id") if isinstance(message, dict) and "method" in message else None


def _keyed(outs: list[Out]) -> list[tuple[Out, str]]:
    """Each of the relay's outs with the key of the request it answers ("" for none)."""
    return [(out, _answer_key(out.data) if out.to == "client" else "") for out in outs]


def _answer_key(data: bytes) -> str:
    try:
        message = orjson.loads(data)
    except orjson.JSONDecodeError:
        return ""
    if isinstance(message, dict) and "id" in message and "method" not in message:
        return request_key(message["id"])
    return ""


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


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated client: its name in the config and the digest of its token."""

    name: str
    key: str


@dataclass(frozen=True, slots=True)
class Upstream:
    """A served server: a command (one process per session) or a remote URL."""

    command: tuple[str, ...] = ()
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: 2026-07-28 clients: 0, a process per client; N, a pool of N shared by all clients.
    shared_pool: int = 0


def new_client_token() -> tuple[str, str]:
    """A client token for ``gateway serve`` and the sha256 its config lists (never the token)."""
    token = "mcpg_" + secrets.token_urlsafe(32)
    return token, _token_digest(token)


def _refuse(status: int, why: str, *, retry: float | None = None) -> Response:
    headers = {"Retry-After": str(max(1, math.ceil(retry)))} if retry is not None else None
    return JSONResponse({"error": why}, status_code=status, headers=headers)


class _Admission:
    """Who may call: a Host (and Origin) the gateway serves, a client token the config lists,
    and a client within its request rate."""

    def __init__(
        self,
        token_hashes: dict[str, str],
        allowed_hosts: tuple[str, ...],
        limits: ClientLimits,
        clock: Callable[[], float],
    ) -> None:
        self._token_hashes, self._allowed_hosts = token_hashes, allowed_hosts
        self._limits, self._clock = limits, clock
        #: Per client (token digest): its request bucket (tokens, when).
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, request: Request) -> Response | Caller:
        host = request.headers.get("host", "")
        if host not in self._allowed_hosts:
            return _refuse(421, f"host {host!r} is not served here")  # DNS rebinding
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1] not in self._allowed_hosts:
            return _refuse(403, "cross-origin request refused")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        digest = _token_digest(token.strip()) if scheme.lower() == "bearer" and token.strip() else ""
        client = next(
            (name for known, name in self._token_hashes.items() if hmac.compare_digest(known, digest)), None
        )
        if client is None:
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        caller = Caller(client, digest)
        return self._within_rate(caller) or caller

    def _within_rate(self, caller: Caller) -> Response | None:
        """A token bucket per client: ``request_burst`` requests at once, refilled at
        ``requests_per_second``."""
        limits, now = self._limits, self._clock()
        tokens, at = self._buckets.get(caller.key, (float(limits.request_burst), now))
        tokens = min(float(limits.request_burst), tokens + (now - at) * limits.requests_per_second)
        if tokens < 1:
            self._buckets[caller.key] = (tokens, now)
            wait = (1 - tokens) / limits.requests_per_second
            return _refuse(429, "too many requests from this client; slow down", retry=wait)
        self._buckets[caller.key] = (tokens - 1, now)
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
        #: Per client (token digest): sessions starting, and the recent session starts.
        self._opening: dict[str, int] = {}
        self._opened: dict[str, collections.deque[float]] = {}

    def owned(self, session_id: str | None, name: str, caller: Caller) -> HttpSession | None:
        """The session, if it exists on this server and the caller's token opened it; another
        client is answered as if it did not exist (a leaked id grants nothing)."""
        session = self._sessions.get(session_id or "")
        if session is None or session.session.server != name:
            return None
        return session if hmac.compare_digest(session.owner, caller.key) else None

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

    def _too_many(self, caller: Caller) -> Response | None:
        """The refusal of a new session, if the caller has as many as it may (each is a server
        process) or opened too many in the last minute, or the gateway is full."""
        limits = self._limits
        mine = self._opening.get(caller.key, 0) + sum(
            1 for s in self._sessions.values() if s.owner == caller.key
        )
        if mine >= limits.max_sessions_per_client:
            return _refuse(
                429,
                f"this client has {mine} sessions open, the most it may; end one (DELETE) or wait "
                "for an idle one to time out",
            )
        if len(self._sessions) + sum(self._opening.values()) >= limits.max_sessions:
            return _refuse(503, "the gateway serves as many sessions as it may; try again later", retry=30)
        now = self._clock()
        recent = self._opened.setdefault(caller.key, collections.deque())
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= limits.new_sessions_per_minute:
            wait = recent[0] + 60 - now
            return _refuse(429, "this client opened too many sessions in the last minute", retry=wait)
        recent.append(now)
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
        )
        session.session.client = caller.name
        try:
            await session.start()
        except Refusal as exc:
            return f"mcpward gateway: {exc}"
        except OSError as exc:
            return f"mcpward gateway: cannot start {name}: {exc.strerror or exc}"
        self._sessions[session.id] = session
        return session

    def alive(self, session: HttpSession) -> bool:
        """Whether ``session`` is still served (not ended by its client or for idleness)."""
        return self._sessions.get(session.id) is session

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


@dataclass(slots=True)
class _Member:
    """One upstream session serving 2026-07-28 requests, one call at a time: what a
    session-era server asks mid-call (it names no call) belongs to the one in flight."""

    session: HttpSession
    view: _modern.UpstreamView
    busy: asyncio.Lock = field(default_factory=asyncio.Lock)


class _ModernSessions:
    """MCP 2026-07-28 requests (see ``_modern``). A server's requests go to upstream sessions the
    gateway opens with its own handshake and that pass the same interceptors as any session:
    by default one per client (no client shares a server's state with another; its calls to
    that server run one at a time), or, for a server configured with ``shared_pool = N``, a
    pool of up to N shared by every client (the calling client is the session's client for
    the audit log and the judges while its call runs). Ended for idleness as any session."""

    def __init__(self, table: _SessionTable, call_timeout: float) -> None:
        self._table = table
        self._call_timeout = call_timeout
        self._pools: dict[tuple[str, str], list[_Member]] = {}
        self._opening: dict[tuple[str, str], asyncio.Lock] = {}
        self._freed: dict[tuple[str, str], asyncio.Event] = {}
        #: Calls waiting for the client's retry, by the requestState given to the client.
        self._pending: dict[str, _Pending] = {}
        self._ids = itertools.count(1)

    def upstream_id(self) -> str:
        return f"mcpward-{next(self._ids)}"

    async def acquire(self, name: str, caller: Caller, client_info: Any) -> _Member | Response:
        """A member of the pool for this client and server, its ``busy`` lock held: a free one,
        a new one while the pool has room, or the first one freed (up to twice the call
        timeout: a call waiting for its client's retry holds a member that long at most)."""
        size = self._table.servers[name].shared_pool
        key = ("*" if size else caller.key, name)
        freed = self._freed.setdefault(key, asyncio.Event())
        deadline = asyncio.get_running_loop().time() + 2 * self._call_timeout
        while True:
            pool = self._pools[key] = [m for m in self._pools.get(key, []) if self._table.alive(m.session)]
            for member in pool:
                if not member.busy.locked():
                    await member.busy.acquire()
                    return self._for(member, caller)
            if len(pool) < max(1, size):
                async with self._opening.setdefault(key, asyncio.Lock()):
                    if len(self._pools[key]) < max(1, size):
                        opened = await self._open(
                            name, caller if not size else _pool_caller(name), client_info
                        )
                        if isinstance(opened, Response):
                            return opened
                        await opened.busy.acquire()
                        self._pools[key].append(opened)
                        return self._for(opened, caller)
                continue
            freed.clear()
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return _modern_refusal(503, None, BLOCKED, "mcpward gateway: every server process is busy")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(freed.wait(), timeout=min(left, 1.0))

    def release(self, name: str, caller: Caller, member: _Member) -> None:
        member.busy.release()
        key = ("*" if self._table.servers[name].shared_pool else caller.key, name)
        self._freed.setdefault(key, asyncio.Event()).set()

    @staticmethod
    def _for(member: _Member, caller: Caller) -> _Member:
        """The member, its session now the calling client's (audit log, judges)."""
        member.session.session.client = caller.name
        member.session.owner = caller.key
        return member

    async def _open(self, name: str, caller: Caller, client_info: Any) -> _Member | Response:
        started = await self._table.open(name, caller)
        if isinstance(started, Response):
            return started
        if isinstance(started, str):
            return _modern_refusal(503, None, BLOCKED, started)
        view = _modern.UpstreamView()
        info = client_info if isinstance(client_info, dict) else {"name": "mcpward-gateway", "version": "1"}
        # What the gateway can carry as multi-round-trip input requests (roots are deprecated
        # and asked outside any call by some servers: not declared).
        capabilities: dict[str, Any] = {"elicitation": {"form": {}}, "sampling": {}}
        handshake = {
            "protocolVersion": _modern.UPSTREAM_VERSION,
            "capabilities": capabilities,
            "clientInfo": info,
        }
        try:
            answer = await self._ask(started, "initialize", handshake)
            if not isinstance(answer.get("result"), dict):
                failure = answer.get("error")
                why = failure.get("message") if isinstance(failure, dict) else "no answer"
                raise ServerNotReading(f"the server {name!r} refused the gateway's handshake: {why}")
            view.initialize = answer["result"]
            await started.handle(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
            view.learn_tools((await self._ask(started, "tools/list", {})).get("result"))
        except (ServerNotReading, orjson.JSONDecodeError) as exc:
            await self._table.end(started)
            return _modern_refusal(503, None, BLOCKED, f"mcpward gateway: {exc}")
        return _Member(started, view)

    async def _ask(self, session: HttpSession, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The gateway's own request (the handshake, the first tool list): a server starting up
        (an npx download, a cold interpreter) gets a minute at least, not just a call's time."""
        message = {"jsonrpc": "2.0", "id": self.upstream_id(), "method": method, "params": params}
        answer = await session.handle(orjson.dumps(message), timeout=max(60.0, self._call_timeout))
        parsed = orjson.loads(answer) if answer is not None else {}
        return parsed if isinstance(parsed, dict) else {}

    async def answer(
        self, request: Request, name: str, caller: Caller, message: dict[str, Any], version: str
    ) -> Response:
        """The answer to one request of the 2026-07-28 revision."""
        request_id = message.get("id")
        if version not in _modern.MODERN_VERSIONS:
            supported = [*_modern.MODERN_VERSIONS, *_modern.HANDSHAKE_VERSIONS]
            data = {"supported": supported, "requested": version}
            why = f"protocol version {version!r} is not served"
            return _modern_refusal(400, request_id, _modern.UNSUPPORTED_PROTOCOL_VERSION, why, data)
        try:
            _modern.check_headers(request.headers, message, version)
        except _modern.HeaderMismatch as exc:
            return _modern_refusal(400, request_id, _modern.HEADER_MISMATCH, f"Header mismatch: {exc}")
        if "id" not in message:
            return Response(status_code=202)  # this revision defines no client notification over HTTP
        method = str(message.get("method"))
        if _modern.removed(method) or method == "subscriptions/listen":
            why = f"{method} is not served under {version}"
            return _modern_refusal(404, request_id, _modern.METHOD_NOT_FOUND, why)
        given = message.get("params")
        params: dict[str, Any] = given if isinstance(given, dict) else {}
        given = params.get("_meta")
        meta: dict[str, Any] = given if isinstance(given, dict) else {}
        subject = params.get("uri") if method == "resources/read" else params.get("name")
        state = params.get("requestState")
        if state is not None:  # a retry that carries the client's answers
            # Looked up, and taken only by the call it was issued for: a guessed or misused
            # state leaves the pending call to its own client.
            pending = self._pending.get(str(state))
            if pending is None or (pending.caller, pending.name, pending.method, pending.subject) != (
                caller,
                name,
                method,
                subject,
            ):
                why = "mcpward gateway: unknown or expired requestState (call the tool again)"
                failure = {"code": -32602, "message": why}
                return _modern_answer({"jsonrpc": "2.0", "id": request_id, "error": failure})
            del self._pending[str(state)]
            pending.expiry.cancel()
            member, call = pending.member, pending.call
            await self._answer_upstream(member.session, pending.asked, params.get("inputResponses"))
        else:
            acquired = await self.acquire(name, caller, meta.get(_modern.META_CLIENT_INFO))
            if isinstance(acquired, Response):
                return acquired
            member = acquired
            refused = self._refused(request, method, params, member.view, request_id)
            if refused is not None:
                self.release(name, caller, member)
                return refused
            if method == "server/discover":
                self.release(name, caller, member)
                return _modern_answer({"jsonrpc": "2.0", "id": request_id, "result": member.view.discover()})
            upstream = orjson.dumps(_modern.for_upstream(message, self.upstream_id()))
            call = asyncio.ensure_future(member.session.handle(upstream))
        session, view = member.session, member.view
        session.last_used = self._table.clock()
        declared = meta.get(_modern.META_CLIENT_CAPABILITIES)
        followed = await self._follow(session, call, declared if isinstance(declared, dict) else {})
        if isinstance(followed, dict):  # the server asks the client something: a round trip
            token = secrets.token_urlsafe(24)
            expiry = asyncio.get_running_loop().call_later(self._call_timeout, self._abandon, token, name)
            keys = {upstream_id: f"r{number}" for number, upstream_id in enumerate(followed)}
            asked = {keys[upstream_id]: upstream_id for upstream_id in followed}
            self._pending[token] = _Pending(caller, name, method, subject, member, call, asked, expiry)
            requests = {keys[upstream_id]: request for upstream_id, request in followed.items()}
            interim = {"resultType": "input_required", "inputRequests": requests, "requestState": token}
            return _modern_answer({"jsonrpc": "2.0", "id": request_id, "result": interim})
        self.release(name, caller, member)
        if isinstance(followed, ServerNotReading):
            return _modern_refusal(503, request_id, BLOCKED, str(followed))
        session.last_used = self._table.clock()
        reply = orjson.loads(followed) if followed is not None else {}
        if not isinstance(reply, dict):
            why = "mcpward gateway: the server's answer is not an object"
            return _modern_refusal(502, request_id, BLOCKED, why)
        reply["id"] = request_id
        result = reply.get("result")
        if isinstance(result, dict):
            if method == "tools/list":
                view.learn_tools(result)
            reply["result"] = _modern.modern_result(method, result, view)
        return _modern_answer(reply)

    @staticmethod
    def _refused(
        request: Request, method: str, params: dict[str, Any], view: _modern.UpstreamView, request_id: Any
    ) -> Response | None:
        """A call of a tool withheld for its markings, or whose header parameters disagree."""
        if method != "tools/call":
            return None
        tool = str(params.get("name"))
        markings = view.markings.get(tool)
        if isinstance(markings, str):
            why = f"mcpward gateway: tool {tool!r} refused: {markings}"
            return _modern_answer(
                {"jsonrpc": "2.0", "id": request_id, "error": {"code": BLOCKED, "message": why}}
            )
        try:
            _modern.check_parameters(request.headers, params.get("arguments"), markings or {})
        except _modern.HeaderMismatch as exc:
            return _modern_refusal(400, request_id, _modern.HEADER_MISMATCH, f"Header mismatch: {exc}")
        return None

    async def _follow(
        self,
        session: HttpSession,
        call: asyncio.Future[bytes | None],
        capabilities: dict[str, Any],
    ) -> bytes | dict[Any, dict[str, Any]] | ServerNotReading | None:
        """The call's answer; or, when the server asks the client something first (judged and
        recorded by the session's relay as any server request), those requests by their
        upstream id, the call still in flight (its member still busy) for the retry."""
        while True:
            asked: asyncio.Future[Any] = asyncio.ensure_future(
                session.next_unasked(timeout=self._call_timeout)
            )
            await asyncio.wait([call, asked], return_when=asyncio.FIRST_COMPLETED)
            if call.done():
                asked.cancel()
                try:
                    return call.result()
                except ServerNotReading as exc:
                    return exc
            try:
                data = asked.result()
            except TimeoutError:
                continue
            try:
                message = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(message, dict) or "id" not in message or "method" not in message:
                continue  # a notification: a JSON answer has no stream to carry it
            needed = _ASKED_NEEDS.get(str(message["method"]))
            if needed is None or needed not in capabilities:
                why = f"the client did not declare {needed or message['method']} for this request"
                refusal = {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": why}}
                await session.handle(orjson.dumps(refusal))
                continue
            request = {"method": message["method"], "params": message.get("params") or {}}
            return {message["id"]: request}

    async def _answer_upstream(self, session: HttpSession, asked: dict[str, Any], responses: Any) -> None:
        """The client's answers to what the server asked, as JSON-RPC responses to the server
        (through the relay: DLP and the audit log, as a session client's answers)."""
        for input_key, upstream_id in asked.items():
            answer = responses.get(input_key) if isinstance(responses, dict) else None
            if isinstance(answer, dict):
                body: dict[str, Any] = {"jsonrpc": "2.0", "id": upstream_id, "result": answer}
            else:
                failure = {"code": -32600, "message": "the client gave no answer to this request"}
                body = {"jsonrpc": "2.0", "id": upstream_id, "error": failure}
            await session.handle(orjson.dumps(body))

    def _abandon(self, token: str, name: str) -> None:
        """A round trip the client did not complete in time: the server's questions are
        refused, so that its call ends and the member serves the next call."""
        pending = self._pending.pop(token, None)
        if pending is None:
            return
        session = pending.member.session

        async def end() -> None:
            try:
                with contextlib.suppress(Exception):  # whatever ended it, the member is freed
                    await self._answer_upstream(session, pending.asked, None)
                    await asyncio.wait_for(asyncio.shield(pending.call), timeout=self._call_timeout)
            finally:
                self.release(name, pending.caller, pending.member)

        session.tasks.add(task := asyncio.ensure_future(end()))
        task.add_done_callback(session.tasks.discard)


#: What a client must declare (per request) for the gateway to pass a server's request on.
_ASKED_NEEDS = {"elicitation/create": "elicitation", "sampling/createMessage": "sampling"}


@dataclass(slots=True)
class _Pending:
    """A call whose server asked the client something, until the client's retry answers it."""

    caller: Caller
    name: str
    method: str
    #: The tool or prompt name (resource URI) of the call: its retry must be the same request.
    subject: Any
    member: _Member
    call: asyncio.Future[bytes | None]
    #: The input key given to the client -> the server's request id.
    asked: dict[Any, Any]
    expiry: asyncio.TimerHandle


def _pool_caller(name: str) -> Caller:
    """The gateway itself, opening a shared pool's processes: within the gateway's limit of
    sessions, not a client's."""
    return Caller(name="(shared pool)", key=f"pool:{name}")


def _modern_answer(reply: dict[str, Any]) -> Response:
    return Response(orjson.dumps(reply), media_type="application/json")


def _modern_refusal(status: int, request_id: Any, code: int, why: str, data: Any = None) -> Response:
    return Response(
        _modern.error_body(request_id, code, why, data), status_code=status, media_type="application/json"
    )


async def _read_body(request: Request, max_message: int) -> bytes | Response:
    """The posted message, refused on its declared length before it is read, and on what
    actually arrives."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_message):
        return _refuse(413, f"message larger than {max_message} bytes")
    # Read as it arrives and stop at the limit: a chunked body declares no length, and
    # reading it whole first held all of it (hundreds of MB) before the refusal.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_message:
            return _refuse(413, f"message larger than {max_message} bytes")
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
) -> Starlette:
    """``servers``: name -> upstream; ``token_hashes``: sha256 of a client token -> client name.
    ``clock`` measures idleness and ``reap_interval`` is how often idle sessions are looked for
    (by default half the timeout, at most a minute); tests set both instead of sleeping.
    ``limits`` bound what one client may use (sessions, their rate, requests); ``judge`` runs
    the checks (by default: :class:`Judge`'s defaults)."""
    every = reap_interval if reap_interval is not None else min(60.0, idle_timeout / 2)
    judge = judge or Judge()
    admission = _Admission(token_hashes, allowed_hosts, limits, clock)
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

    modern = _ModernSessions(table, call_timeout)

    def admit(request: Request) -> tuple[Caller, str] | Response:
        """(the client, the server it asks for), or the refusal to send."""
        verdict = admission.check(request)
        if isinstance(verdict, Response):
            return verdict
        name = request.path_params["name"]
        if name not in servers:
            return _refuse(404, f"no server {name!r}")
        return verdict, name

    async def sse_stream(request: Request) -> Response:
        """The legacy SSE transport: this stream carries every answer; posts go to /messages."""
        admitted = admit(request)
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
                async for chunk in _events(session):
                    yield chunk
            finally:
                await table.end(session)

        return StreamingResponse(events(), media_type="text/event-stream")

    async def sse_message(request: Request) -> Response:
        verdict = admission.check(request)
        if isinstance(verdict, Response):
            return verdict
        session = table.owned(request.query_params.get("session_id"), request.path_params["name"], verdict)
        if session is None:
            return _refuse(404, "unknown session")
        body = await _read_body(request, max_message)
        if isinstance(body, Response):
            return body

        session.last_used = clock()

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
        admitted = admit(request)
        if isinstance(admitted, Response):
            return admitted
        client, name = admitted
        session_id = request.headers.get(SESSION_HEADER)
        session = table.owned(session_id, name, client) if session_id else None
        if session_id and session is None:
            return _refuse(404, "unknown session; initialize again")
        if request.method == "DELETE":
            if session is not None:
                await table.end(session)
            return Response(status_code=204)
        if request.method == "GET":
            if session is None:
                return _refuse(400, "a GET stream needs a session")
            return StreamingResponse(_events(session), media_type="text/event-stream")
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

    return Starlette(
        routes=[
            Route("/servers/{name}/mcp", endpoint, methods=["GET", "POST", "DELETE"]),
            Route("/servers/{name}/sse", sse_stream, methods=["GET"]),
            Route("/servers/{name}/messages", sse_message, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


async def _events(session: HttpSession) -> AsyncIterator[bytes]:
    while True:
        session.last_used = session.clock()  # an open stream keeps its session alive
        try:
            data = await session.next_unasked(timeout=15)
        except TimeoutError:
            yield b": keep-alive\n\n"
            continue
        yield b"event: message\ndata: " + data.rstrip(b"\n") + b"\n\n"


def _id(body: bytes) -> Any:
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return message.get("id") if isinstance(message, dict) else None
