"""MCP 2026-07-28 requests to ``gateway serve`` (the checks and shapes are ``_modern``'s): the
upstream sessions they go to, pooled per client or shared, and the multi-round-trip requests
that carry a session-era server's mid-call questions to a stateless client."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from mcpward.gateway import _modern
from mcpward.gateway._http_session import Caller, HttpSession, ServerNotReading, StillAdmitted
from mcpward.gateway._modern_tasks import EXTENSION as TASKS_EXTENSION
from mcpward.gateway._modern_tasks import Tasks, declares_tasks
from mcpward.gateway.interface import ASKED_NEEDS, BLOCKED, undeclared_part

if TYPE_CHECKING:
    from mcpward.gateway._http import _SessionTable


@dataclass(slots=True)
class _Member:
    """One upstream session serving 2026-07-28 requests, one call at a time: what a
    session-era server asks mid-call (it names no call) belongs to the one in flight."""

    session: HttpSession
    view: _modern.UpstreamView
    busy: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: What the server asks the client mid-call, for the call in flight (see ``_pump``).
    asked: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=64))
    pump: asyncio.Task[None] | None = None
    #: A client's call is in flight on it (from its sending until its answer or abandonment):
    #: only then does a server request have a client to go to.
    in_call: bool = False


class _ModernSessions:
    """MCP 2026-07-28 requests (see ``_modern``). A server's requests go to upstream sessions the
    gateway opens with its own handshake and that pass the same interceptors as any session:
    by default one per client (no client shares a server's state with another; its calls to
    that server run one at a time), or, for a server configured with ``shared_pool = N``, a
    pool of up to N shared by every client (the calling client is the session's client for
    the audit log and the judges while its call runs). Ended for idleness as any session."""

    def __init__(
        self,
        table: _SessionTable,
        call_timeout: float,
        task_after: float | None = 2.0,
        replica: str = "",
        *,
        still_admitted: Callable[[Caller, str], StillAdmitted | None] | None = None,
    ) -> None:
        self._table = table
        #: For a ``subscriptions/listen`` stream: whether its caller's token would still be taken.
        self._still_admitted = still_admitted
        #: Calls of clients declaring the tasks extension that outlast ``task_after`` seconds
        #: become tasks (None: no tasks offered).
        self._tasks = None if task_after is None else Tasks(self, call_timeout, task_after, replica)
        self._call_timeout = call_timeout
        self._pools: dict[tuple[str, str], list[_Member]] = {}
        self._opening: dict[tuple[str, str], asyncio.Lock] = {}
        self._freed: dict[tuple[str, str], asyncio.Event] = {}
        #: Calls waiting for the client's retry, by the requestState given to the client.
        self._pending: dict[str, _Pending] = {}
        #: Open ``subscriptions/listen`` streams, by the pool whose notifications they carry.
        self._listeners: dict[tuple[str, str], set[_Listener]] = {}
        self._ids = itertools.count(1)
        #: Pools kept (one per client and server) before those whose servers are all gone are dropped.
        self._prune_at = _POOLS_KEPT

    def upstream_id(self) -> str:
        return f"mcpward-{next(self._ids)}"

    def _key(self, name: str, caller: Caller) -> tuple[str, str]:
        return ("*" if self._table.servers[name].shared_pool else caller.key, name)

    async def acquire(self, name: str, caller: Caller, client_info: Any) -> _Member | Response:
        """A member of the pool for this client and server, its ``busy`` lock held: a free one,
        a new one while the pool has room, or the first one freed (up to twice the call
        timeout: a call waiting for its client's retry holds a member that long at most)."""
        size = self._table.servers[name].shared_pool
        key = self._key(name, caller)
        if len(self._pools) >= self._prune_at:
            await self._prune()
        freed = self._freed.setdefault(key, asyncio.Event())
        deadline = asyncio.get_running_loop().time() + 2 * self._call_timeout
        while True:
            freed.clear()  # before looking: a member freed from here on wakes the wait below
            pool: list[_Member] = []
            dead: list[_Member] = []
            for member in self._pools.get(key, []):
                (pool if self._table.alive(member.session) else dead).append(member)
            self._pools[key] = pool
            for member in dead:  # its server exited: a new one replaces it
                if not member.busy.locked():
                    await self._table.end(member.session)
            for member in pool:
                if not member.busy.locked():
                    await member.busy.acquire()
                    return self._for(member, caller)
            if len(pool) < max(1, size):
                async with self._opening.setdefault(key, asyncio.Lock()):
                    if len(self._pools[key]) < max(1, size):
                        # A shared process is the gateway's: no client's self-description in it.
                        opener, info = (_pool_caller(name), None) if size else (caller, client_info)
                        opened = await self._open(name, opener, info)
                        if isinstance(opened, Response):
                            return opened
                        opened.pump = asyncio.ensure_future(self._pump(key, opened))
                        await opened.busy.acquire()
                        self._pools[key].append(opened)
                        return self._for(opened, caller)
                continue
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return _modern_refusal(503, None, BLOCKED, "mcpward gateway: every server process is busy")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(freed.wait(), timeout=min(left, 1.0))

    async def _prune(self) -> None:
        """Drops the pools whose servers are all gone (ended for idleness, exited) and that no
        call, start or listener uses, with their events and locks. A pool was kept for every
        client that ever called, its ended session in it, for good: clients without end (each
        registered client of an identity provider a new one) grew the gateway without bound."""
        unused = [
            key
            for key, pool in self._pools.items()
            if not any(self._table.alive(m.session) or m.busy.locked() for m in pool)
            and not (key in self._opening and self._opening[key].locked())
            and not self._listeners.get(key)
        ]
        ended = [member for key in unused for member in self._pools.pop(key)]
        for key in unused:
            self._freed.pop(key, None)
            self._opening.pop(key, None)
            self._listeners.pop(key, None)
        # and what was left beside no pool (a listen refused before its server was asked for)
        for key in (self._listeners.keys() | self._opening.keys() | self._freed.keys()) - self._pools.keys():
            if not self._listeners.get(key) and not (key in self._opening and self._opening[key].locked()):
                self._listeners.pop(key, None)
                self._opening.pop(key, None)
                self._freed.pop(key, None)
        self._prune_at = max(_POOLS_KEPT, 2 * len(self._pools))
        for member in ended:  # its server exited on its own: its session ended here too
            await self._table.end(member.session)

    def may_ask(self, caller: Caller, name: str) -> bool:
        """Whether a server may put a question to this client now. In a shared pool a client may
        hold all but one member waiting for its answers (round trips and tasks), so a client
        that never answers cannot take the pool from the others."""
        size = self._table.servers[name].shared_pool
        if not size:
            return True
        held = sum(
            1
            for pending in self._pending.values()
            if (pending.caller.key, pending.name) == (caller.key, name)
        )
        if self._tasks is not None:
            held += self._tasks.waiting(caller, name)
        return held < max(1, size - 1)

    def release(self, name: str, caller: Caller, member: _Member) -> None:
        if member.session.relay.expired:
            # Its server did not answer a request in time and may still be working on it: what
            # it asks for that call would go to the next call in flight on it (in a shared pool
            # another client's, who could read and approve it). Not handed out again: ended
            # (``acquire``), and the next call gets a new process.
            member.session.gone = True
        if self._table.servers[name].shared_pool:  # what it sends until the next call is no client's
            self._for(member, _pool_caller(name))
        member.busy.release()
        self._freed.setdefault(self._key(name, caller), asyncio.Event()).set()

    async def discard(self, name: str, caller: Caller, member: _Member) -> None:
        """A member whose server stopped reading mid-call: its call cannot end, so its process
        is ended (a new one serves the next call) and the member freed."""
        try:
            await self._table.end(member.session)
        finally:
            self.release(name, caller, member)

    async def _pump(self, key: tuple[str, str], member: _Member) -> None:
        """What the server sends of its own, judged and recorded by the session's relay: its
        requests go to the call in flight, its list changes to the pool's listeners (and the
        member lists its tools again before its next call, so the pins judge the new list)."""
        session = member.session
        while self._table.alive(session):
            try:
                data = await session.next_unasked(timeout=5)
                message = orjson.loads(data)
            except (TimeoutError, orjson.JSONDecodeError):
                continue
            if not isinstance(message, dict):
                continue
            if "id" in message and "method" in message:
                if not member.in_call:  # asked between calls: no client's to answer
                    await _refuse_asked(session, message)
                    continue
                with contextlib.suppress(asyncio.QueueFull):
                    member.asked.put_nowait(message)
            elif message.get("method") in _modern.LIST_CHANGED or message.get("method") == _RESOURCE_UPDATED:
                if message.get("method") in _modern.LIST_CHANGED:
                    member.view.stale = True
                for listener in list(self._listeners.get(key, ())):
                    with contextlib.suppress(asyncio.QueueFull):  # a stream not read drops them
                        listener.queue.put_nowait(message)

    @staticmethod
    def _for(member: _Member, caller: Caller) -> _Member:
        """The member, its session now the calling client's (audit log, judges)."""
        member.session.session.client = caller.name
        member.session.session.identity = caller.identity
        member.session.subject_token = caller.token
        member.session.owner = caller.key
        return member

    async def _fresh(self, member: _Member) -> None:
        """A member whose server said its tools changed lists them again before its next call:
        the pins judge the new list (a changed tool withheld) whichever client calls next.
        Without pins nothing marks a list as seen: asking that made every request list every
        page again first (tests/adversarial/test_gateway_modern_tool_relisting.py)."""
        session = member.session
        unseen = not session.session.tools_listed and any(
            interceptor.name == "pins" for interceptor in session.relay.interceptors
        )
        if member.view.stale or unseen:
            member.view.stale = False
            await self._list_tools(member.session, member.view)

    async def _open(self, name: str, caller: Caller, client_info: Any) -> _Member | Response:
        started = await self._table.open(name, caller)
        if isinstance(started, Response):
            return started
        if isinstance(started, str):
            return _modern_refusal(503, None, BLOCKED, started)
        view = _modern.UpstreamView()
        info = client_info if isinstance(client_info, dict) else {"name": "mcpward-gateway", "version": "1"}
        # What the gateway can carry as multi-round-trip input requests (roots are deprecated
        # and asked outside any call by some servers: not declared). Each part reaches only a
        # client whose request declared it (``_declared_need``); the relay refuses a part not
        # declared here (``undeclared_part``).
        capabilities: dict[str, Any] = {
            "elicitation": {"form": {}, "url": {}},
            "sampling": {"context": {}, "tools": {}},
        }
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
            await self._list_tools(started, view)
        except (ServerNotReading, orjson.JSONDecodeError) as exc:
            await self._table.end(started)
            return _modern_refusal(503, None, BLOCKED, f"mcpward gateway: {exc}")
        return _Member(started, view)

    async def _list_tools(self, session: HttpSession, view: _modern.UpstreamView) -> None:
        """The gateway's own tool list, every page (at most ``_LIST_PAGES``): the first page
        alone left the later pages' tools unpinned on first use (withheld as added) and out
        of the session's view (a call of one refused), whichever client called. Every page
        within one call timeout: a server answering each just in time held the request (and
        the member) 100 call timeouts; what it did not list in time is not in view."""
        params: dict[str, Any] = {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._call_timeout
        for _ in range(_LIST_PAGES):
            left = deadline - loop.time()
            if left <= 0:
                return
            result = (await self._ask(session, "tools/list", params, timeout=left)).get("result")
            view.learn_tools(result)
            cursor = result.get("nextCursor") if isinstance(result, dict) else None
            if not isinstance(cursor, str) or not cursor:
                return
            params = {"cursor": cursor}

    async def _ask(
        self, session: HttpSession, method: str, params: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """The gateway's own request (the handshake, the first tool list), waited for ``timeout``
        seconds (the session's call timeout by default)."""
        message = {"jsonrpc": "2.0", "id": self.upstream_id(), "method": method, "params": params}
        answer = await session.handle(orjson.dumps(message), timeout=timeout)
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
        repeated = _modern.repeated_header(request.headers.keys())
        if repeated is not None:
            why = f"Header mismatch: {repeated} is sent more than once"
            return _modern_refusal(400, request_id, _modern.HEADER_MISMATCH, why)
        try:
            _modern.check_headers(request.headers, message, version)
        except _modern.HeaderMismatch as exc:
            return _modern_refusal(400, request_id, _modern.HEADER_MISMATCH, f"Header mismatch: {exc}")
        if "id" not in message:
            return Response(status_code=202)  # this revision defines no client notification over HTTP
        method = str(message.get("method"))
        if _modern.removed(method):
            why = f"{method} is not served under {version}"
            return _modern_refusal(404, request_id, _modern.METHOD_NOT_FOUND, why)
        given = message.get("params")
        params: dict[str, Any] = given if isinstance(given, dict) else {}
        given = params.get("_meta")
        meta: dict[str, Any] = given if isinstance(given, dict) else {}
        if method == "subscriptions/listen":
            return await self._listen(name, caller, request_id, params, meta)
        declared = meta.get(_modern.META_CLIENT_CAPABILITIES)
        if method.startswith("tasks/") and self._tasks is not None:
            answered = self._tasks.request(caller, name, method, params, declared, request_id)
            return Response(answered, media_type="application/json")
        subject = params.get("uri") if method == "resources/read" else params.get("name")
        state = params.get("requestState")
        upstream_id = ""
        if state is not None:  # a retry that carries the client's answers
            # Looked up, and taken only by the call it was issued for: a guessed or misused
            # state leaves the pending call to its own client.
            pending = self._pending.get(str(state))
            if pending is None or (pending.caller.key, pending.name, pending.method, pending.subject) != (
                caller.key,
                name,
                method,
                subject,
            ):
                why = "mcpward gateway: unknown or expired requestState (call the tool again)"
                return _modern_refusal(200, request_id, -32602, why)
            del self._pending[str(state)]
            pending.expiry.cancel()
            member, call = pending.member, pending.call
            try:
                await self.answer_upstream(member.session, pending.asked, params.get("inputResponses"))
            except ServerNotReading as exc:
                await self.discard(name, caller, member)
                return _modern_refusal(503, request_id, BLOCKED, f"mcpward gateway: {exc}")
        else:
            acquired = await self.acquire(name, caller, meta.get(_modern.META_CLIENT_INFO))
            if isinstance(acquired, Response):
                return acquired
            member = acquired
            try:
                await self._fresh(member)
            except (ServerNotReading, orjson.JSONDecodeError) as exc:
                self.release(name, caller, member)
                return _modern_refusal(503, request_id, BLOCKED, f"mcpward gateway: {exc}")
            refused = self._refused(request, method, params, member.view, request_id)
            if refused is not None:
                self.release(name, caller, member)
                return refused
            if method == "server/discover":
                # Answered from the handshake, after a ping through the session's checks: a
                # server whose approval was withdrawn is not described to anyone.
                try:
                    checked = await self._ask(member.session, "ping", {})
                finally:
                    self.release(name, caller, member)
                if "error" in checked:
                    return _modern_answer({**checked, "id": request_id})
                extensions: dict[str, Any] = {} if self._tasks is None else {TASKS_EXTENSION: {}}
                described = member.view.discover(extensions)
                return _modern_answer({"jsonrpc": "2.0", "id": request_id, "result": described})
            upstream_id = self.upstream_id()
            upstream = orjson.dumps(_modern.for_upstream(message, upstream_id))
            member.in_call = True
            call = asyncio.ensure_future(member.session.handle(upstream))
        session, view = member.session, member.view
        session.last_used = self._table.clock()
        capabilities = declared if isinstance(declared, dict) else {}
        may_ask = self.may_ask(caller, name)
        follow = asyncio.ensure_future(self.follow(member, call, capabilities, may_ask=may_ask))
        if (
            self._tasks is not None
            and state is None
            and method == "tools/call"
            and declares_tasks(capabilities)
            and self._tasks.room_for(caller)
        ):
            await asyncio.wait({follow}, timeout=self._tasks.task_after)
            # Room looked for again, with no wait before the task is made: calls that all found
            # room before their wait each made one (the limit passed by one per server).
            if not follow.done() and self._tasks.room_for(caller):  # long-running: a task to poll
                created = self._tasks.create(upstream_id, caller, name, member, call, follow, capabilities)
                return _modern_answer({"jsonrpc": "2.0", "id": request_id, "result": created})
        followed = await follow
        if isinstance(followed, dict):  # the server asks the client something: a round trip
            token = secrets.token_urlsafe(24)
            expiry = asyncio.get_running_loop().call_later(self._call_timeout, self._abandon, token, name)
            keys = {upstream_id: f"r{number}" for number, upstream_id in enumerate(followed)}
            asked = {keys[upstream_id]: upstream_id for upstream_id in followed}
            self._pending[token] = _Pending(caller, name, method, subject, member, call, asked, expiry)
            requests = {keys[upstream_id]: request for upstream_id, request in followed.items()}
            interim = {"resultType": "input_required", "inputRequests": requests, "requestState": token}
            return _modern_answer({"jsonrpc": "2.0", "id": request_id, "result": interim})
        if isinstance(followed, ServerNotReading):
            await self.discard(name, caller, member)
            return _modern_refusal(503, request_id, BLOCKED, f"mcpward gateway: {followed}")
        self.release(name, caller, member)
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

    async def _listen(
        self, name: str, caller: Caller, request_id: Any, params: dict[str, Any], meta: dict[str, Any]
    ) -> Response:
        """``subscriptions/listen``: an SSE stream of the list changes the client asked for,
        from the server its requests go to (started if need be), each as the relay judged and
        recorded it, and the updates of the resources it asked to watch (``resources/subscribe``
        upstream, see ``_subscribe``); the acknowledgement says which of the asked-for kinds and
        resources are honoured."""
        given = params.get("notifications")
        asked: dict[str, Any] = given if isinstance(given, dict) else {}
        agreed: dict[str, Any] = {
            kind: True for kind in _modern.LIST_CHANGED.values() if asked.get(kind) is True
        }
        given = asked.get("resourceSubscriptions")
        uris = (
            [uri for uri in given if isinstance(uri, str) and 0 < len(uri) <= 2048]
            if isinstance(given, list)
            else []
        )
        key = self._key(name, caller)
        listeners = self._listeners.setdefault(key, set())
        if sum(1 for listener in listeners if listener.owner == caller.key) >= _LISTENS:
            why = f"at most {_LISTENS} open subscriptions per client"
            return _modern_refusal(429, request_id, BLOCKED, why)
        # Counted from now, before the waits below: listens sent at once all passed the count
        # while the first started the server (24 streams held where 8 are allowed).
        listener = _Listener(caller.key)
        listeners.add(listener)
        streaming = False
        try:
            acquired = await self.acquire(name, caller, meta.get(_modern.META_CLIENT_INFO))
            if isinstance(acquired, Response):
                return acquired
            try:
                watched = await self._subscribe(acquired, uris[:_RESOURCES_PER_LISTEN])
            finally:
                self.release(name, caller, acquired)  # the server runs; its notifications reach the pump
            streaming = True
        finally:
            if not streaming:
                listeners.discard(listener)
        if watched:
            agreed["resourceSubscriptions"] = watched
        listener.resources = frozenset(watched)
        subscription = {_modern.META_SUBSCRIPTION: request_id}
        admitted = self._still_admitted(caller, name) if self._still_admitted is not None else None

        def event(message: dict[str, Any]) -> bytes:
            return b"event: message\ndata: " + orjson.dumps(message) + b"\n\n"

        async def stream() -> Any:
            try:
                ack = {"_meta": subscription, "notifications": agreed}
                method = "notifications/subscriptions/acknowledged"
                yield event({"jsonrpc": "2.0", "method": method, "params": ack})
                while True:
                    # Its token is asked about at each event and keep-alive: a stream is one
                    # request, and carried updates to a caller refused everything else.
                    if admitted is not None and not await admitted():
                        break
                    try:
                        message = await asyncio.wait_for(listener.queue.get(), timeout=15)
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    if not (
                        agreed.get(_modern.LIST_CHANGED.get(str(message.get("method")), ""))
                        or listener.watches(message)
                    ):
                        continue
                    given = message.get("params")
                    carried = {**(given if isinstance(given, dict) else {}), "_meta": subscription}
                    yield event({"jsonrpc": "2.0", "method": message["method"], "params": carried})
            finally:
                self._listeners.get(key, set()).discard(listener)

        headers = {"X-Accel-Buffering": "no"}  # no proxy holds the stream's events back
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def _subscribe(self, member: _Member, uris: list[str]) -> list[str]:
        """The resources of ``uris`` the server agreed to report updates of: each subscribed
        upstream (``resources/subscribe``, judged and recorded as any request) when the server
        offers subscriptions. An update reaches only the streams that asked for its resource."""
        capabilities = member.view.initialize.get("capabilities")
        resources = capabilities.get("resources") if isinstance(capabilities, dict) else None
        if not uris or not (isinstance(resources, dict) and resources.get("subscribe") is True):
            return []
        watched = []
        for uri in dict.fromkeys(uris):
            try:
                answer = await self._ask(member.session, "resources/subscribe", {"uri": uri})
            except (ServerNotReading, orjson.JSONDecodeError):
                break
            if isinstance(answer.get("result"), dict):
                watched.append(uri)
        return watched

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
            return _modern_refusal(200, request_id, BLOCKED, why)
        try:
            _modern.check_parameters(request.headers, params.get("arguments"), markings or {})
        except _modern.HeaderMismatch as exc:
            return _modern_refusal(400, request_id, _modern.HEADER_MISMATCH, f"Header mismatch: {exc}")
        return None

    async def follow(
        self,
        member: _Member,
        call: asyncio.Future[bytes | None],
        capabilities: dict[str, Any],
        *,
        may_ask: bool = True,
    ) -> bytes | dict[Any, dict[str, Any]] | ServerNotReading | None:
        """The call's answer; or, when the server asks the client something first (judged and
        recorded by the session's relay as any server request), those requests by their
        upstream id, the call still in flight (its member still busy) for the retry."""
        session = member.session
        while True:
            asked: asyncio.Future[dict[str, Any]] = asyncio.ensure_future(member.asked.get())
            waited: list[asyncio.Future[Any]] = [call, asked]
            await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
            if call.done():
                if not asked.cancel() and asked.done():
                    member.asked.put_nowait(asked.result())
                await _settle(member)
                try:
                    return call.result()
                except ServerNotReading as exc:
                    return exc
            message = asked.result()
            needed = _declared_need(message, capabilities)
            if needed is not None or not may_ask:
                why = (
                    f"the client did not declare {needed} for this request"
                    if needed is not None
                    else "the client has as many questions open in this shared pool as it may"
                )
                refusal = {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": why}}
                try:
                    await session.handle(orjson.dumps(refusal))
                except ServerNotReading as exc:
                    return exc
                continue
            request = {"method": message["method"], "params": message.get("params") or {}}
            return {message["id"]: request}

    async def answer_upstream(self, session: HttpSession, asked: dict[str, Any], responses: Any) -> None:
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
                    await self.answer_upstream(session, pending.asked, None)
                    await asyncio.wait_for(asyncio.shield(pending.call), timeout=self._call_timeout)
            finally:
                with contextlib.suppress(Exception):
                    await _settle(pending.member)
                self.release(name, pending.caller, pending.member)

        session.tasks.add(task := asyncio.ensure_future(end()))
        task.add_done_callback(session.tasks.discard)


async def _settle(member: _Member) -> None:
    """The member's call has ended: what its server asked and no call took is refused to the
    server (it is not the next caller's, who may be another client)."""
    member.in_call = False
    while not member.asked.empty():
        await _refuse_asked(member.session, member.asked.get_nowait())


async def _refuse_asked(session: HttpSession, message: dict[str, Any]) -> None:
    why = "mcpward gateway: no call of this server is in flight, so no client to ask"
    refusal = {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32603, "message": why}}
    with contextlib.suppress(ServerNotReading):
        await session.handle(orjson.dumps(refusal))


@dataclass(eq=False, slots=True)
class _Listener:
    """One open ``subscriptions/listen`` stream: what it has yet to send, and whose it is."""

    owner: str
    #: The resources whose updates it asked for (and the server agreed to report).
    resources: frozenset[str] = frozenset()
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=100))

    def watches(self, message: dict[str, Any]) -> bool:
        """An update of a resource it asked for (or of one under it: the server may name a part)."""
        if message.get("method") != _RESOURCE_UPDATED:
            return False
        params = message.get("params")
        uri = params.get("uri") if isinstance(params, dict) else None
        return isinstance(uri, str) and any(
            uri == watched or uri.startswith(watched.rstrip("/") + "/") for watched in self.resources
        )


#: The pages of a server's tool list the gateway asks for itself (see ``_list_tools``).
_LIST_PAGES = 100
#: Open subscriptions per client and server (each an open stream).
_LISTENS = 8
#: Pools (clients and servers) kept before the unused ones are looked for (see ``_prune``).
_POOLS_KEPT = 1024
#: Resources one stream may watch (each a ``resources/subscribe`` upstream).
_RESOURCES_PER_LISTEN = 32
_RESOURCE_UPDATED = "notifications/resources/updated"


def _declared_need(message: dict[str, Any], capabilities: dict[str, Any]) -> str | None:
    """What the client would have had to declare (per request) for this server request and
    did not (None when it did): the method's capability, and the parts of it the request uses
    (``undeclared_part``)."""
    method = str(message["method"])
    needed = ASKED_NEEDS.get(method)
    if needed is None or needed not in capabilities:
        return needed or method
    return undeclared_part(message, capabilities)


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
    return Caller(name="(shared pool)", key=f"pool:{name}", gateway=True)


def _modern_answer(reply: dict[str, Any]) -> Response:
    return Response(orjson.dumps(reply), media_type="application/json")


def _modern_refusal(status: int, request_id: Any, code: int, why: str, data: Any = None) -> Response:
    """A JSON-RPC error answer, with the HTTP status the specification gives the case (200 for
    a refusal the request's own rules decide, 4xx/5xx where the transport says so)."""
    return Response(
        _modern.error_body(request_id, code, why, data), status_code=status, media_type="application/json"
    )
