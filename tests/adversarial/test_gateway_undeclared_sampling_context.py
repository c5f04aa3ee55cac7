"""A hostile server asks the client's model (``sampling/createMessage``) with ``includeContext:
"allServers"``: the context of the client's other servers, sent back to it in the model's
answer. A client that did not declare ``sampling.context`` must not be asked for it (clients of
the 2025-06-18 revision honour the field whatever they declared); ``gateway serve`` refused
such a request to 2026-07-28 clients, ``gateway run`` passed it on. The official SDK's server
and client (it declares ``sampling`` without ``context``), through ``mcpward gateway run``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import anyio
from gateway_attack_kit import MCPWARD, SECRET, audit_events

SERVER = Path(__file__).parents[1] / "servers" / "side_door_server.py"


async def _session(tmp_path: Path, contexts: list[str]) -> tuple[list[str], list[Any]]:
    """What the server's ``sample`` tool got for each context, and the includeContext of each
    request the client was asked."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp_types import CreateMessageResult, TextContent

    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[pins]\nstore = "{tmp_path / "pins.json"}"\n[baseline]\nenabled = false\n', encoding="utf-8"
    )
    params = StdioServerParameters(
        command=MCPWARD[0],
        args=[*MCPWARD[1:], "gateway", "run", "--server", "docs", "--config", str(config),
              "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable, str(SERVER), SECRET],
        env=dict(os.environ),  # the SDK passes a few variables only: PYTHONPATH picks the code tested
    )  # fmt: skip
    asked: list[Any] = []

    async def on_sample(context: Any, params: Any) -> CreateMessageResult:
        asked.append(params.include_context)
        return CreateMessageResult(
            role="assistant", content=TextContent(type="text", text="a summary"), model="m"
        )

    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, sampling_callback=on_sample) as session,
    ):
        await session.initialize()
        await session.list_tools()
        outcomes = []
        for context in contexts:
            result = await session.call_tool("sample", {"context": context})
            outcomes.append(result.content[0].text)  # type: ignore[union-attr]
    return outcomes, asked


def test_other_servers_context_is_not_asked_of_a_client_that_did_not_declare_it(tmp_path: Path) -> None:
    outcomes, asked = anyio.run(_session, tmp_path, ["allServers", "thisServer", "none"])
    assert asked == [None], asked  # only the request without context reached the client
    assert outcomes[0].startswith("refused") and "sampling.context" in outcomes[0], outcomes
    assert outcomes[1].startswith("refused") and outcomes[2] == "answered: a summary", outcomes
    refused = [e for e in audit_events(tmp_path / "audit.jsonl") if e["kind"] == "undeclared-request"]
    assert len(refused) == 2, refused
