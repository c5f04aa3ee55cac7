"""The HTTP/1.1 protocol ``gateway serve`` runs under uvicorn: h11, whose bound on a request's
head the gateway sets, with a deadline for that head.

uvicorn waits for a request's head as long as its client likes: a connection that sent nothing,
or half a head, or one byte of its next request after an answer (which stops the keep-alive
timer), was held open for good, its file descriptor with it, by a client that holds no token
(no check runs before the head is whole)."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a connection has to send a whole request head, from its opening or from the end of
#: its last answer.
HEAD_SECONDS = 10.0


class HeadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection that has not sent a whole request head
    within :data:`HEAD_SECONDS` (a request's body and a stream's answer are not timed here)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_deadline()  # the next request's head, if the connection is kept

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        self._head_deadline = self.loop.call_later(HEAD_SECONDS, self._head_overdue)

    def _head_overdue(self) -> None:
        # IDLE: no whole request head since the deadline was armed (h11 leaves that state on
        # a head, and returns to it only when the next cycle starts after an answer).
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()
