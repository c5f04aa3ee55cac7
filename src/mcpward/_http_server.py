"""The HTTP/1.1 protocol ``gateway serve`` and ``registry serve`` run under uvicorn: httptools
(compiled: h11, in pure Python, was a third of the gateway's CPU per call), with a bound on a
request's head and a deadline for it, which uvicorn sets on neither.

httptools keeps a request's head until it is whole, before any check runs (the token, the
Host): a header value that never ended, or header lines that never stopped, were held whole
(1.4 GB for 192 MB sent, by a client holding no token). And uvicorn waits for a head as long as
its client likes: a connection that sent nothing, half a head, or one byte of its next request
after an answer (which stops the keep-alive timer) was held open for good, its file descriptor
with it (tests/adversarial/test_gateway_serve_headers.py,
tests/adversarial/test_registry_serve_headers.py).

Nor does it bound the connections: a client with no token opened them until the process had
no file left to accept anyone's with, or start a server with; it bounds neither the rest of a
body left unread after an answer (a 401 to a post declaring a gigabyte), sent a byte at a time,
nor the requests pipelined in one read (each parsed and queued: 2.3 MB held for 256 KiB sent),
nor the header lines of a head within its size (1 MB held for 60 KB of short lines),
and its close of a connection waits for good for a client that does not read its answer
(tests/adversarial/test_gateway_serve_connections.py)."""

from __future__ import annotations

import asyncio
import math
import sys
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: The most of a request's head (request line and headers) read, in bytes: room for an access
#: token of the most the resource server reads (16 KiB) and a call's ``Mcp-Param-*`` headers.
MAX_REQUEST_HEAD = 64 * 1024
#: Seconds a connection has to send a whole request head, from its opening or from the end of
#: its last answer.
HEAD_SECONDS = 10.0
#: Requests a connection may have waiting behind the one being answered (HTTP/1.1 pipelining,
#: which no MCP client uses): past it the connection is closed, its queue with it.
MAX_PIPELINED = 8
#: Header lines of one request, a chunked body's trailer lines among them (a client sends a
#: dozen, a call's ``Mcp-Param-*`` a few more, proxies a few): each is kept as Python objects,
#: 1 MB held for 60 KB of short lines, and trailers were bounded by nothing (979 MB held).
MAX_HEADER_LINES = 128
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 31\r\nconnection: close\r\n\r\n"
    b"the request's head is too large"
)
_FULL = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 47\r\nretry-after: 5\r\n"
    b"connection: close\r\n\r\n"
    b"the server holds as many connections as it may\n"
)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """What the server's connections may hold, and for how long."""

    #: Connections at once; past it the one that has waited longest for a request is closed,
    #: and a new one is refused (503) when every other is answering one.
    max_connections: int = 1000
    #: Seconds a connection has to send a whole request head (see :data:`HEAD_SECONDS`).
    head_seconds: float = HEAD_SECONDS
    #: Seconds a connection that sends nothing after an answer is kept (uvicorn's keep-alive).
    keep_alive_seconds: float = 5.0


class _Refused(Exception):
    """Raised through the parser, which stops (the rest of the read is not parsed): more
    requests pipelined than :data:`MAX_PIPELINED`, or header lines than :data:`MAX_HEADER_LINES`."""


class BoundedHeadProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing (431) and closing a connection whose request head
    passes :data:`MAX_REQUEST_HEAD` bytes, closing one that has not sent a whole head within
    ``limits.head_seconds`` of its opening or its last answer while no answer is under way
    (the rest of a body the answer left unread counts as waiting: a request's own body and a
    stream are not timed here), dropping one whose client took nothing of its last answer
    between two such deadlines, refusing (431) a head of more than :data:`MAX_HEADER_LINES`
    lines, closing one that pipelines more than :data:`MAX_PIPELINED` requests, and holding at
    most ``limits.max_connections`` connections."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_head = True
        self._head_bytes = 0
        self._messages = 0  # requests whose message ended, to tell a chunk that ended one
        self._head_deadline: asyncio.TimerHandle | None = None
        #: When it last began to wait for a request (its opening, its last answer).
        self._waiting_since = 0.0
        #: What of its last answer its client had not taken at the last deadline.
        self._unsent = math.inf
        self._header_lines = 0
        #: What to answer a request refused from a parser callback (b"": nothing, only close).
        self._refusal: bytes | None = None

    @classmethod
    def with_limits(cls, limits: ConnectionLimits) -> type[BoundedHeadProtocol]:
        """The protocol, holding its connections to ``limits`` (uvicorn makes one per connection)."""
        return type(cls.__name__, (cls,), {"limits": limits})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()
        if not self._room():
            self.transport.write(_FULL)
            self.transport.close()

    def _room(self) -> bool:
        """Whether this new connection may stay: within the limit, or once the connection that
        has waited longest for a request (no answer under way: its client may not be one the
        gateway knows) is closed for it. Connections answering are never cut for a newcomer."""
        # Closing ones count: one whose client does not read what is left of its answer holds
        # its file until that is sent (or the deadline drops it).
        if len(self.connections) <= self.limits.max_connections:
            return True
        waiting = [
            c
            for c in self.connections
            if c is not self
            and isinstance(c, BoundedHeadProtocol)
            and not c._answering()
            and not c.transport.is_closing()
        ]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c._waiting_since).transport
        if oldest.get_write_buffer_size():
            oldest.abort()  # its client has not taken its last answer: close() would wait for it
        else:
            oldest.close()
        return True

    def _answering(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def data_received(self, data: bytes) -> None:
        awaiting, messages = self._awaiting_head, self._messages
        super().data_received(data)
        # A chunk is the head's when no head was whole before it, none became whole in it and
        # no message ended in it; one where a message ended and the next head began (its body's
        # last bytes, then the head's first) is not counted, so a head may pass the bound by one
        # chunk (at most 256 KiB) before it is refused, and a body is never counted as a head.
        head_only = awaiting and self._awaiting_head and messages == self._messages
        if head_only and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_REQUEST_HEAD:
                if self.cycle is None or self.cycle.response_complete:
                    self.transport.write(_TOO_LARGE)
                self.transport.close()

    def on_message_begin(self) -> None:
        self._header_lines = 0
        super().on_message_begin()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_lines += 1
        if self._header_lines > MAX_HEADER_LINES:
            self._refusal = _TOO_LARGE
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if len(self.pipeline) >= MAX_PIPELINED:
            self._refusal = b""  # answers are owed to earlier requests: none can go before them
            raise _Refused
        self._awaiting_head = False
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:  # the parser's own error
            super().send_400_response(msg)
            return
        if self._refusal and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(self._refusal)
        self.transport.close()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._awaiting_head, self._head_bytes = True, 0  # the next request's head, if any
        self._messages += 1

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        self._waiting_since = self.loop.time()
        self._unsent = math.inf
        self._head_deadline = self.loop.call_later(self.limits.head_seconds, self._head_overdue)

    def _head_overdue(self) -> None:
        if self._answering():
            return
        # An answer uvicorn has written whole may still wait in the transport for its client
        # to read it: kept while the client takes some of it between two deadlines, dropped
        # when it takes none (a close, the keep-alive's too, would wait for it for good, its
        # file and the answer held: 20 answers of 4 MB never read held 152 MB).
        unsent = self.transport.get_write_buffer_size()
        if unsent and unsent < self._unsent:
            self._unsent = unsent
            self._head_deadline = self.loop.call_later(self.limits.head_seconds, self._head_overdue)
        elif unsent:
            self.transport.abort()
        elif not self.transport.is_closing():
            # Whatever came since the answer: the next head not yet whole, or the rest of a body
            # the answer did not read (a byte at a time stops the keep-alive timer, for good).
            self.transport.close()


def connection_room(wanted: int, reserved: int) -> int:
    """The connections a server may hold: ``wanted``, or fewer when the process's limit of open
    files (raised towards its hard limit first) leaves less beside ``reserved`` files for the
    rest (the servers it starts, its logs): each connection is a file, and a process out of
    files accepts no one's connection and starts no server."""
    if sys.platform == "win32":
        return wanted
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + reserved
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return min(wanted, max(8, soft - reserved))


def serve_http(
    app: Any, host: str, port: int, limits: ConnectionLimits = ConnectionLimits(), **options: Any
) -> None:
    """Run ``app`` under uvicorn on ``host``:``port`` with :class:`BoundedHeadProtocol` held to
    ``limits`` (and uvicorn's ``options``), until it is stopped. No WebSocket is served: an
    upgrade is an invalid request."""
    import uvicorn

    settings: dict[str, Any] = {
        "log_level": "warning",
        "server_header": False,
        "ws": "none",
        "timeout_keep_alive": limits.keep_alive_seconds,
    } | options
    protocol = BoundedHeadProtocol.with_limits(limits)
    uvicorn.run(app, host=host, port=port, http=protocol, **settings)
