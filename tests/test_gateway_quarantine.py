"""Injected instructions in tool results, end to end: the official SDK client, ``mcpward gateway
run`` and a real SDK server whose results carry them, under each ``[dlp] injection`` setting;
then a reviewer's ``gateway held``, ``release`` and ``discard``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mcpward.gateway import verify
from quarantine_kit import BLOCKED, HELD, MCPWARD, SECRET, SERVERS, gateway, session


def run_calls(command: list[str], *calls: dict[str, Any]) -> list[dict[str, Any]]:
    import anyio

    return anyio.run(session, command, list(calls))


def audit(tmp_path: Path) -> list[dict[str, Any]]:
    log = tmp_path / "audit.jsonl"
    assert verify(log)[1] is None
    return [json.loads(line) for line in log.read_text().splitlines()]


def events(tmp_path: Path, kind: str) -> list[dict[str, Any]]:
    return [e for r in audit(tmp_path) for e in r.get("events", ()) if e["kind"] == kind]


def mcpward(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = ["--config", str(tmp_path / "gateway.toml"), "--audit-log", str(tmp_path / "audit.jsonl")]
    return subprocess.run([*MCPWARD, "gateway", *args, *config], capture_output=True, text=True, timeout=120)


def test_alert_passes_the_result_with_an_event(tmp_path: Path) -> None:
    clean, injected = run_calls(gateway(tmp_path, "alert"), {"page": "clean"}, {"page": "override"})
    assert clean["text"].startswith("Paris weather")
    assert "Ignore all previous instructions" in injected["text"] and SECRET not in injected["text"]
    found = events(tmp_path, "injected-instruction")
    assert len(found) == 1 and found[0]["tool"] == "read_page"
    assert [r["decision"] for r in audit(tmp_path) if r.get("stage") == "response" and r.get("tool")] == [
        "allow",
        "redact",  # the secret in it is masked: redact outranks alert
    ]


def test_block_refuses_the_result(tmp_path: Path) -> None:
    clean, injected, hidden = run_calls(
        gateway(tmp_path, "block"), {"page": "clean"}, {"page": "override"}, {"page": "hidden"}
    )
    assert clean["text"].startswith("Paris weather")
    for refused in (injected, hidden):
        assert refused["code"] == BLOCKED and "carries instructions for the model" in refused["message"]
        assert "Ignore all" not in refused["message"] and SECRET not in refused["message"]
    assert not (tmp_path / "audit.jsonl.held").exists()


def test_quarantine_holds_and_a_reviewer_releases_or_discards(tmp_path: Path) -> None:
    command = gateway(tmp_path, "quarantine")
    clean, held, hidden = run_calls(command, {"page": "clean"}, {"page": "override"}, {"page": "hidden"})
    assert clean["text"].startswith("Paris weather")
    for answer in (held, hidden):
        assert answer["code"] == HELD and "held for review" in answer["message"]
        assert "Ignore all" not in answer["message"] and "Welcome" not in answer["message"]
        assert answer["data"]["quarantine_id"] in answer["message"]
    held_id, hidden_id = held["data"]["quarantine_id"], hidden["data"]["quarantine_id"]
    recorded = {e["detail"]["id"]: e["detail"] for e in events(tmp_path, "quarantined")}
    assert set(recorded) == {held_id, hidden_id}
    assert "Ignore all previous instructions" in json.dumps(recorded[held_id]["result"])  # redacted copy

    listing = mcpward(tmp_path, "held", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    assert {r["id"] for r in json.loads(listing.stdout)} == {held_id, hidden_id}
    shown = mcpward(tmp_path, "held", held_id)
    assert shown.returncode == 0 and "Ignore all previous instructions" in shown.stdout
    assert SECRET not in shown.stdout and "ghp_****" in shown.stdout

    released = mcpward(tmp_path, "release", held_id, "--as", "rita")
    assert released.returncode == 0, released.stderr
    assert "Ignore all previous instructions" in released.stdout and SECRET not in released.stdout
    again = mcpward(tmp_path, "release", held_id)
    assert again.returncode == 2 and "no held result" in again.stderr

    # The next identical answer passes once; the one after is held again.
    passed, held_again = run_calls(command, {"page": "override"}, {"page": "override"})
    assert "Ignore all previous instructions" in passed["text"] and SECRET not in passed["text"]
    assert held_again["code"] == HELD and held_again["data"]["quarantine_id"] != held_id
    assert [e["detail"]["id"] for e in events(tmp_path, "quarantine-release-used")] == [held_id]

    discarded = mcpward(tmp_path, "discard", hidden_id, "--as", "rita")
    assert discarded.returncode == 0, discarded.stderr
    assert mcpward(tmp_path, "release", hidden_id).returncode == 2
    remaining = json.loads(mcpward(tmp_path, "held", "--format", "json").stdout)
    assert [r["id"] for r in remaining] == [held_again["data"]["quarantine_id"]]

    decisions = [
        (r["decision"], r["quarantine_id"], r["client"]) for r in audit(tmp_path) if r["stage"] == "review"
    ]
    assert decisions == [("release", held_id, "rita"), ("discard", hidden_id, "rita")]
    assert SECRET not in (tmp_path / "audit.jsonl").read_text()


@pytest.mark.parametrize("setting", ["alert", "block", "quarantine", "off"])
def test_every_setting_is_accepted_and_others_are_a_clear_config_error(tmp_path: Path, setting: str) -> None:
    from mcpward.gateway import ConfigError, load_config

    config = tmp_path / "gateway.toml"
    config.write_text(f'[dlp]\ninjection = "{setting}"\n', encoding="utf-8")
    assert load_config(config).dlp.injection == setting
    config.write_text(f'[dlp]\ninjection = "{setting}-please"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="injection"):
        load_config(config)


TOKEN = "mcpg_quarantine-test-token-for-gateway-serve-0123456789"


async def _httpsession(url: str) -> dict[str, Any]:
    from mcp import ClientSession
    from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client
    from mcp.shared.exceptions import MCPError

    client = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
    async with (
        client,
        streamable_http_client(url, http_client=client) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        await session.list_tools()
        try:
            await session.call_tool("read_page", {"page": "override"})
        except MCPError as exc:
            return {"code": exc.code, "message": exc.message, "data": exc.data}
        return {}


def test_gateway_serve_holds_for_its_http_clients(tmp_path: Path) -> None:
    import hashlib

    import anyio

    from loopback import free_port, wait_for

    port = free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[serve]\nport = {port}\n[[serve.clients]]\nname = "laptop"\n'
        f'sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"\n'
        f'[pins]\nstore = "{tmp_path / "pins.json"}"\n[dlp]\ninjection = "quarantine"\n'
        f'[servers.pages]\ncommand = ["{sys.executable}", "{SERVERS / "injecting_server.py"}", "{SECRET}"]\n',
        encoding="utf-8",
    )
    command = [
        *MCPWARD,
        "gateway",
        "serve",
        "--config",
        str(config),
        "--audit-log",
        str(tmp_path / "audit.jsonl"),
    ]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, process)
        answer = anyio.run(_httpsession, f"http://127.0.0.1:{port}/servers/pages/mcp")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert answer["code"] == HELD and "Welcome" not in answer["message"]
    held_id = answer["data"]["quarantine_id"]
    assert [e["detail"]["id"] for e in events(tmp_path, "quarantined")] == [held_id]
    assert (tmp_path / "audit.jsonl.held" / f"{held_id}.json").exists()
    assert [r["client"] for r in audit(tmp_path) if r.get("stage") == "response" and r.get("tool")] == [
        "laptop"
    ]
