"""A gateway in front of tests/servers/injecting_server.py and the official SDK client calling
it: the quarantine's tests and its attacks share these."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

SERVERS = Path(__file__).parent / "servers"
MCPWARD = [sys.executable, "-m", "mcpward"]
SECRET = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
HELD, BLOCKED = -32005, -32001


def gateway(tmp_path: Path, injection: str, extra: str = "") -> list[str]:
    """``gateway run`` of the injecting server with ``[dlp] injection`` set, pins and the audit
    log in ``tmp_path``."""
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[pins]\nstore = "{tmp_path / "pins.json"}"\n[dlp]\ninjection = "{injection}"\n{extra}',
        encoding="utf-8",
    )
    return [*MCPWARD, "gateway", "run", "--server", "pages", "--config", str(config),
            "--audit-log", str(tmp_path / "audit.jsonl"), "--",
            sys.executable, str(SERVERS / "injecting_server.py"), SECRET]  # fmt: skip


async def session(command: list[str], calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each ``read_page`` call's outcome: {"text", "is_error"} or {"code", "message", "data"}
    of its error."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.shared.exceptions import MCPError

    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    outcomes: list[dict[str, Any]] = []
    async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
        await client.initialize()
        await client.list_tools()
        for arguments in calls:
            try:
                result = await client.call_tool("read_page", arguments)
            except MCPError as exc:
                outcomes.append({"code": exc.code, "message": exc.message, "data": exc.data})
            else:
                outcomes.append({"text": result.content[0].text, "is_error": result.is_error})
    return outcomes
