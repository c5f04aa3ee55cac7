"""An official MCP client that watches for the gateway's word that an approval changed its tool
list (the stdio and HTTP gateway tests share it), and the pins a review carries."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import anyio


async def shown_before_and_after_approval(
    streams: Any, store: Path, server: str, tool: str
) -> tuple[list[str], list[str]]:
    """The tools an official client is shown over ``streams`` (a transport's context manager),
    and shown again once the gateway tells it, while the session is open, that approving
    ``tool`` of ``server`` in the pin ``store`` changed the list."""
    from mcp import ClientSession
    from mcp_types import ToolListChangedNotification

    told = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(getattr(message, "root", message), ToolListChangedNotification):
            told.set()

    async with streams as opened, ClientSession(opened[0], opened[1], message_handler=on_message) as session:
        await session.initialize()
        before = [listed.name for listed in (await session.list_tools()).tools]
        approve = [sys.executable, "-m", "mcpward", "pins", "approve", server, "--tool", tool]
        await anyio.run_process([*approve, "--store", str(store)])
        with anyio.fail_after(30):
            await told.wait()
        return before, [listed.name for listed in (await session.list_tools()).tools]


def tool_pins(*names: str) -> dict[str, dict[str, str]]:
    """A review's pins of tools ``names`` (each described "x"), as the registry stores them."""
    pins = {}
    for name in names:
        canonical = json.dumps({"description": "x", "name": name}, sort_keys=True, separators=(",", ":"))
        pins[f"tool:{name}"] = {
            "sha256": hashlib.sha256(canonical.encode()).hexdigest(),
            "canonical": canonical,
        }
    return pins
