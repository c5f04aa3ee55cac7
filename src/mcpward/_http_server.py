"""The HTTP/1.1 protocol ``gateway serve`` and ``registry serve`` run under uvicorn: httptools
(compiled: h11, in pure Python, was a third of the gateway's CPU per call), with a bound on a
request's head and a deadline for it, which uvicorn sets on neither.

httptools keeps a request's head until it is whole, before any check runs (the token, the
Host): a header value that never ended, or header lines that never stopped, were held whole
(1.4 GB for 192 MB sent, by a client holding no token). And uvicorn waits for a head as long as
its client likes: a connection that sent nothing, half a head, or one byte of its next request
after an answer (which stops the keep-alive timer) was held open for good, its file descriptor
with it (tests/adversarial/test_gateway_serve_headers.py,
tests/adversarial/test_registry_serve_headers.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: The most of a request's head (request line and headers) read, in bytes: room for an access
#: token of the most the resource server reads (16 KiB) and a call's ``Mcp-Param-*`` headers.
MAX_REQUEST_HEAD = 64 * 1024
#: Seconds a connection has to send a whole request head, from its opening or from the end of
#: its last answer.
HEAD_SECONDS = 10.0
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 31\r\nconnection: close\r\n\r\n"
    b"the request's head is too large"
)


class BoundedHeadProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing (431) and closing a connection whose request head
    passes :data:`MAX_REQUEST_HEAD` bytes, and closing one that has not sent a whole head within
    :data:`HEAD_SECONDS` while no answer is under way (a body and a stream are not timed here)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_head = True
        self._head_bytes = 0
        self._messages = 0  # requests whose message ended, to tell a chunk that ended one
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

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

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        super().on_headers_complete()

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
        self._head_deadline = self.loop.call_later(HEAD_SECONDS, self._head_overdue)

    def _head_overdue(self) -> None:
        answering = self.cycle is not None and not self.cycle.response_complete
        if self._awaiting_head and not answering and not self.transport.is_closing():
            self.transport.close()


def serve_http(app: Any, host: str, port: int, **options: Any) -> None:
    """Run ``app`` under uvicorn on ``host``:``port`` with :class:`BoundedHeadProtocol` (and
    uvicorn's ``options``), until it is stopped."""
    import uvicorn

    settings: dict[str, Any] = {"log_level": "warning", "server_header": False} | options
    uvicorn.run(app, host=host, port=port, http=BoundedHeadProtocol, **settings)
