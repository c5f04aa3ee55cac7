"""A gateway in front of tests/servers/injecting_server.py and the official SDK client calling
it, an answer held by the gateway's own relay, and the registry's page of held results: the
quarantine's tests and its attacks share these."""

from __future__ import annotations

import os
import subprocess
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


def quarantining_relay(tmp_path: Path, tool: str = "read_page") -> Any:
    """A gateway's relay with ``injection = "quarantine"`` (its pins, audit log and held folder
    in ``tmp_path``) that has listed the server's one tool, ``tool``."""
    import orjson

    from mcpward.gateway import AuditLog, GatewayConfig, Relay, Session, build_interceptors

    config = GatewayConfig.model_validate(
        {"pins": {"store": str(tmp_path / "pins.json")}, "dlp": {"injection": "quarantine"}}
    )
    log = AuditLog(tmp_path / "audit.jsonl")
    relay = Relay(Session(server="pages", target="t"), build_interceptors(config, audit_log=log))
    relay.client_message(b'{"jsonrpc":"2.0","id":0,"method":"tools/list","params":{}}')
    tools = {"tools": [{"name": tool, "description": "Read."}]}
    relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": 0, "result": tools}))
    return relay


def hold_through_relay(tmp_path: Path, text: str, tool: str = "read_page") -> str:
    """The id of ``text``, the answer of a call of ``tool``, held by :func:`quarantining_relay`."""
    import orjson

    relay = quarantining_relay(tmp_path, tool)
    relay.client_message(
        orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool}})
    )
    result = {"content": [{"type": "text", "text": text}]}
    reply = relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": result}))
    held_id: str = orjson.loads(reply[0].data)["error"]["data"]["quarantine_id"]
    return held_id


class HeldSite:
    """A registry's pages reviewing the held results of the gateway whose audit log is in
    ``tmp_path`` (none with ``held=False``), a token of each role."""

    def __init__(self, tmp_path: Path, held: bool = True) -> None:
        from fastapi.testclient import TestClient

        from mcpward.gateway import GatewayConfig, quarantine
        from mcpward.registry import Registry, Role
        from mcpward.registry.web import HeldReview, create_app

        self.registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
        log = tmp_path / "audit.jsonl"
        review = HeldReview(quarantine(GatewayConfig(), log), log) if held else None
        self.client = TestClient(create_app(self.registry, held=review))
        self.tokens = {
            role: self.registry.create_token(f"{role.value}-person", role, "setup") for role in Role
        }

    def sign_in(self, role: Any) -> str:
        """Signs in with the token of ``role``: the form token of the held page."""
        import re

        response = self.client.post(
            "/login", data={"token": self.tokens[role], "next": "/held"}, follow_redirects=False
        )
        assert response.status_code == 303
        found = re.search(r'name="csrf" value="([^"]+)"', self.client.get("/held").text)
        assert found
        return found.group(1)


def calls(command: list[str], *made: dict[str, Any]) -> list[dict[str, Any]]:
    """:func:`session` run to its end: each call's outcome."""
    import anyio

    return anyio.run(session, command, list(made))


def gateway_command(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``mcpward gateway ARGS`` (held, release, discard) on the config and audit log of
    :func:`gateway` in ``tmp_path``."""
    config = ["--config", str(tmp_path / "gateway.toml"), "--audit-log", str(tmp_path / "audit.jsonl")]
    return subprocess.run([*MCPWARD, "gateway", *args, *config], capture_output=True, text=True, timeout=120)
