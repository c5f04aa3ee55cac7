"""The relay: JSON-RPC messages in from one side, out to the other, through the interceptors.

It is transport-free and synchronous (the stdio and HTTP front ends feed it lines and send what
it returns), so the same code judges every transport and a fuzz test can drive it directly.
Each message forwarded is the parsed message the interceptors judged, encoded again, never the
bytes it arrived as: a key given twice (the parse keeps the last, a peer may read the first)
or any other difference between the parse and the text cannot carry an unjudged part past
the checks. Re-encoding with orjson costs about what the parse does; detecting duplicate keys
instead would need a second, pure-Python parse. A compact message is forwarded byte for byte.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from mcpward._regex import compiled
from mcpward.dlp import redact_text
from mcpward.gateway.interface import (
    ASKED_NEEDS,
    BLOCKED,
    HELD,
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    SERVER_GONE,
    TIMEOUT,
    TOO_LARGE,
    Exchange,
    Interceptor,
    Refusal,
    SecurityEvent,
    Session,
    encode,
    error,
    request_key,
    undeclared_in_answer,
    undeclared_part,
)
from mcpward.model import Severity

#: How often a session's runner asks the relay for what its checks send the client of their own.
TICK_SECONDS = 2.0

#: Messages larger than this (bytes) are refused unless the config says otherwise.
DEFAULT_MAX_MESSAGE = 8 * 1024 * 1024
#: Requests of the server the client has not answered yet, kept (their method) to name the
#: answer in the audit; the oldest are forgotten past this many (a server may ask and ask).
_MAX_ASKED = 1024
#: Requests that expired unanswered, kept (their ids) until the server's late answer comes; the
#: oldest are forgotten past this many (a server that never answers must not grow them).
_MAX_EXPIRED = 1024
_LEADING_ID = compiled(rb'"id"\s*:\s*(-?\d{1,18}|"(?:[^"\\]|\\.){0,200}")')


@dataclass(frozen=True, slots=True)
class Out:
    to: Literal["client", "server"]
    data: bytes


class Relay:
    def __init__(
        self, session: Session, interceptors: Sequence[Interceptor], *, max_message: int = DEFAULT_MAX_MESSAGE
    ) -> None:
        self.session = session
        self.interceptors = list(interceptors)
        self.max_message = max_message
        self.pending: dict[str, Exchange] = {}
        #: The server's requests forwarded to the client, by id: their method.
        self.asked: dict[str, str] = {}
        #: The ids of requests that expired unanswered (see ``expire``).
        self.expired: dict[str, None] = {}
        #: The capabilities the client declared in its ``initialize`` (None: not seen).
        self.client_capabilities: dict[str, Any] | None = None

    # -- client to server --------------------------------------------------------------------

    def client_message(self, raw: bytes) -> list[Out]:
        if len(raw) > self.max_message:
            return [
                self._to_client(
                    error(_leading_id(raw), TOO_LARGE, f"message larger than {self.max_message} bytes")
                )
            ]
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return [self._to_client(error(None, PARSE_ERROR, "not valid JSON"))]
        if isinstance(message, list):
            return [
                self._to_client(
                    error(None, INVALID_REQUEST, "JSON-RPC batches are not relayed; send messages one by one")
                )
            ]
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return [self._to_client(error(_id_of(message), INVALID_REQUEST, "not a JSON-RPC 2.0 message"))]
        method = message.get("method")
        if isinstance(method, str) and "id" in message:
            return self._client_request(message, raw, method)
        if isinstance(method, str):
            return self._client_notification(message, raw, method)
        if "id" in message and "result" in message and "error" in message:
            # Invalid JSON-RPC; the server would pick one of the two. Refused to the server.
            why = "the client's answer carries both a result and an error (invalid JSON-RPC); refused"
            return [Out("server", encode(error(message["id"], INVALID_REQUEST, f"mcpward gateway: {why}")))]
        if "id" in message and ("result" in message or "error" in message):
            return self._client_answer(message, raw)
        return [
            self._to_client(
                error(_id_of(message), INVALID_REQUEST, "not a request, notification or response")
            )
        ]

    def _client_request(self, message: dict[str, Any], raw: bytes, method: str) -> list[Out]:
        exchange = Exchange(id=message["id"], method=method, request=message, request_bytes=len(raw))
        if not _is_request_id(exchange.id):
            # MCP ids are strings or integers: an array or object id ([1.0] and [1] are one to a
            # JavaScript server) would escape the check below, and null is forbidden.
            why = "mcpward gateway: a request id must be a string or a number"
            return [self._to_client(error(None, INVALID_REQUEST, why))]
        key = request_key(exchange.id)
        if key in self.pending:
            # JSON-RPC ids are unique among requests in flight: the server's answer to the first
            # would be judged as the answer to this one (a tool list as a ping's, never by the
            # pins), and reach the client, which may take it for the first's.
            why = "mcpward gateway: a request with this id is still in flight; ids must not be reused"
            return [self._to_client(error(exchange.id, INVALID_REQUEST, why))]
        if key in self.expired:
            # The server may still answer the request that expired: its late answer would be
            # taken (and judged) as this one's, a tool list as a ping's.
            why = (
                "mcpward gateway: a request with this id timed out and the server has not answered "
                "it yet; use another id"
            )
            return [self._to_client(error(exchange.id, INVALID_REQUEST, why))]
        if method == "tools/call" and exchange.tool is None:
            # Every check keys on the tool's name: a call without one as a string (["pay"], which
            # a JavaScript server reads as "pay") would pass them all unjudged.
            why = "mcpward gateway: tools/call needs params.name as a string"
            return [self._to_client(error(exchange.id, INVALID_PARAMS, why))]
        if method == "initialize":
            declared = exchange.params.get("capabilities")
            self.client_capabilities = declared if isinstance(declared, dict) else {}
            info = exchange.params.get("clientInfo")
            if isinstance(info, dict) and isinstance(info.get("name"), str):
                # Recorded with every message: masked as any string the gateway records is.
                self.session.client_app = redact_text(info["name"][:100])
                if self.session.client == "unknown":
                    self.session.client = self.session.client_app
        self._run("request", exchange)
        if exchange.decision == "block":
            self._forwarded(exchange, "request")
            return [
                self._to_client(
                    error(exchange.id, BLOCKED, "mcpward gateway: " + "; ".join(exchange.reasons))
                )
            ]
        if not self._forwarded(exchange, "request"):
            return [
                self._to_client(
                    error(exchange.id, BLOCKED, "mcpward gateway: " + "; ".join(exchange.reasons))
                )
            ]
        outs = _forward("server", exchange.request)
        if outs[0].to == "server":
            self.pending[key] = exchange
        return outs

    def _client_notification(self, message: dict[str, Any], raw: bytes, method: str) -> list[Out]:
        """A notification of the client (a cancellation's reason, a progress message) leaves
        for the server as a request's params do: the notification hooks, then
        ``client_notification`` (DLP), then the audit (which records it where a check acted).
        Refused, it is dropped: a notification has no answer to carry the refusal."""
        refused = self._notification_hooks(message, from_server=False)
        if refused is not None:
            return refused
        exchange = Exchange(id=None, method=method, request=message, request_bytes=len(raw))
        self._run("client_notification", exchange)
        if not self._forwarded(exchange, "client-notification") or exchange.decision == "block":
            return []
        return _forward("server", exchange.request)

    def _client_answer(self, message: dict[str, Any], raw: bytes) -> list[Out]:
        """The client answering a request of the server (a sampling result, what the user typed
        into an elicitation, its roots): judged (``client_response``) and recorded before the
        server sees it, as a tool call's arguments are. Refused, the server gets an error in
        its place, so that it does not wait for an answer that never comes."""
        method = self.asked.pop(request_key(message["id"]), "response")
        exchange = Exchange(
            id=message["id"],
            method=method,
            request={"jsonrpc": "2.0", "id": message["id"], "method": method},
            response=message,
            response_bytes=len(raw),
        )
        self._run("client_response", exchange)
        if not self._forwarded(exchange, "client-response") or exchange.decision == "block":
            if method == "response":
                # An answer to nothing asked: nobody waits for it, and an error under its id
                # would carry the id (which may be why it was refused) to the server.
                return []
            reason = "; ".join(exchange.reasons)
            return [Out("server", encode(error(exchange.id, BLOCKED, f"mcpward gateway: {reason}")))]
        return _forward("server", exchange.response if exchange.response is not None else message)

    # -- server to client --------------------------------------------------------------------

    def server_too_large(self, head: bytes) -> list[Out]:
        """A message of the server over the limit, of which only ``head`` (its start) was kept:
        the request it answers, found by the id there, gets an error now."""
        request_id = _leading_id(head)
        exchange = self.pending.pop(request_key(request_id), None) if request_id is not None else None
        if exchange is None:
            if request_id is not None:
                self.expired.pop(request_key(request_id), None)
            return []
        exchange.block(f"the server's answer is larger than {self.max_message} bytes")
        self._forwarded(exchange, "response")
        return [self._to_client(error(exchange.id, TOO_LARGE, "mcpward gateway: " + exchange.reasons[-1]))]

    def server_message(self, raw: bytes) -> list[Out]:
        if len(raw) > self.max_message:
            return self.server_too_large(raw[:4096])
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return []  # nothing to answer; the request it was meant to answer will time out
        if not isinstance(message, dict):
            return []
        method = message.get("method")
        if isinstance(method, str):
            # A server request (sampling, elicitation, roots) or a notification.
            return self._from_server(message, raw, method)
        if "id" not in message:
            return []
        exchange = self.pending.pop(request_key(message["id"]), None)
        if exchange is None:
            # An answer to nothing pending: late after a timeout (its id is free again), or forged.
            self.expired.pop(request_key(message["id"]), None)
            return []
        exchange.response = message
        exchange.response_bytes = len(raw)
        if "result" in message and "error" in message:
            # Invalid JSON-RPC: a check judging one of the two would let the other through,
            # and the client may read either.
            why = "the server's answer carries both a result and an error (invalid JSON-RPC); refused"
            exchange.events.append(SecurityEvent("invalid-answer", Severity.HIGH, why))
            exchange.block(why)
        else:
            self._run("response", exchange)
            if exchange.decision != "block":
                self._undeclared_in_answer(exchange)
        if exchange.decision == "block":
            exchange.response = error(exchange.id, BLOCKED, "mcpward gateway: " + "; ".join(exchange.reasons))
            if exchange.held is not None:  # no content, only where a reviewer finds it
                exchange.response["error"].update(code=HELD, data={"quarantine_id": exchange.held})
            exchange.response_changed = True
        if not self._forwarded(exchange, "response"):
            exchange.response = error(exchange.id, BLOCKED, "mcpward gateway: " + "; ".join(exchange.reasons))
            exchange.response_changed = True
        return _forward("client", exchange.response)

    def _undeclared_in_answer(self, exchange: Exchange) -> None:
        """A 2026-07-28 answer that asks the client what its request did not declare it can be
        asked (another server's context, a URL to open): refused as the same question in a
        request of the server's is (``_from_server``)."""
        assert exchange.response is not None
        part = undeclared_in_answer(
            exchange.request, exchange.response.get("result"), self.client_capabilities
        )
        if part is not None:
            why = f"the client did not declare {part} for this request"
            exchange.events.append(
                SecurityEvent("undeclared-request", Severity.MEDIUM, f"{exchange.method}: {why}")
            )
            exchange.block(why)

    def _from_server(self, message: dict[str, Any], raw: bytes, method: str) -> list[Out]:
        """What the server sends of its own goes through the same checks as its answers: the
        notification hooks, then ``server_message`` (DLP, injection), then the audit."""
        if "id" in message and not _is_request_id(message["id"]):
            # As a client's (see ``_client_request``): an array id is no key where requests are
            # kept by id (the 2026-07-28 pools' round trips), nor one id to every peer.
            why = "mcpward gateway: a request id must be a string or a number"
            return [Out("server", encode(error(None, INVALID_REQUEST, why)))]
        refused = self._notification_hooks(message, from_server=True)
        if refused is not None:
            return refused
        exchange = Exchange(id=message.get("id"), method=method, request=message, request_bytes=len(raw))
        is_request = "id" in message
        capabilities = self.client_capabilities
        needed = ASKED_NEEDS.get(method)
        part = (
            undeclared_part(message, capabilities)
            if is_request and capabilities is not None and needed in capabilities
            else None
        )
        if part is not None:
            # The client declared the method but not this part of it (other servers' context,
            # a URL to open): older clients honour it anyway. A client that declared no such
            # method refuses it itself.
            why = f"the client did not declare {part} for this request"
            exchange.events.append(SecurityEvent("undeclared-request", Severity.MEDIUM, f"{method}: {why}"))
            exchange.block(why)
        else:
            self._run("server_message", exchange)
        stage = "server-request" if is_request else "server-notification"
        if not self._forwarded(exchange, stage) or exchange.decision == "block":
            if is_request:  # answered for the client, which never sees it
                reason = "; ".join(exchange.reasons)
                return [Out("server", encode(error(message["id"], BLOCKED, f"mcpward gateway: {reason}")))]
            return []
        if is_request:
            _keep_last(self.asked, request_key(message["id"]), method, _MAX_ASKED)
        return _forward("client", exchange.request)

    # -- both ways ---------------------------------------------------------------------------

    def _notification_hooks(self, message: dict[str, Any], *, from_server: bool) -> list[Out] | None:
        """The interceptors' ``notification`` hooks on a message of either side that has a
        method; None when none refused it, else what its refusal sends (nothing, or an error
        for a server request)."""
        for interceptor in self.interceptors:
            try:
                interceptor.notification(self.session, message, from_server)
            except Exception as exc:  # noqa: BLE001 - fail closed: refuse what could not be checked
                if "id" in message:  # a server request: answer it with the refusal
                    reason = _reason(interceptor, exc)
                    back: Literal["client", "server"] = "server" if from_server else "client"
                    return [Out(back, encode(error(message["id"], BLOCKED, f"mcpward gateway: {reason}")))]
                return []
        return None

    def expire(self, request_id: Any) -> list[Out]:
        """The server took too long with this request."""
        exchange = self.pending.pop(request_key(request_id), None)
        if exchange is None:
            return []
        # Its id stays taken until the server's late answer comes (see ``_client_request``).
        _keep_last(self.expired, request_key(request_id), None, _MAX_EXPIRED)
        exchange.block("the server did not answer in time")
        self._forwarded(exchange, "response")
        return [
            self._to_client(error(exchange.id, TIMEOUT, "mcpward gateway: the server did not answer in time"))
        ]

    def unsent(self, request_id: Any, why: str) -> list[Out]:
        """The request was never sent to the server (a remote one whose token for this caller
        could not be had): its answer is why. Its id is free again, as the server never saw it."""
        exchange = self.pending.pop(request_key(request_id), None)
        if exchange is None:
            return []
        exchange.block(why)
        self._forwarded(exchange, "response")
        return [
            self._to_client(error(exchange.id, BLOCKED, f"mcpward gateway: not sent to the server: {why}"))
        ]

    def server_gone(self, why: str) -> list[Out]:
        """The server exited: every request in flight gets an error, none is left hanging."""
        outs = []
        for exchange in list(self.pending.values()):
            exchange.block(f"the server exited ({why})")
            self._forwarded(exchange, "response")
            outs.append(
                self._to_client(
                    error(exchange.id, SERVER_GONE, f"mcpward gateway: the server exited ({why})")
                )
            )
        self.pending.clear()
        self.expired.clear()
        return outs

    def tick(self) -> list[Out]:  # called every TICK_SECONDS by the session's runner
        """What the interceptors send the client of their own (see ``Interceptor.tick``). A
        failure sends nothing and blocks nothing: no message is in flight."""
        outs: list[Out] = []
        for interceptor in self.interceptors:
            with contextlib.suppress(Exception):
                outs += [self._to_client(message) for message in interceptor.tick(self.session)]
        return outs

    def close(self) -> None:
        """The session is over: each interceptor writes what it keeps. A failure here blocks
        nothing (no call is in flight), so the others still run."""
        for interceptor in self.interceptors:
            with contextlib.suppress(Exception):
                interceptor.closed(self.session)

    def _run(self, stage: str, exchange: Exchange) -> None:
        for interceptor in self.interceptors:
            try:
                getattr(interceptor, stage)(self.session, exchange)
            except Exception as exc:  # noqa: BLE001 - fail closed
                exchange.block(_reason(interceptor, exc))
            if exchange.decision == "block":
                return

    def _forwarded(self, exchange: Exchange, stage: str) -> bool:
        """The audit and other after-decision hooks; False (and the exchange blocked) if one
        failed, so nothing is forwarded without its record."""
        for interceptor in self.interceptors:
            try:
                interceptor.forwarded(self.session, exchange, stage)
            except Exception as exc:  # noqa: BLE001 - fail closed
                exchange.block(_reason(interceptor, exc))
                return False
        return True

    @staticmethod
    def _to_client(message: dict[str, Any]) -> Out:
        return Out("client", encode(message))


def _reason(interceptor: Interceptor, exc: Exception) -> str:
    if isinstance(exc, Refusal):
        return str(exc)
    # An internal error's text may quote the data; its type is enough to report.
    return f"the {interceptor.name} check failed ({type(exc).__name__}); refused"


#: The members of a JSON-RPC 2.0 request or notification, and of an answer; MCP adds none
#: beside them (its own go in ``_meta``).
_REQUEST_MEMBERS = ("jsonrpc", "id", "method", "params")
_ANSWER_MEMBERS = ("jsonrpc", "id", "result", "error")


def _forward(to: Literal["client", "server"], message: dict[str, Any]) -> list[Out]:
    """The judged message, encoded again (see the module's docstring for why not the raw bytes),
    with the JSON-RPC members of its kind only: the checks read a request's ``params`` and an
    answer's ``result`` and ``error``; a member of the sender's own (``"leak": "ghp_..."``), or
    a ``result`` beside a ``method`` (judged as a request, read as an answer by a client that
    looks for ``result`` first), passed them unread to the peer."""
    members = _REQUEST_MEMBERS if isinstance(message.get("method"), str) else _ANSWER_MEMBERS
    if any(key not in members for key in message):
        message = {key: message[key] for key in members if key in message}
    try:
        return [Out(to, encode(message))]
    except orjson.JSONEncodeError:
        # orjson reads deeper nesting than it writes; such a message is refused, never passed raw.
        why = "mcpward gateway: the message is nested too deeply to forward"
        if "method" not in message:  # an answer: whoever waits for it gets the error instead
            return [Out(to, encode(error(_id_of(message), INVALID_REQUEST, why)))]
        if "id" in message:  # a request: its sender gets the error
            back: Literal["client", "server"] = "client" if to == "server" else "server"
            return [Out(back, encode(error(_id_of(message), INVALID_REQUEST, why)))]
        return []


def _is_request_id(value: Any) -> bool:
    """A string or a number (not a boolean): what a request id may be here (see ``request_key``)."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _keep_last(kept: dict[str, Any], key: str, value: Any, most: int) -> None:
    """``kept[key] = value``, the oldest entry forgotten first past ``most``."""
    if len(kept) >= most:
        del kept[next(iter(kept))]
    kept[key] = value


def _id_of(message: Any) -> Any:
    if isinstance(message, dict):
        value = message.get("id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return value
    return None


def _leading_id(raw: bytes) -> Any:
    found = _LEADING_ID.search(raw[:4096])
    if found is None:
        return None
    try:
        return orjson.loads(found.group(1))
    except orjson.JSONDecodeError:
        return None
