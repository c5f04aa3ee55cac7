"""The gateway's abstractions: a session between one client and one server, the exchanges that
cross it, and the interceptors that judge them.

mitmproxy-style: every check is an :class:`Interceptor` with the same few hooks, composed in a
pipeline (``_pipeline.py``), each testable alone. A hook that raises blocks what it was judging:
the gateway fails closed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from mcpward.model import MessageAction, Severity

if TYPE_CHECKING:
    from mcpward.gateway._audit import AuditLog
    from mcpward.gateway._config import GatewayConfig
    from mcpward.gateway._sinks import AuditSink

#: JSON-RPC error codes the gateway answers with.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
BLOCKED = -32001
SERVER_GONE = -32002
TIMEOUT = -32003
TOO_LARGE = -32004
#: The answer was held for a reviewer (``[dlp] injection = "quarantine"``); ``data`` names it.
HELD = -32005


def encode(message: dict[str, Any]) -> bytes:
    """One JSON-RPC message as a line of the stdio transport."""
    return orjson.dumps(message) + b"\n"


def error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    """A JSON-RPC error answer."""
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


#: The methods of the MCP specification (and what the relay calls an answer to nothing asked):
#: names the gateway knows, recorded and forwarded as they are. Any other is the sender's to
#: write, and judged by DLP as what it sends is.
MCP_METHODS = frozenset({
    "initialize", "ping", "tools/list", "tools/call", "prompts/list", "prompts/get",
    "resources/list", "resources/read", "resources/templates/list", "resources/subscribe",
    "resources/unsubscribe", "completion/complete", "logging/setLevel", "sampling/createMessage",
    "elicitation/create", "roots/list", "tasks/get", "tasks/list", "tasks/result", "tasks/cancel",
    "tasks/update", "subscriptions/listen", "server/discover", "response",
    "notifications/initialized", "notifications/cancelled", "notifications/progress",
    "notifications/message", "notifications/tools/list_changed", "notifications/prompts/list_changed",
    "notifications/resources/list_changed", "notifications/resources/updated",
    "notifications/roots/list_changed", "notifications/tasks", "notifications/tasks/status",
    "notifications/elicitation/complete", "notifications/subscriptions/acknowledged",
})  # fmt: skip


def counter_id(request_id: Any) -> bool:
    """Whether a JSON-RPC id is a counter: an integer of fewer than nine digits, which holds no
    number a DLP rule reads (it reads integers of nine digits or more). Most clients number
    their requests so; such an id needs no scan."""
    return type(request_id) is int and abs(request_id) < 100_000_000


#: What a client must declare for a server's request of it: the method's capability.
ASKED_NEEDS = {"elicitation/create": "elicitation", "sampling/createMessage": "sampling"}


def undeclared_part(message: dict[str, Any], capabilities: dict[str, Any]) -> str | None:
    """The part of a server's sampling or elicitation request that the client, which declared
    the method's capability, did not declare (None: none). An elicitation's mode is declared
    apart: ``"elicitation": {}`` is form mode only, and a URL ("open this page") is passed only
    to a client that declared ``url``. A sampling that asks for the context of the client's
    other servers (``includeContext``) or offers tools needs ``sampling.context`` or
    ``sampling.tools``: older clients honour the fields whatever they declared, and the other
    servers' context would reach this one."""
    method = str(message["method"])
    needed = ASKED_NEEDS[method]
    params = message.get("params")
    if method == "sampling/createMessage" and isinstance(params, dict):
        declared = capabilities[needed] if isinstance(capabilities[needed], dict) else {}
        if params.get("includeContext") not in (None, "none") and "context" not in declared:
            return "sampling.context"
        if ("tools" in params or "toolChoice" in params) and "tools" not in declared:
            return "sampling.tools"
    if method == "elicitation/create":
        mode = params.get("mode", "form") if isinstance(params, dict) else "form"
        if not isinstance(mode, str):
            return "elicitation in that mode"
        modes = capabilities[needed]
        if not (mode in modes if isinstance(modes, dict) and modes else mode == "form"):
            return f"elicitation in {mode!r} mode"
    return None


#: Where a 2026-07-28 client declares, in each request, what it can be asked.
CLIENT_CAPABILITIES_META = "io.modelcontextprotocol/clientCapabilities"


def answer_input_requests(result: Any) -> list[dict[str, Any]]:
    """The requests a 2026-07-28 answer puts to the client: the ``inputRequests`` of an
    ``input_required`` result or of a task's state (at its top or under ``task``)."""
    places = [result, result.get("task")] if isinstance(result, dict) else []
    asked = [place.get("inputRequests") for place in places if isinstance(place, dict)]
    return [
        request
        for requests in asked
        if isinstance(requests, dict)
        for request in list(requests.values())[:1000]
        if isinstance(request, dict) and isinstance(request.get("method"), str)
    ]


def undeclared_in_answer(request: dict[str, Any], result: Any, session: dict[str, Any] | None) -> str | None:
    """What of a 2026-07-28 answer's input requests the client's request did not declare it
    can be asked (its ``_meta`` capabilities; without them, the session's from ``initialize``;
    without either, nothing): the method's capability, or a part of it (``undeclared_part``).
    None when each is declared. ``gateway run`` passes that revision through, and a server
    asked the client for another server's context or to open a URL in its answer, which the
    session-era check of the same request never read."""
    params = request.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    declared = meta.get(CLIENT_CAPABILITIES_META) if isinstance(meta, dict) else None
    capabilities = declared if isinstance(declared, dict) else session if session is not None else {}
    for asked in answer_input_requests(result):
        method = str(asked["method"])
        needed = ASKED_NEEDS.get(method)
        if needed is None:
            continue  # roots and the like: asked of every client
        if needed not in capabilities:
            return needed
        part = undeclared_part(asked, capabilities)
        if part is not None:
            return part
    return None


def request_key(request_id: Any) -> str:
    """A JSON-RPC id as a key: ids are strings or numbers, and 1 and "1" are different requests.
    A number is keyed by its value as a double, as a JavaScript peer (most MCP servers) reads
    it: 1, 1.0 and 1e0 are one id there, as are 2**53 and 2**53 + 1, and 0 and -0, and its
    answer to one would be taken for the other's."""
    if isinstance(request_id, int | float) and not isinstance(request_id, bool):
        try:
            return f"number:{float(request_id) + 0.0!r}"  # + 0.0: -0.0 is 0.0
        except OverflowError:  # an int past a double (orjson gives floats there; others may not)
            return f"number:{request_id}"
    return f"{type(request_id).__name__}:{request_id}"


class Refusal(Exception):
    """An interceptor refuses: the message says why and what to do."""


@dataclass(slots=True)
class SecurityEvent:
    """Something a security team should see: a withheld tool, a leak, a new destination."""

    kind: str
    severity: Severity
    message: str
    tool: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.severity = Severity(self.severity)  # a misspelt severity fails where it is made


@dataclass(frozen=True, slots=True)
class Identity:
    """Who calls through ``gateway serve``: an access token's subject, or a static token's
    holder (no issuer)."""

    subject: str
    issuer: str | None = None
    #: The client (agent) the token was issued to: ``azp`` or ``client_id``.
    client_id: str | None = None
    groups: tuple[str, ...] = ()
    scopes: frozenset[str] = frozenset()
    #: The token's ``aud``, canonical (see ``_oauth.canonical``).
    audience: frozenset[str] = frozenset()


@dataclass(slots=True)
class Session:
    """One client talking to one server through the gateway."""

    #: The server's name as the gateway config (or ``--server``) calls it.
    server: str
    #: The launch command or upstream URL, for the audit log.
    target: str
    #: Who the client is: the token's holder over HTTP; over stdio, what it says it is.
    client: str = "unknown"
    #: The application's own name (``clientInfo`` of ``initialize``).
    client_app: str | None = None
    #: Who the caller is over HTTP (its token's subject, groups, client, scopes); the current
    #: request's caller in a shared pool. None over stdio.
    identity: Identity | None = None
    #: The registry entry the server matched at launch, as a plain dict (or None).
    entry: dict[str, Any] | None = None
    #: Tools the client may see and call, by name (filled by the pins interceptor).
    visible_tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Tools withheld from the client until approved, with why.
    withheld_tools: dict[str, str] = field(default_factory=dict)
    tools_listed: bool = False
    #: State an interceptor keeps for the session, by interceptor name.
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Exchange:
    """One client request and, once it arrives, the server's response."""

    id: Any
    method: str
    request: dict[str, Any]
    started: float = field(default_factory=time.perf_counter)
    #: The same moment on the wall clock, for traces.
    started_ns: int = field(default_factory=time.time_ns)
    response: dict[str, Any] | None = None
    #: allow, redact or block; only ever raised (alert is recorded but allows).
    decision: str = "allow"
    reasons: list[str] = field(default_factory=list)
    events: list[SecurityEvent] = field(default_factory=list)
    #: How many of ``events`` the audit already recorded (the request's record has its own).
    events_recorded: int = 0
    #: True when an interceptor changed the request or response (so it is re-encoded).
    request_changed: bool = False
    response_changed: bool = False
    request_bytes: int = 0
    response_bytes: int = 0
    #: Redacted copies of the arguments and the result, when the DLP check made them: the
    #: audit record reuses them instead of scanning twice.
    redacted_arguments: Any = None
    redacted_result: Any = None
    #: The same of a 2026-07-28 client's answers in its request (``inputResponses``).
    redacted_input_responses: Any = None
    #: The id and method as records keep them, where DLP's policy judged them (``{"id": ...,
    #: "method": ...}``, each masked where it found something; a member only where judged).
    masked_names: dict[str, Any] | None = None
    #: The quarantine ID when the answer was held for a reviewer instead of forwarded.
    held: str | None = None
    #: Why the policy let this call through (the rule that granted it), for the audit record.
    authorized_by: str | None = None

    @property
    def params(self) -> dict[str, Any]:
        params = self.request.get("params")
        return params if isinstance(params, dict) else {}

    @property
    def tool(self) -> str | None:
        if self.method != "tools/call":
            return None
        name = self.params.get("name")
        return name if isinstance(name, str) else None

    def block(self, reason: str) -> None:
        self.decision = "block"
        self.reasons.append(reason)

    def note(self, decision: str, reason: str) -> None:
        """Record a finding that allows (alert) or rewrites (redact) without blocking."""
        self.decision = MessageAction.stronger(self.decision, decision).value
        self.reasons.append(reason)


@dataclass(frozen=True, slots=True)
class PipelineContext:
    """What building one session's checks needs besides the config."""

    audit_log: AuditLog
    #: The stdio server's command line, or the remote server's URL.
    command: tuple[str, ...] = ()
    url: str | None = None
    #: One baseline for every session of ``gateway serve`` (their counts add up).
    shared_baseline: Interceptor | None = None
    sinks: tuple[AuditSink, ...] = ()
    #: The variables given to the stdio server alone (its client entry's env, its secrets).
    server_env: Mapping[str, str] = field(default_factory=dict)


class Interceptor:
    """A check in the pipeline. Every hook is optional (the base ones do nothing); hooks run in
    pipeline order, and a hook that raises blocks."""

    #: Its name in the gateway config and the audit log.
    name: str = ""

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Interceptor | None:
        """This check as its section of ``config`` sets it up for one session; None where the
        config turns it off. Each check reads only its own section."""
        raise NotImplementedError(f"{cls.__name__} is not built from a config")

    def launch(self, session: Session) -> None:
        """Before the server starts (or the upstream is contacted); raise :class:`Refusal`."""

    def request(self, session: Session, exchange: Exchange) -> None:
        """A client request, before it is forwarded; block or rewrite it on ``exchange``."""

    def response(self, session: Session, exchange: Exchange) -> None:
        """The server's response, before the client sees it."""

    def notification(self, session: Session, message: dict[str, Any], from_server: bool) -> None:
        """A notification in either direction (``notifications/tools/list_changed``, ...)."""

    def server_message(self, session: Session, exchange: Exchange) -> None:
        """A request the server makes of the client (sampling, elicitation, roots) or a
        notification it sends, before the client sees it (``exchange.request`` is the message);
        block (a request is then refused to the server, a notification dropped) or rewrite it."""

    def client_notification(self, session: Session, exchange: Exchange) -> None:
        """A notification of the client (``notifications/cancelled``, progress, list changes),
        before the server sees it (``exchange.request`` is the message, ``exchange.id`` None);
        block (it is then dropped) or rewrite it."""

    def client_response(self, session: Session, exchange: Exchange) -> None:
        """The client's answer to a request of the server (``exchange.response``; the request's
        method is ``exchange.method``), before the server sees it; block (the server then gets
        an error in its place) or rewrite it."""

    def forwarded(self, session: Session, exchange: Exchange, stage: str) -> None:
        """After the pipeline decided: ``stage`` is request, response, server-request and
        server-notification for what the server sends of its own, client-response for the
        client's answer to one, or client-notification. The audit's hook."""

    def tick(self, session: Session) -> list[dict[str, Any]]:
        """Every few seconds while the session is open: notifications the gateway sends the
        client of its own (a list that an approval given since has changed)."""
        return []

    def closed(self, session: Session) -> None:
        """The session ended (the server exited or the client went away): write what is kept."""
