"""Probation: an approval starts a read-only period. inspect's judgement of which tools are
read-only (both sides: tools that only read, and tools whose annotations lie), the registry's
period per tier, the reviewer's grant and the grant after a quiet period, each in the audit
trail; and end to end through the gateway with the official SDK client: a write tool refused
during probation and allowed after the grant, each recorded."""

from __future__ import annotations

import json
import os
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mcpward.gateway import verify
from mcpward.inspect import classify_read_only, pin_record, signature
from mcpward.registry import (
    DataScope,
    EntryRequest,
    Identity,
    InvalidInput,
    PolicyRefusal,
    Registry,
    RegistryError,
    VetOutcome,
    probation_days,
)

SERVERS = Path(__file__).parent / "servers"
MCPWARD = [sys.executable, "-m", "mcpward"]


@pytest.mark.parametrize(
    "tool",
    [
        {"name": "get_weather", "inputSchema": {"properties": {"city": {"type": "string"}}}},
        {"name": "listIssues", "annotations": {"readOnlyHint": True}},
        {"name": "search_code", "description": "Search the repository. Does not modify anything."},
        {"name": "read_file", "description": "Read the complete contents of a file."},
        {"name": "describe_table", "annotations": {"readOnlyHint": True, "destructiveHint": False}},
    ],
)
def test_tools_that_only_read_are_suggested_read_only(tool: dict[str, Any]) -> None:
    assert classify_read_only(tool).read_only


@pytest.mark.parametrize(
    ("tool", "why"),
    [
        ({"name": "send_email", "annotations": {"readOnlyHint": True}}, "name says send"),
        (
            {
                "name": "tidy_notes",
                "description": "Deletes old notes.",
                "annotations": {"readOnlyHint": True},
            },
            "description says deletes",
        ),
        ({"name": "get_config", "inputSchema": {"properties": {"new_value": {}}}}, "parameter new_value"),
        ({"name": "execute_command"}, "name says execute"),
        ({"name": "fetch_page", "annotations": {"readOnlyHint": False}}, "annotations say it writes"),
        ({"name": "echo"}, "nothing says it only reads"),  # unclear: left to the reviewer
        ({"name": "tidy_notes", "annotations": {"readOnlyHint": True}}, "only its readOnlyHint"),
    ],
)
def test_tools_that_write_or_are_unclear_are_not_suggested(tool: dict[str, Any], why: str) -> None:
    judgement = classify_read_only(tool)
    assert not judgement.read_only and any(why in reason for reason in judgement.reasons)


def test_the_period_is_set_per_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    assert probation_days() == {0: 7, 1: 7, 2: 7}
    monkeypatch.setenv("MCPWARD_PROBATION_DAYS", "0=14,2=0")
    assert probation_days() == {0: 14, 1: 7, 2: 0}
    monkeypatch.setenv("MCPWARD_PROBATION_DAYS", "1=forever")
    with pytest.raises(RegistryError, match="TIER=DAYS"):
        probation_days()


#: The notes server's tools exactly as the SDK lists them (the entry's pins must match them).
def _notes_tool(name: str, description: str, read_only_hint: bool, **arguments: Any) -> dict[str, Any]:
    tool: dict[str, Any] = {
        "name": name,
        "description": description,
        "inputSchema": {"properties": arguments, "type": "object", "title": f"{name}Arguments"},
        "outputSchema": {
            "properties": {"result": {"title": "Result", "type": "string"}},
            "required": ["result"],
            "type": "object",
            "title": f"{name}Output",
        },
    }
    if arguments:
        tool["inputSchema"]["required"] = list(arguments)
    if read_only_hint:
        tool["annotations"] = {"readOnlyHint": True}
    return tool


NOTES_TOOLS = [
    _notes_tool("read_note", "Read the notes.", True),
    _notes_tool("write_note", "Append a line to the notes.", False, line={"title": "Line", "type": "string"}),
    _notes_tool("tidy_notes", "Tidy the notes.", True),
]


@pytest.fixture(scope="module")
def notes_pins() -> dict[str, dict[str, str]]:
    return pin_record([signature("", "tool", tool) for tool in NOTES_TOOLS])


def _request(pins: dict[str, dict[str, str]], **changes: Any) -> EntryRequest:
    fields: dict[str, Any] = {
        "name": "io.github.acme/notes",
        "identity": Identity(kind="package", ecosystem="npm", name="@acme/notes", version="1.0.0"),
        "owner": "team-notes",
        "scope": DataScope(writes=("notes file",)),
        "vet": VetOutcome(verdict="pass"),
        "pins": pins,
    }
    return EntryRequest(**(fields | changes))


def test_an_approval_starts_a_read_only_period_a_reviewer_ends(
    tmp_path: Path, notes_pins: dict[str, dict[str, str]]
) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")
    entry = registry.request(_request(notes_pins), "alice")
    with pytest.raises(InvalidInput, match="not a pinned tool"):
        registry.approve(entry.id, "bob", "ok", read_only_tools=["read_note", "format_disk"])
    approved = registry.approve(entry.id, "bob", "read the code")
    # inspect's suggestion: only tidy_notes's annotations say it reads; write_note writes.
    assert approved.read_only_tools == ("read_note",) and approved.on_probation
    assert approved.probation_until == (datetime.now(UTC) + timedelta(days=7)).date()
    assert approved.may_call("read_note") and not approved.may_call("tidy_notes")
    event = registry.audit(entry.id)[0]
    assert event.detail["probation"] == {
        "probation_until": str(approved.probation_until),
        "read_only_tools": ["read_note"],
        "read_only_from": "inspect",
    }
    with pytest.raises(PolicyRefusal, match="requester cannot grant"):
        registry.grant_write(entry.id, "alice", "mine")
    granted = registry.grant_write(entry.id, "carol", "a week of reads, nothing odd")
    assert not granted.on_probation and granted.write_granted_by == "carol" and granted.may_call("tidy_notes")
    event = registry.audit(entry.id)[0]
    assert (event.action, event.actor, event.detail["early"]) == ("grant-write", "carol", True)
    with pytest.raises(PolicyRefusal, match="not on probation"):
        registry.grant_write(entry.id, "carol", "again")
    assert registry.verify_audit() is None  # the grant is in the chained, sealed trail
    registry.database.dispose()


def test_a_revoked_entry_is_not_shown_with_write_granted(
    tmp_path: Path, notes_pins: dict[str, dict[str, str]]
) -> None:
    import subprocess

    database = f"sqlite:///{tmp_path / 'r.db'}"
    registry = Registry.open(database)
    entry = registry.request(_request(notes_pins), "alice")
    registry.approve(entry.id, "bob", "read the code")
    registry.grant_write(entry.id, "carol", "a week of reads, nothing odd")

    def status() -> str:
        shown = subprocess.run([*MCPWARD, "registry", "show", str(entry.id), "--database", database],
                               capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
        return next(line for line in shown.stdout.splitlines() if line.startswith("  status"))

    assert status() == "  status       approved (write granted by carol)"
    registry.revoke(entry.id, "carol", "compromised")
    assert status() == "  status       revoked"  # was "revoked (write granted by carol)"
    registry.database.dispose()


def test_a_quiet_period_grants_write_and_an_alert_or_no_use_keeps_it_for_a_reviewer(
    tmp_path: Path, notes_pins: dict[str, dict[str, str]]
) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")

    def approved(name: str) -> int:
        identity = Identity(kind="package", ecosystem="npm", name=f"@acme/{name}", version="1.0.0")
        request = _request(notes_pins, name=f"io.github.acme/{name}", identity=identity)
        return registry.approve(registry.request(request, "alice").id, "bob", "ok", read_only_tools=[]).id

    quiet, noisy, unseen = approved("quiet"), approved("noisy"), approved("unseen")
    now = datetime.now(UTC).isoformat()
    registry.record_gateway_events(
        [
            {"at": now, "server": "io-github-acme-quiet", "stage": "request", "decision": "allow"},
            {
                "at": now,
                "server": "io-github-acme-noisy",
                "stage": "request",
                "decision": "alert",
                "events": [{"kind": "new-destination", "message": "x"}],
            },
        ]
    )
    assert registry.grant_quiet() == []  # the period has not ended
    later = Registry(registry.database, clock=lambda: datetime.now(UTC) + timedelta(days=8))
    assert later.grant_quiet() == [quiet]
    assert later.get(quiet).write_granted_by == "mcpward"
    assert later.get(noisy).on_probation  # an alert: a reviewer decides
    assert later.get(unseen).on_probation  # never seen in use: no evidence that it was quiet
    event = later.audit(quiet)[0]
    assert (event.action, event.actor, event.detail["baseline_alerts"]) == ("grant-write", "mcpward", 0)
    registry.database.dispose()


def test_the_gateway_refuses_write_tools_on_probation_and_allows_them_after_the_grant(
    tmp_path: Path, notes_pins: dict[str, dict[str, str]]
) -> None:
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.shared.exceptions import MCPError

    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    entry = registry.approve(registry.request(_request(notes_pins), "alice").id, "bob", "read the code")
    # npx on PATH starts the notes server, so the gateway judges `npx -y @acme/notes@1.0.0`.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npx = bin_dir / "npx"
    notes = tmp_path / "notes.txt"
    npx.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{SERVERS / "notes_server.py"}" "{notes}"\n')
    npx.chmod(npx.stat().st_mode | stat.S_IXUSR)
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[registry]\nenabled = true\nsource = "{database}"\nrecheck_seconds = 0.2\n'
        f'[pins]\nstore = "{tmp_path / "pins.json"}"\n[sandbox]\nfrom_registry = false\n',
        encoding="utf-8",
    )
    log = tmp_path / "audit.jsonl"
    command = [*MCPWARD, "gateway", "run", "--server", "io-github-acme-notes", "--config", str(config),
               "--audit-log", str(log), "--", "npx", "-y", "@acme/notes@1.0.0"]  # fmt: skip
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    async def session() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        params = StdioServerParameters(command=command[0], args=command[1:], env=env)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            seen["read"] = (await client.call_tool("read_note", {})).content[0].text
            # what is refused is not offered either: the model sees the read-only tools only
            seen["listed"] = sorted(tool.name for tool in (await client.list_tools()).tools)
            for tool, arguments in (("write_note", {"line": "during"}), ("tidy_notes", {})):
                try:
                    await client.call_tool(tool, arguments)
                except MCPError as exc:
                    seen[tool] = str(exc)
            registry.grant_write(entry.id, "carol", "a week of reads, nothing odd")
            await anyio.sleep(0.25)  # past recheck_seconds: the gateway reads the entry again
            seen["after"] = (await client.call_tool("write_note", {"line": "after"})).content[0].text
            seen["listed after"] = sorted(tool.name for tool in (await client.list_tools()).tools)
        return seen

    seen = anyio.run(session)
    assert seen["read"] == ""
    assert seen["listed"] == ["read_note"]
    assert seen["listed after"] == ["read_note", "tidy_notes", "write_note"]
    assert "not one of io-github-acme-notes's read-only tools" in seen["write_note"]
    assert f"mcpward registry grant {entry.id}" in seen["write_note"]
    assert "tidy_notes" in seen["tidy_notes"]  # its readOnlyHint did not make it read-only
    assert seen["after"] == "written" and notes.read_text() == "after\n"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    calls = [
        (r.get("tool"), r["decision"])
        for r in records
        if r.get("method") == "tools/call" and r["stage"] == "request"
    ]
    assert ("write_note", "block") in calls and ("tidy_notes", "block") in calls
    assert calls[-1] == ("write_note", "allow")
    assert verify(log)[1] is None
    assert [e.action for e in registry.audit(entry.id)][:2] == ["grant-write", "approve"]
    registry.database.dispose()


def test_the_api_confirms_read_only_tools_and_grants_and_the_page_shows_both(
    tmp_path: Path, notes_pins: dict[str, dict[str, str]]
) -> None:
    from fastapi.testclient import TestClient

    from mcpward.registry import Role
    from mcpward.registry.web import create_app

    registry = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")
    client = TestClient(create_app(registry))
    reviewer = {"Authorization": f"Bearer {registry.create_token('bob', Role.REVIEWER, 'setup')}"}
    viewer = {"Authorization": f"Bearer {registry.create_token('vic', Role.VIEWER, 'setup')}"}
    entry = registry.request(_request(notes_pins), "alice")
    page = client.post("/login", data={"token": reviewer["Authorization"][7:]}, follow_redirects=True)
    assert page.status_code == 200
    form = client.get(f"/entries/{entry.id}").text
    assert 'name="read_only" value="read_note" checked' in form  # inspect's suggestion, ticked
    assert 'name="read_only" value="tidy_notes">' in form and "only its readOnlyHint says it reads" in form
    body = {"rationale": "read the code", "read_only_tools": ["read_note", "tidy_notes"]}
    approved = client.post(f"/api/entries/{entry.id}/approve", json=body, headers=reviewer).json()
    assert approved["read_only_tools"] == ["read_note", "tidy_notes"]  # the reviewer's call, recorded
    assert registry.audit(entry.id)[0].detail["probation"]["read_only_from"] == "reviewer"
    shown = client.get(f"/entries/{entry.id}").text
    assert "the read-only tools read_note, tidy_notes" in shown and 'value="grant"' in shown
    assert (
        client.post(f"/api/entries/{entry.id}/grant", json={"rationale": "ok"}, headers=viewer).status_code
        == 403
    )
    granted = client.post(
        f"/api/entries/{entry.id}/grant", json={"rationale": "quiet week"}, headers=reviewer
    )
    assert granted.status_code == 200 and granted.json()["write_granted_by"] == "bob"
    assert "write granted by bob" in client.get(f"/entries/{entry.id}").text
    again = client.post(f"/api/entries/{entry.id}/grant", json={"rationale": "again"}, headers=reviewer)
    assert again.status_code == 422 and "not on probation" in again.json()["detail"]
    # Revoked on probation: the page said "Probation ended: write granted by None."
    other = registry.request(
        _request(
            notes_pins,
            name="io.github.acme/notes-two",
            identity=Identity(kind="package", ecosystem="npm", name="@acme/notes-two", version="1.0.0"),
        ),
        "alice",
    )
    registry.approve(other.id, "bob", "read the code")
    registry.revoke(other.id, "bob", "compromised")
    page = client.get(f"/entries/{other.id}").text
    assert "Probation ended with the approval (revoked); write was never granted." in page
    assert "granted by None" not in page
    registry.database.dispose()
