"""A remote MCP server over streamable HTTP as the gateway's upstream: each message the relay
lets through is POSTed; what comes back (one JSON message, or an event stream of them) goes
back through the relay. Credentials for the upstream come from environment variables named
in the config, never from the config itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import httpx

_ACCEPT = "application/json, text/event-stream"


class RemoteUpstream:
    def __init__(
        self, url: str, headers: dict[str, str], deliver: Callable[[bytes], None], *, timeout: float
    ) -> None:
        self.url = url
        self.deliver = deliver
        self.session_id: str | None = None
        self._client = httpx.AsyncClient(
            headers={**headers, "Accept": _ACCEPT}, timeout=timeout, follow_redirects=False
        )
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
            async with self._order:
                if self.session_id:
                    headers["Mcp-Session-Id"] = self.session_id
                request = self._client.build_request("POST", self.url, content=data, headers=headers)
                response = await self._client.send(request, stream=True)
                self.session_id = response.headers.get("mcp-session-id", self.session_id)
            async for message in _messages(response):
                self.deliver(message)
        except httpx.HTTPError:
            return  # the request this carried times out in the relay, with a clear error

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.session_id:
            with contextlib.suppress(httpx.HTTPError):
                await self._client.delete(self.url, headers={"Mcp-Session-Id": self.session_id})
        await self._client.aclose()


async def _messages(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        if response.status_code >= 400 or response.status_code == 202:
            return
        kind = response.headers.get("content-type", "")
        if kind.startswith("text/event-stream"):
            data: list[str] = []
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    data.append(line[5:].lstrip())
                elif not line and data:
                    yield "\n".join(data).encode()
                    data = []
            if data:
                yield "\n".join(data).encode()
        else:
            yield await response.aread()
    finally:
        await response.aclose()
