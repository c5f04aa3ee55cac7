"""A remote MCP server over streamable HTTP as the gateway's upstream: each message the relay
lets through is POSTed; what comes back (one JSON message, or an event stream of them) goes
back through the relay. Credentials for the upstream come from environment variables named
in the config, never from the config itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

from mcpward._http import (
    ACCEPT_ENCODING,
    DIRECT_PLAIN_HTTP,
    AddressRefused,
    EncodingRefused,
    FirstSide,
    adecoded,
    pin_connections,
)
from mcpward.gateway._oauth import ExchangeFailed
from mcpward.gateway._stdio import _HEAD, Oversized, split_lines

_ACCEPT = "application/json, text/event-stream"


class RemoteUpstream:
    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        deliver: Callable[[bytes | Oversized], Awaitable[None]],
        *,
        timeout: float,
        max_message: int,
        authorization: Callable[[], Awaitable[str]] | None = None,
        unsent: Callable[[bytes, str], Awaitable[None]] | None = None,
    ) -> None:
        self.url = url
        #: The Authorization header for each request (a token exchanged for the caller's), in
        #: place of a configured one; None: the configured headers alone.
        self.authorization = authorization
        #: Told of a message that was not sent, and why (its token could not be had), so that
        #: the request it carries is answered now rather than left to time out.
        self.unsent = unsent
        self.deliver = deliver
        self.max_message = max_message
        self._timeout = timeout
        self.session_id: str | None = None
        #: Each connection after the first is judged from where the first reached, and made
        #: only to an address so judged: the upstream's name answering a later lookup with
        #: loopback (DNS rebinding) had the session's messages and credentials go to whatever
        #: listened there.
        self._client = pin_connections(
            httpx.AsyncClient(
                # Answers decoded here a piece at a time (``adecoded``), never by the library.
                headers={**headers, "Accept": _ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
                timeout=timeout,
                follow_redirects=False,
                mounts=DIRECT_PLAIN_HTTP,
            )
        )
        self._first = FirstSide()
        # Messages leave in order (initialize before everything else); the lock is released once
        # an answer's headers are in, so a long-running call does not hold up the others.
        self._order = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, data: bytes) -> None:
        task = asyncio.create_task(self._post(data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, data: bytes) -> None:
        headers = {"Content-Type": "application/json"}
        try:
            # The token is had before the lock, not under it: a renewal that hung held every
            # later message of the session behind it. A kept token is had without waiting, and
            # the messages that wait for one renewal wake in the order they came, so they take
            # the lock in the order they were sent (but for one posted just as the renewal ends,
            # which may pass them: requests in flight together have no order over HTTP).
            if self.authorization is not None:
                try:
                    headers["Authorization"] = await self.authorization()
                except ExchangeFailed as exc:
                    if self.unsent is not None:
                        await self.unsent(data, str(exc))
                    return
            async with self._order:
                if self.session_id:
                    headers["Mcp-Session-Id"] = self.session_id
                request = self._client.build_request("POST", self.url, content=data, headers=headers)
                request.extensions["trace"] = self._first.check(request.url).asynchronous
                response = await self._client.send(request, stream=True)
                self.session_id = response.headers.get("mcp-session-id", self.session_id)
            async for message in _messages(response, self.max_message):
                await self.deliver(message)
        except (httpx.HTTPError, AddressRefused, EncodingRefused):
            return  # the request this carried times out in the relay, with a clear error

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.session_id:
            # The answer is not read, and the whole request has the timeout: a hostile upstream
            # answered with an endless body, read whole into memory, or a drip that held the
            # close for ever.
            with contextlib.suppress(httpx.HTTPError, TimeoutError, AddressRefused):
                async with asyncio.timeout(self._timeout):
                    request = self._client.build_request(
                        "DELETE", self.url, headers={"Mcp-Session-Id": self.session_id}
                    )
                    request.extensions["trace"] = self._first.check(request.url).asynchronous
                    response = await self._client.send(request, stream=True)
                    await response.aclose()
        await self._client.aclose()


async def _messages(response: httpx.Response, max_message: int) -> AsyncIterator[bytes | Oversized]:
    """The messages of an answer, one JSON body or an event stream; one over ``max_message``
    is not read further than that (an upstream could send gigabytes) but given as
    :class:`Oversized`, so that its request gets a clear error."""
    try:
        if response.status_code >= 400 or response.status_code == 202:
            return
        kind = response.headers.get("content-type", "")
        if kind.startswith("text/event-stream"):
            data = bytearray()
            head: bytes | None = None  # the start of an event that outgrew the limit
            async for line in split_lines(adecoded(response), max_message + 16, blank=True):
                if isinstance(line, Oversized):
                    head = head or line.head
                elif line.startswith(b"data:"):
                    data += (b"\n" if data else b"") + line[5:].strip(b" \r")
                    if len(data) > max_message:
                        head, data = head or bytes(data[:_HEAD]), bytearray()
                elif not line.strip(b"\r"):  # a blank line ends the event
                    if head is not None:
                        yield Oversized(head)
                    elif data:
                        yield bytes(data)
                    data, head = bytearray(), None
            if head is not None:
                yield Oversized(head)
            elif data:
                yield bytes(data)
        else:
            body = bytearray()
            async for chunk in adecoded(response):
                body += chunk
                if len(body) > max_message:
                    yield Oversized(bytes(body[:_HEAD]))
                    return
            yield bytes(body)
    finally:
        await response.aclose()
