"""A secret sent to the server in a client request other than a tool call: the URI of a
``resources/read`` (Claude Code lets the model read a server's resources by URI, so a model told
by an injected instruction to "look up" ``notes://search/<the token>`` sends the token), the
arguments of a ``prompts/get`` (what the user typed into a prompt's fields) and the value of a
``completion/complete`` (sent as the user types it), through ``mcpward gateway run`` in front of
the official SDK's server, by the official SDK's client.

Before (2026-12-05): the gateway's DLP judged only a tool call's ``arguments`` (and a 2026-07-28
client's ``inputResponses``) of what the client sends: each of these reached the server whole,
with no event, under the default policy that masks a secret in a tool call's arguments; SECURITY.md
promised that every string the gateway forwards passes the engine.

Now the ``params`` of every client request are judged as a tool call's arguments are (masked,
refused or recorded by the same policy); a read, a prompt and a completion of ordinary text
reach the server as sent, with no event."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
from gateway_attack_kit import MCPWARD, SECRET, audit_events, gateway_config

SERVERS = Path(__file__).parents[1] / "servers"


def _through_run(tmp_path: Path, value: str, policy: str = "") -> tuple[str, list[str]]:
    """``value`` sent as a resource template's query, a prompt's argument and a completion's
    value through ``gateway run`` (the default policy, or the DLP ``policy`` file's text): what
    the server received, and the errors the client got."""
    received = tmp_path / "received.txt"
    config = gateway_config(tmp_path, policy)
    errors: list[str] = []

    async def session() -> None:
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client
        from mcp_types import PromptReference, ResourceTemplateReference

        params = StdioServerParameters(
            command=MCPWARD[0],
            args=[*MCPWARD[1:], "gateway", "run", "--server", "lookup", "--config", str(config),
                  "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable,
                  str(SERVERS / "lookup_server.py"), str(received)],
            env=dict(os.environ),
        )  # fmt: skip
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            asks = [
                lambda: client.read_resource(f"notes://search/{value}"),
                lambda: client.get_prompt("review", {"code": value}),
                lambda: client.complete(PromptReference(type="ref/prompt", name="review"),
                                        {"name": "code", "value": value}),
                lambda: client.complete(
                    ResourceTemplateReference(type="ref/resource", uri="notes://search/{query}"),
                    {"name": "query", "value": value}),
            ]  # fmt: skip
            for ask in asks:
                try:
                    await ask()
                except Exception as exc:  # noqa: BLE001 - the gateway's refusal
                    errors.append(str(exc))

    anyio.run(session)
    return (received.read_text(encoding="utf-8") if received.exists() else ""), errors


def test_a_secret_in_a_read_uri_a_prompts_arguments_or_a_completion_is_masked(tmp_path: Path) -> None:
    received, errors = _through_run(tmp_path, f"token={SECRET}")
    assert not errors, errors
    assert received.count("\n") == 4, received  # each reached the server, masked
    assert SECRET[4:12] not in received, received
    assert "ghp_" in received, received
    events = audit_events(tmp_path / "audit.jsonl", "dlp-argument")
    assert len(events) == 4, events
    assert all(event["detail"]["action"] == "redact" for event in events), events


def test_a_blocking_policy_refuses_them(tmp_path: Path) -> None:
    received, errors = _through_run(tmp_path, f"token={SECRET}", '[actions]\nsecret = "block"\n')
    assert len(errors) == 4, errors
    assert received == "", received


def test_ordinary_text_reaches_the_server_as_sent(tmp_path: Path) -> None:
    received, errors = _through_run(tmp_path, "weather-in-paris")
    assert not errors, errors
    assert received.splitlines() == [
        "read: weather-in-paris",
        "prompt: weather-in-paris",
        "complete: weather-in-paris",
        "complete: weather-in-paris",
    ], received
    assert not audit_events(tmp_path / "audit.jsonl", "dlp-argument")
