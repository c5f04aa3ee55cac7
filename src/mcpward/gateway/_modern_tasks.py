"""The tasks extension (``io.modelcontextprotocol/tasks``) for MCP 2026-07-28 clients of
``gateway serve``: a tool call of a client that declares the extension and that has not
answered within ``task_after`` seconds becomes a task, whatever the upstream server speaks.
The call goes on in the background on its upstream session; ``tasks/get`` gives its status,
its server's questions (``input_required``) and, at the end, its answer, which is the answer
the session's relay judged and recorded (DLP, the injection check, pins: the same checks as a
direct result, since it is the same path). ``tasks/update`` carries the client's answers back,
``tasks/cancel`` ends the client's interest. A task is found only by the client and server it
was made for (another client asking for its id is told it does not exist). Its id begins with
the upstream request id the audit log records the call under (after the replica's name and
``~`` when one is configured), so a task's rounds are one story in the log."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from mcpward.gateway import _modern
from mcpward.gateway._http_session import Caller, ServerNotReading
from mcpward.gateway.interface import BLOCKED

if TYPE_CHECKING:
    from mcpward.gateway._modern_serve import _Member, _ModernSessions

EXTENSION = "io.modelcontextprotocol/tasks"
#: The error for a client that uses tasks without declaring the extension.
MISSING_CAPABILITY = -32021
_TERMINAL = {"completed", "failed", "cancelled"}
#: A task's answer is kept this long after it was created (the ``ttlMs`` the client is told),
#: beyond which ``tasks/get`` no longer knows it.
TASK_TTL_SECONDS = 900.0
#: Tasks open per client at once; past it a call is answered directly, as without tasks.
MAX_TASKS_PER_CLIENT = 32
_POLL_MS = 1000


def declares_tasks(capabilities: Any) -> bool:
    """Whether a request's declared client capabilities include the tasks extension."""
    extensions = capabilities.get("extensions") if isinstance(capabilities, dict) else None
    return isinstance(extensions, dict) and EXTENSION in extensions


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(eq=False, slots=True)
class Task:
    task_id: str
    caller: Caller
    name: str
    status: str = "working"
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    #: The server's open questions, by the key the client answers them under.
    input_requests: dict[str, Any] = field(default_factory=dict)
    #: The key given to the client -> the server's request id.
    asked: dict[str, Any] = field(default_factory=dict)
    responses: Any = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    #: Question keys are never reused within a task (the extension requires it).
    keys: itertools.count[int] = field(default_factory=itertools.count)
    runner: asyncio.Task[None] | None = None

    def set(self, status: str, **values: Any) -> None:
        if self.status in _TERMINAL:  # terminal states do not change (a cancelled call may end)
            return
        self.status = status
        for key, value in values.items():
            setattr(self, key, value)
        self.updated_at = _now()

    def shape(self) -> dict[str, Any]:
        """The task as ``tasks/get`` and ``CreateTaskResult`` give it."""
        shaped: dict[str, Any] = {
            "taskId": self.task_id,
            "status": self.status,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.updated_at,
            "ttlMs": int(TASK_TTL_SECONDS * 1000),
            "pollIntervalMs": _POLL_MS,
        }
        if self.status == "input_required":
            shaped["inputRequests"] = self.input_requests
        elif self.status == "completed" and self.result is not None:
            shaped["result"] = self.result
        elif self.status == "failed" and self.error is not None:
            shaped["error"] = self.error
            shaped["statusMessage"] = str(self.error.get("message", ""))[:500]
        return shaped


class Tasks:
    """The tasks of one ``gateway serve`` process."""

    def __init__(
        self, sessions: _ModernSessions, call_timeout: float, task_after: float, replica: str = ""
    ) -> None:
        self._sessions = sessions
        #: Task ids begin with it (``NAME~``): a balancer routes on the Mcp-Name header.
        self._prefix = f"{replica}~" if replica else ""
        self._call_timeout = call_timeout
        #: Seconds a declaring client's call may take before it becomes a task.
        self.task_after = task_after
        self._tasks: dict[str, Task] = {}

    def waiting(self, caller: Caller, name: str) -> int:
        """Tasks of this client and server waiting for the client's answers."""
        return sum(
            1
            for task in self._tasks.values()
            if (task.caller.key, task.name) == (caller.key, name) and task.status == "input_required"
        )

    def room_for(self, caller: Caller) -> bool:
        return sum(1 for task in self._tasks.values() if task.caller.key == caller.key) < MAX_TASKS_PER_CLIENT

    def create(
        self,
        upstream_id: str,
        caller: Caller,
        name: str,
        member: _Member,
        call: asyncio.Future[bytes | None],
        follow: asyncio.Future[Any],
        capabilities: dict[str, Any],
    ) -> dict[str, Any]:
        """Make the call in flight a task; the ``CreateTaskResult``."""
        task = Task(f"{self._prefix}{upstream_id}.{secrets.token_urlsafe(24)}", caller, name)
        self._tasks[task.task_id] = task
        task.runner = asyncio.ensure_future(self._run(task, member, call, follow, capabilities))
        asyncio.get_running_loop().call_later(TASK_TTL_SECONDS, self._tasks.pop, task.task_id, None)
        return {"resultType": "task", **task.shape()}

    async def _run(
        self,
        task: Task,
        member: _Member,
        call: asyncio.Future[bytes | None],
        follow: asyncio.Future[Any],
        capabilities: dict[str, Any],
    ) -> None:
        sessions, name, caller = self._sessions, task.name, task.caller
        followed = await follow
        while isinstance(followed, dict):  # the server asks the client something
            keys = {f"q{next(task.keys)}": upstream_id for upstream_id in followed}
            requests = {key: followed[upstream_id] for key, upstream_id in keys.items()}
            task.answered.clear()
            task.asked = keys
            task.set("input_required", input_requests=requests)
            responses = None
            if task.status == "input_required":  # not cancelled meanwhile
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(task.answered.wait(), timeout=self._call_timeout)
                    responses = task.responses
            task.set("working", input_requests={})
            task.asked, task.responses = {}, None
            try:
                await sessions.answer_upstream(member.session, keys, responses)
            except ServerNotReading as exc:
                await sessions.discard(name, caller, member)
                task.set("failed", error={"code": BLOCKED, "message": f"mcpward gateway: {exc}"})
                return
            followed = await sessions.follow(
                member, call, capabilities, may_ask=sessions.may_ask(caller, name)
            )
        if isinstance(followed, ServerNotReading):
            await sessions.discard(name, caller, member)
            task.set("failed", error={"code": BLOCKED, "message": f"mcpward gateway: {followed}"})
            return
        sessions.release(name, caller, member)
        reply = orjson.loads(followed) if followed is not None else {}
        if isinstance(reply, dict) and isinstance(reply.get("error"), dict):
            task.set("failed", error=reply["error"])
        elif isinstance(reply, dict) and isinstance(reply.get("result"), dict):
            task.set("completed", result=_modern.modern_result("tools/call", reply["result"], member.view))
        else:
            task.set(
                "failed",
                error={"code": BLOCKED, "message": "mcpward gateway: the server's answer is not an object"},
            )

    def request(
        self,
        caller: Caller,
        name: str,
        method: str,
        params: dict[str, Any],
        capabilities: Any,
        request_id: Any,
    ) -> bytes:
        """The answer to ``tasks/get``, ``tasks/update`` or ``tasks/cancel``."""
        if not declares_tasks(capabilities):
            data: dict[str, Any] = {"requiredCapabilities": {"extensions": {EXTENSION: {}}}}
            why = f"{method} needs the {EXTENSION} extension declared in the request"
            return _modern.error_body(request_id, MISSING_CAPABILITY, why, data)
        task = self._tasks.get(str(params.get("taskId")))
        # By the caller's key: its token may have been refreshed since (same issuer, subject, client).
        if task is None or (task.caller.key, task.name) != (caller.key, name):
            # Another client's task is answered as if it did not exist: no oracle of ids.
            return _modern.error_body(request_id, -32602, "unknown or expired taskId")
        if method == "tasks/get":
            result: dict[str, Any] = {"resultType": "complete", **task.shape()}
        elif method == "tasks/update":
            responses = params.get("inputResponses")
            if task.status == "input_required" and isinstance(responses, dict):
                task.responses = {key: value for key, value in responses.items() if key in task.asked}
                task.answered.set()
            result = {"resultType": "complete"}
        elif method == "tasks/cancel":
            if task.status not in _TERMINAL:
                task.set("cancelled")
                task.answered.set()  # a question it waits on is refused to the server
            result = {"resultType": "complete"}
        else:
            return _modern.error_body(request_id, _modern.METHOD_NOT_FOUND, f"{method} is not a tasks method")
        return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": result})
