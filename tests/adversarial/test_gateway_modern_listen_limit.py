"""``subscriptions/listen`` (MCP 2026-07-28) past its limit of open streams per client.

The limit (8 per client and server) was counted before the request awaited the server (its
start, its subscriptions) and the stream was counted only after: listens sent at once all
passed the count while the first started the server. Before 2026-12-05 a client sending 24
listens at once to a server not yet started held 24 open streams (each a connection and a
file descriptor of the gateway, and a queue of its notifications). Now a listen takes its
place before it waits, and gives it back if it is refused."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

from loopback import gateway_serving_one

SERVERS = Path(__file__).parents[1] / "servers"
TOKEN = "mcpg_listen-limit-test-token-0123456789abcdef"
MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "raw-test-client", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}


async def _listens_at_once(url: str, count: int) -> list[int]:
    """The statuses of ``count`` listens sent at once, each stream kept open until all answered."""
    statuses: list[int] = []
    answered = asyncio.Event()

    async def listen(client: httpx.AsyncClient, number: int) -> None:
        body = {"jsonrpc": "2.0", "id": f"sub-{number}", "method": "subscriptions/listen",
                "params": {"_meta": META, "notifications": {"toolsListChanged": True}}}  # fmt: skip
        headers = {
            "Authorization": f"Bearer {TOKEN}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": MODERN,
            "Mcp-Method": "subscriptions/listen",
        }
        async with client.stream("POST", url, json=body, headers=headers) as response:
            statuses.append(response.status_code)
            if len(statuses) == count:
                answered.set()
            await asyncio.wait_for(answered.wait(), timeout=60)

    limits = httpx.Limits(max_connections=count + 4)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(listen(client, number) for number in range(count)))
    return statuses


def test_listens_sent_at_once_hold_no_more_streams_than_the_limit(tmp_path: Path) -> None:
    changing = [sys.executable, str(SERVERS / "changing_server.py")]
    with gateway_serving_one(tmp_path, TOKEN, "changing", changing) as (url, _log):
        statuses = asyncio.run(_listens_at_once(url, 24))
    assert statuses.count(200) == 8, f"{statuses.count(200)} streams open for one client"
    assert statuses.count(429) == 16
