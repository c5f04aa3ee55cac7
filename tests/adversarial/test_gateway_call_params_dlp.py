"""A secret sent to the server in a tool call's params beside its ``arguments``: its ``_meta``
(a progress token, or what a client puts there), a ``task`` (the 2025-11-25 revision's task
augmentation), a member of the client's own, or the tool's name itself where the gateway runs
without pins, through a real ``mcpward gateway run`` in front of a one-file server that writes
down every message it receives.

Before (2026-12-06): the gateway's DLP judged a tool call's ``arguments`` (and a 2026-07-28
client's ``inputResponses``) only, while it judged every member of any other request's params:
each of these reached the server whole, with no event, under the default policy that masks a
secret in a tool call's arguments and under one that blocks secrets.

Now the rest of a tool call's params is judged as its arguments are (``dlp-argument``); the
name of a tool the session listed (judged in the list) and nothing else, the usual call, costs
no scan more. A call with an ordinary ``_meta`` (a progress token) reaches the server as sent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from gateway_attack_kit import MCPWARD, SECRET, audit_events, gateway_config
from test_gateway_client_notifications_dlp import RECORDING_SERVER
from test_gateway_stdio_attacks import _read, _send

from loopback import end_by_closing_input


def _calls(said: str) -> list[dict[str, Any]]:
    """Tool calls carrying ``said`` beside their arguments."""
    return [
        {"name": "lookup", "arguments": {"q": "weather"}, "_meta": {"progressToken": 5, "note": said}},
        {"name": "lookup", "arguments": {"q": "weather"}, "task": {"ttl": 60000, "label": said}},
        {"name": "lookup", "arguments": {"q": "weather"}, "context": said},
    ]


def _through_run(
    tmp_path: Path, calls: list[dict[str, Any]], policy: str = "", *, pins: bool = True
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The handshake, the tool list and ``calls`` through ``gateway run`` (with pins, or
    without): the tool calls the server received, and the client's answers to the calls."""
    received = tmp_path / "received.jsonl"
    config = gateway_config(tmp_path, policy)
    if not pins:
        config.write_text("[pins]\nenabled = false\n[baseline]\nenabled = false\n", encoding="utf-8")
    gateway = subprocess.Popen(
        [*MCPWARD, "gateway", "run", "--server", "lookup", "--config", str(config), "--audit-log",
         str(tmp_path / "audit.jsonl"), "--", sys.executable, "-c", RECORDING_SERVER, str(received), "ok"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    answers: list[dict[str, Any]] = []
    try:
        _send(gateway, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}})
        _read(gateway)
        _send(gateway, {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
        _read(gateway)
        for number, params in enumerate(calls, start=2):
            _send(gateway, {"jsonrpc": "2.0", "id": number, "method": "tools/call", "params": params})
            message = _read(gateway)
            while message.get("id") != number:  # the server's notifications before its answer
                message = _read(gateway)
            answers.append(message)
    finally:
        end_by_closing_input(gateway)
    lines = received.read_text(encoding="utf-8").splitlines() if received.exists() else []
    return [m for m in map(json.loads, lines) if m.get("method") == "tools/call"], answers


def test_a_secret_beside_a_calls_arguments_is_masked(tmp_path: Path) -> None:
    received, answers = _through_run(tmp_path, _calls(f"token {SECRET}"))
    assert all("result" in answer for answer in answers), answers
    assert len(received) == 3, received
    assert SECRET[4:12] not in json.dumps(received), received
    assert received[0]["params"]["_meta"]["progressToken"] == 5, received
    assert received[1]["params"]["task"]["ttl"] == 60000, received
    assert all(m["params"]["arguments"] == {"q": "weather"} for m in received), received
    events = audit_events(tmp_path / "audit.jsonl", "dlp-argument")
    assert len(events) == 3 and all(e["detail"]["action"] == "redact" for e in events), events


def test_a_blocking_policy_refuses_the_call(tmp_path: Path) -> None:
    received, answers = _through_run(tmp_path, _calls(f"token {SECRET}"), '[actions]\nsecret = "block"\n')
    assert received == [], received
    assert all("error" in answer for answer in answers), answers
    assert SECRET not in json.dumps(answers)


def test_a_secret_in_the_tool_name_without_pins(tmp_path: Path) -> None:
    calls = [{"name": f"lookup {SECRET}", "arguments": {}}]
    received, _ = _through_run(tmp_path, calls, pins=False)
    assert SECRET[4:12] not in json.dumps(received), received
    assert len(audit_events(tmp_path / "audit.jsonl", "dlp-argument")) == 1


def test_an_ordinary_call_reaches_the_server_as_sent(tmp_path: Path) -> None:
    calls = [
        {"name": "lookup", "arguments": {"q": "weather in Paris"}},
        {"name": "lookup", "arguments": {"q": "weather"}, "_meta": {"progressToken": "call-7f3a"}},
    ]
    received, answers = _through_run(tmp_path, calls)
    assert [m["params"] for m in received] == calls, received
    assert all("result" in answer for answer in answers), answers
    assert not audit_events(tmp_path / "audit.jsonl", "dlp-argument")
