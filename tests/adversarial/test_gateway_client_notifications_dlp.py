"""A secret sent to the server in a notification of the client: the ``reason`` of a
``notifications/cancelled`` (a client that puts the model's words there, or a compromised one),
the ``message`` of a ``notifications/progress``, the ``_meta`` of a
``notifications/roots/list_changed``, through a real ``mcpward gateway run`` in front of a
one-file server that writes down every message it receives.

Before (2026-12-06): the gateway's DLP judged the params of every client request and the
client's answers to the server, never its notifications: each reached the server whole, with no
event and no record, under the default policy that masks a secret in a tool call's arguments
and under a policy that blocks secrets. What the server sends of its own (a log notification's
``data``, a progress ``message``) was judged, so the two directions differed.

Now the params of every client notification are judged as a request's are (``dlp-argument``):
masked, or the notification dropped (it has no answer to refuse) and recorded. Ordinary
notifications (a cancellation's reason, a progress message, a list change) reach the server as
sent, with no event and no record (notifications are many: recorded only when a check acted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from gateway_attack_kit import MCPWARD, SECRET, audit_events, gateway_config
from test_gateway_stdio_attacks import _read, _send

from loopback import end_by_closing_input

#: Writes each message it receives as a line of its first argument's file; answers each request
#: with an empty result, a tool call with a log notification and a progress notification first,
#: each carrying its second argument (the server's own secret, or a clean word).
RECORDING_SERVER = r"""
import json, sys
received, said = open(sys.argv[1], "a"), sys.argv[2]
def send(message):
    sys.stdout.write(json.dumps(message) + "\n"); sys.stdout.flush()
for line in sys.stdin:
    m = json.loads(line)
    received.write(json.dumps(m) + "\n"); received.flush()
    if "id" not in m:
        continue
    result = {}
    if m["method"] == "tools/list":
        result = {"tools": [{"name": "lookup", "inputSchema": {"type": "object"}}]}
    elif m["method"] == "tools/call":
        send({"jsonrpc": "2.0", "method": "notifications/message",
              "params": {"level": "info", "data": {"note": said}}})
        send({"jsonrpc": "2.0", "method": "notifications/progress",
              "params": {"progressToken": "t", "progress": 1, "message": said}})
        result = {"content": [{"type": "text", "text": "found"}]}
    send({"jsonrpc": "2.0", "id": m["id"], "result": result})
"""


def _notifications(said: str) -> list[dict[str, Any]]:
    """What the client sends of its own, each carrying ``said``."""
    return [
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": said}},
        {"jsonrpc": "2.0", "method": "notifications/progress",
         "params": {"progressToken": "c", "progress": 2, "total": 10, "message": said}},
        {"jsonrpc": "2.0", "method": "notifications/roots/list_changed", "params": {"_meta": {"note": said}}},
    ]  # fmt: skip


def _through_run(
    tmp_path: Path, said: str, policy: str = ""
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The handshake, the client's three notifications carrying ``said``, a ping (after which the
    server has read them), a tool call (the server's two notifications carrying ``said``)
    through ``gateway run``: the messages the server received, and those the client read."""
    received = tmp_path / "received.jsonl"
    config = gateway_config(tmp_path, policy)
    gateway = subprocess.Popen(
        [*MCPWARD, "gateway", "run", "--server", "lookup", "--config", str(config), "--audit-log",
         str(tmp_path / "audit.jsonl"), "--", sys.executable, "-c", RECORDING_SERVER, str(received), said],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    read: list[dict[str, Any]] = []
    try:
        _send(gateway, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}})
        read.append(_read(gateway))
        _send(gateway, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _send(gateway, {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
        read.append(_read(gateway))
        for notification in _notifications(said):
            _send(gateway, notification)
        _send(gateway, {"jsonrpc": "2.0", "id": 2, "method": "ping"})
        read.append(_read(gateway))
        _send(gateway, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "lookup"}})
        while "id" not in read[-1] or read[-1]["id"] != 3:
            read.append(_read(gateway))
    finally:
        end_by_closing_input(gateway)
    lines = received.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines], read


def _client_notifications(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in received if "id" not in m and m["method"] != "notifications/initialized"]


def _records(tmp_path: Path, stage: str) -> list[dict[str, Any]]:
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    return [record for record in map(json.loads, lines) if record.get("stage") == stage]


def test_a_secret_in_the_clients_notifications_is_masked(tmp_path: Path) -> None:
    received, read = _through_run(tmp_path, f"token {SECRET}")
    sent = _client_notifications(received)
    assert [m["method"] for m in sent] == [n["method"] for n in _notifications("")], sent
    assert SECRET[4:12] not in json.dumps(sent), sent
    assert sent[0]["params"]["requestId"] == 7 and sent[1]["params"]["total"] == 10, sent
    assert "ghp_" in sent[0]["params"]["reason"], sent
    # The server's own notifications were judged before too: masked on their way to the client.
    assert SECRET[4:12] not in json.dumps(read), read
    assert len(audit_events(tmp_path / "audit.jsonl", "dlp-argument")) == 3
    records = _records(tmp_path, "client-notification")
    assert [r["decision"] for r in records] == ["redact"] * 3, records
    assert SECRET[4:12] not in json.dumps(records), records


def test_a_blocking_policy_drops_them_and_records_why(tmp_path: Path) -> None:
    received, read = _through_run(tmp_path, f"token {SECRET}", '[actions]\nsecret = "block"\n')
    assert _client_notifications(received) == [], received
    assert SECRET not in json.dumps(received)
    assert read[-1]["result"]["content"][0]["text"] == "found", read  # the session goes on
    assert SECRET not in json.dumps(read), read
    records = _records(tmp_path, "client-notification")
    assert [(r["method"], r["decision"]) for r in records] == [
        (n["method"], "block") for n in _notifications("")
    ], records
    assert SECRET[4:12] not in json.dumps(records), records


def test_ordinary_notifications_reach_the_server_as_sent_unrecorded(tmp_path: Path) -> None:
    said = "User requested cancellation: indexing 3 of 10 files at 2026-12-06T02:15:33Z"
    received, read = _through_run(tmp_path, said)
    assert _client_notifications(received) == _notifications(said), received
    assert next(m["method"] for m in received if "id" not in m) == "notifications/initialized"
    assert said in json.dumps(read), read
    assert not audit_events(tmp_path / "audit.jsonl", "dlp-argument")
    assert not audit_events(tmp_path / "audit.jsonl", "dlp-message")
    assert _records(tmp_path, "client-notification") == []


def test_the_record_masks_what_the_policy_finds(tmp_path: Path) -> None:
    # A rule of the organisation's own (a code name), which alerts: the notification passes,
    # and its record masks the match as a server notification's record does.
    policy = '[[rules]]\nid = "code-names"\nkeywords = ["Project Falcon"]\naction = "alert"\n'
    received, _ = _through_run(tmp_path, "cancelled: Project Falcon is on hold", policy)
    sent = _client_notifications(received)
    assert sent[0]["params"]["reason"] == "cancelled: Project Falcon is on hold", sent
    records = _records(tmp_path, "client-notification")
    assert [r["decision"] for r in records] == ["alert"] * 3, records
    assert "Project Falcon" not in json.dumps(records), records
    server_records = _records(tmp_path, "server-notification")
    assert server_records and "Project Falcon" not in json.dumps(server_records), server_records
