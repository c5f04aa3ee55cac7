"""One served session of ``gateway serve``: a server process (or remote connection), its relay,
and the requests waiting for answers; and the :class:`Judge` that runs the relay.

Judging a message (DLP, the injection check, the audit record) costs about a second per few MB
dense with personal data; on the event loop, the one thread that serves every client, one
client's large messages held up everyone's calls (14 s in a review). So a :class:`Judge` runs
the relay: small messages on the loop while their client is within its share of the loop's
time, the rest in a bounded pool of threads where a client holds one thread at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from mcpward._bounded import keep_recent
from mcpward.gateway._oauth import ExchangeFailed, TokenExchange
from mcpward.gateway._relay import TICK_SECONDS, Out, Relay
from mcpward.gateway._remote import RemoteUpstream
from mcpward.gateway._stdio import Oversized, _die_with_parent, lines
from mcpward.gateway.interface import (
    TIMEOUT,
    Identity,
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
#: Callers whose bookkeeping (a request rate, recent session starts, a judging budget) is kept
#: at once: past it the least recently seen caller's is forgotten, and it starts afresh with a
#: full allowance. A caller is (issuer, subject, client), and an identity provider that registers
#: any client mints new ones without end: each one's entries were kept for good.
MAX_CALLERS = 10_000


@dataclass(slots=True)
class _Slot:
    """A client's turn at the judges, and how many of its messages hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


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
        #: Per client with messages being judged or waiting (dropped with its last one).
        self._slots: dict[str, _Slot] = {}
        #: Per client: the loop time it may still spend judging (negative once overspent) and when.
        self._budgets: OrderedDict[str, tuple[float, float]] = OrderedDict()

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
                left = self._left(client, started) - (ended - started)
                keep_recent(self._budgets, client, (left, ended), MAX_CALLERS)
        slot = self._slots.setdefault(client, _Slot())
        slot.users += 1
        try:
            async with slot.lock:
                future = asyncio.get_running_loop().run_in_executor(self._pool, work)
                try:
                    return await asyncio.shield(future)
                except asyncio.CancelledError:
                    # A thread cannot be stopped: the slot (and the session's lock the caller
                    # holds) stay taken until it is done, so two judgings of one relay never overlap.
                    await asyncio.wait({future})
                    raise
        finally:
            slot.users -= 1
            if not slot.users:  # no message of its holds or waits for it: kept for no one
                del self._slots[client]

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
        exchange: TokenExchange | None = None,
    ) -> None:
        self.id = secrets.token_urlsafe(24)
        #: The digest of the token that opened the session: only its holder may use it, and
        #: it counts among that client's sessions. Never changes (a shared pool's process is
        #: opened by the gateway, whoever calls through it).
        self.opened_by = owner
        #: The client the session serves now, for the judge's share (a shared pool's member
        #: serves one client per call).
        self.owner = owner
        self.clock = clock
        self.session = Session(server=name, target=url or command[0])
        self.url = url
        self.upstream_headers = upstream_headers or {}
        self.exchange = exchange
        #: The current caller's access token, for the exchange (updated with each request).
        self.subject_token = ""
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
        self._ticking: asyncio.Task[None] | None = None
        self.last_used = clock()
        #: Whether the server has answered a request yet (see ``handle``).
        self.warm = False
        #: The server process has exited: nothing sent to it will be answered.
        self.gone = False
        #: Answers being awaited for the legacy SSE transport (kept so they are not collected).
        self.tasks: set[asyncio.Task[None]] = set()
        #: Whether the session's stream (its GET) is open: it has one at a time, each an open
        #: connection that no session limit would count otherwise.
        self.streaming = False

    async def start(self) -> None:
        for interceptor in self.interceptors:
            interceptor.launch(self.session)  # a Refusal goes to the client as the answer
        if self.url is not None:
            authorization = None
            if self.exchange is not None:
                exchange = self.exchange
                try:  # refused now, with the reason, rather than as a call that times out
                    await exchange.token_for(self.subject_token, self._issuer())
                except ExchangeFailed as exc:
                    raise Refusal(str(exc)) from None

                async def authorization() -> str:
                    return "Bearer " + await exchange.token_for(self.subject_token, self._issuer())

            self.remote = RemoteUpstream(
                self.url,
                self.upstream_headers,
                self._from_server,
                timeout=self.call_timeout,
                max_message=self.max_message,
                authorization=authorization,
                unsent=self._unsent,
            )
            self._ticking = asyncio.create_task(self._tick())
            return
        self.process = await asyncio.create_subprocess_exec(
            self.command[0],
            *self.command[1:],
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            preexec_fn=_die_with_parent,  # only asks the kernel for a signal; no lock is taken
        )
        self._pump = asyncio.create_task(self._read_server())
        self._ticking = asyncio.create_task(self._tick())

    def _issuer(self) -> str | None:
        """The issuer of the current caller's access token (None for a static token's)."""
        identity = self.session.identity
        return identity.issuer if identity is not None else None

    async def _tick(self) -> None:
        """What the checks send the client of their own goes to the session's stream."""
        while True:
            await asyncio.sleep(TICK_SECONDS)
            async with self.judging:
                outs = _keyed(self.relay.tick())
            self._deliver(outs)

    async def _read_server(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in lines(self.process.stdout, self.max_message):
            await self._from_server(raw)
        code = await self.process.wait()
        self.gone = True
        async with self.judging:
            gone = _keyed(self.relay.server_gone(f"exit status {code}"))
        self._deliver(gone)
        self._wake_reader()

    async def _unsent(self, data: bytes, why: str) -> None:
        """A message the remote server was not sent: the request it carries is answered with
        why, now (it waited for its call's whole timeout, then got "no answer in time")."""
        request_id = _request_id(data)
        if request_id is None:
            return
        async with self.judging:
            outs = _keyed(self.relay.unsent(request_id, why))
        self._deliver(outs)

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
        """What waits for the stream, or ``b""`` once the session ended or its server is gone
        (the reader looks whether it still has a session to read)."""
        data = await asyncio.wait_for(self.unasked.get(), timeout=timeout)
        self.unasked_bytes -= len(data)
        return data

    def _wake_reader(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # full: the reader is not waiting
            self.unasked.put_nowait(b"")

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
            # Until the server has answered once it may still be starting (a cold interpreter,
            # an npx download): its first answer gets a minute at least, not a call's time.
            wait = timeout or (self.call_timeout if self.warm else max(60.0, self.call_timeout))
            answer = await asyncio.wait_for(future, timeout=wait)
            self.warm = True
            return answer
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
        for task in (self._pump, self._ticking):
            if task is not None:
                task.cancel()
        async with self.judging:  # after a message still being judged in a thread
            self.relay.close()
        self._wake_reader()  # its stream ends now, not at its next keep-alive


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


#: Whether the access token that opened a stream would still be taken on a request: a stream
#: is one request, and went on carrying the session's traffic after its token expired.
StillAdmitted = Callable[[], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated client: its name in the config and the digest of its token (or the
    gateway itself, opening a shared pool's processes: ``gateway``)."""

    name: str
    key: str
    gateway: bool = False
    #: Who it is (an access token's subject and claims, or a static token's holder).
    identity: Identity | None = None
    #: The access token itself, for a token exchange only (never logged, never sent upstream).
    token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Upstream:
    """A served server: a command (one process per session) or a remote URL."""

    command: tuple[str, ...] = ()
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: 2026-07-28 clients: 0, a process per client; N, a pool of N shared by all clients.
    shared_pool: int = 0
    #: A remote server that takes a token exchanged for each caller's (RFC 8693).
    exchange: TokenExchange | None = None
