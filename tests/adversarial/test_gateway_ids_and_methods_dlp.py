"""A secret carried to the other side in a JSON-RPC message's id or in the name of a method
outside the MCP specification: a client (a model told to, or a compromised client) that numbers
its request ``ghp_...`` or calls the method ``x/ghp_...``, a server that asks the client
something under such an id or sends such a notification, a client answer to nothing asked
under such an id, a card number as a numeric id.

Before (2026-12-06): DLP judged a message's params, results and answers, never its id nor its
method: each reached the peer as sent, with no event, under the default policy that masks a
secret in a tool call's arguments and under one that blocks. The audit record masked a string
id and an unknown method with the default rules (``redact_text``), a numeric id not at all (a
card number as an id was recorded whole), and the policy's own rules never.

Now the id and any method outside the specification are judged by the policy as a message's
params are. They cannot be masked (a masked id no longer matches its answer; a masked method
is another method), so where the policy masks or blocks what was found the message is refused
(a request: an error to its sender under its own id, which the peer never sees; a
notification, or an answer to nothing asked: dropped); where it alerts, the message passes
with its event. The record masks what the policy found. Ordinary ids (counters, ``abc-123``,
UUIDs, ULIDs, nanoids, timestamps) and methods pass as they did, with no event."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from gateway_attack_kit import SECRET, policy_relay

from mcpward.gateway import Relay

#: A card number that passes the Luhn check (a test number of a known issuer).
CARD = 4111111111111111


def _client(relay: Relay, message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    outs = relay.client_message(orjson.dumps({"jsonrpc": "2.0", **message}))
    return [(out.to, orjson.loads(out.data)) for out in outs]


def _server(relay: Relay, message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    outs = relay.server_message(orjson.dumps({"jsonrpc": "2.0", **message}))
    return [(out.to, orjson.loads(out.data)) for out in outs]


def _log(tmp_path: Path) -> str:
    return (tmp_path / "audit.jsonl").read_text(encoding="utf-8")


def _records(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _log(tmp_path).splitlines()]


def _to_server(outs: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [message for to, message in outs if to == "server"]


def _to_client(outs: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [message for to, message in outs if to == "client"]


@pytest.mark.parametrize(
    "request_message",
    [
        {"id": f"req-{SECRET}", "method": "ping"},
        {"id": SECRET, "method": "tools/list", "params": {}},
        {"id": 1, "method": f"x/{SECRET}", "params": {}},
        {"id": 2, "method": SECRET},
    ],
    ids=["id", "bare-id", "method", "bare-method"],
)
def test_a_secret_in_a_client_requests_id_or_method_never_reaches_the_server(
    tmp_path: Path, request_message: dict[str, Any]
) -> None:
    relay = policy_relay(tmp_path)
    outs = _client(relay, request_message)
    assert not _to_server(outs), outs
    [refusal] = _to_client(outs)
    assert refusal["id"] == request_message["id"]  # its own id: the client matches the refusal
    assert refusal["error"]["code"] == -32001
    assert SECRET[4:12] not in refusal["error"]["message"]
    assert SECRET[4:12] not in _log(tmp_path)
    [record] = _records(tmp_path)
    assert record["decision"] == "block"
    assert any(event["kind"] == "dlp-name" for event in record["events"]), record


def test_a_secret_in_a_client_notifications_method_is_dropped(tmp_path: Path) -> None:
    relay = policy_relay(tmp_path)
    outs = _client(relay, {"method": f"notifications/{SECRET}", "params": {}})
    assert outs == []
    assert SECRET[4:12] not in _log(tmp_path)
    assert [r["decision"] for r in _records(tmp_path)] == ["block"]


def test_a_secret_in_the_id_of_a_client_answer_to_nothing_asked_is_dropped(tmp_path: Path) -> None:
    relay = policy_relay(tmp_path)
    outs = _client(relay, {"id": f"a-{SECRET}", "result": {}})
    assert outs == []  # neither the answer nor an error under its id
    assert SECRET[4:12] not in _log(tmp_path)


@pytest.mark.parametrize(
    "server_message",
    [
        {"id": f"ask-{SECRET}", "method": "roots/list"},
        {"id": 9, "method": f"x/{SECRET}", "params": {}},
    ],
    ids=["id", "method"],
)
def test_a_secret_in_a_server_requests_id_or_method_never_reaches_the_client(
    tmp_path: Path, server_message: dict[str, Any]
) -> None:
    relay = policy_relay(tmp_path)
    outs = _server(relay, server_message)
    assert not _to_client(outs), outs
    [refusal] = _to_server(outs)  # answered for the client, under the server's own id
    assert refusal["id"] == server_message["id"]
    assert SECRET[4:12] not in refusal["error"]["message"]
    assert SECRET[4:12] not in _log(tmp_path)


def test_a_secret_in_a_server_notifications_method_is_dropped(tmp_path: Path) -> None:
    relay = policy_relay(tmp_path)
    outs = _server(relay, {"method": f"notifications/{SECRET}"})
    assert outs == []
    assert SECRET[4:12] not in _log(tmp_path)


def test_a_card_number_as_an_id_is_refused_where_the_policy_blocks_cards(tmp_path: Path) -> None:
    relay = policy_relay(tmp_path, '[actions]\npii = "block"\n')
    outs = _client(relay, {"id": CARD, "method": "ping"})
    assert not _to_server(outs), outs
    assert str(CARD) not in _log(tmp_path)


def test_a_card_number_as_an_id_passes_with_an_alert_and_is_masked_in_the_record(tmp_path: Path) -> None:
    """The default policy alerts on cards: the request passes (its answer matches it), and the
    record masks the id, the answer's too."""
    relay = policy_relay(tmp_path)
    outs = _client(relay, {"id": CARD, "method": "ping"})
    assert [message["id"] for message in _to_server(outs)] == [CARD]
    assert [message["id"] for message in _to_client(_server(relay, {"id": CARD, "result": {}}))] == [CARD]
    assert str(CARD) not in _log(tmp_path)
    request, answer = _records(tmp_path)
    assert request["decision"] == "alert" and answer["stage"] == "response"
    assert any(event["kind"] == "dlp-name" for event in request["events"]), request


def test_the_policys_own_rules_judge_ids_and_methods(tmp_path: Path) -> None:
    policy = '[[rules]]\nid = "codename"\nkeywords = ["Bluebird"]\naction = "block"\n'
    relay = policy_relay(tmp_path, policy)
    assert not _to_server(_client(relay, {"id": "Bluebird-7", "method": "ping"}))
    assert not _to_server(_client(relay, {"id": 8, "method": "x/Bluebird"}))
    assert "Bluebird" not in _log(tmp_path)


ORDINARY_IDS: list[Any] = [
    0,
    1,
    42,
    1733456789012,  # a timestamp in milliseconds
    2**53 - 1,
    "1",
    "abc-123",
    "mcpward-12",
    str(uuid.UUID("6f1c2b7e-3d4a-4e5f-9a8b-7c6d5e4f3a2b")),
    "01HZX3K8Q4M2N7P5R9S6T1V0WY",  # a ULID
    "V1StGXR8_Z5jdHi6B-myT",  # a nanoid
    "req_2f9c1e7a4b",
    "5d41402abc4b2a76b9719d911017c592",  # an MD5 as hex
]


@pytest.mark.parametrize("request_id", ORDINARY_IDS)
def test_ordinary_ids_pass_both_ways_with_no_event(tmp_path: Path, request_id: Any) -> None:
    relay = policy_relay(tmp_path)
    assert [m["id"] for m in _to_server(_client(relay, {"id": request_id, "method": "ping"}))] == [request_id]
    assert [m["id"] for m in _to_client(_server(relay, {"id": request_id, "result": {}}))] == [request_id]
    asked = _server(relay, {"id": request_id, "method": "roots/list"})
    assert [m["id"] for m in _to_client(asked)] == [request_id]
    assert [m["id"] for m in _to_server(_client(relay, {"id": request_id, "result": {"roots": []}}))] == [
        request_id
    ]
    records = _records(tmp_path)
    assert {r["decision"] for r in records} == {"allow"}, records
    assert {r.get("id") for r in records} == {request_id}


@pytest.mark.parametrize(
    "method", ["tools/list", "experimental/weather-7f3a", "acme/reindex", "notifications/acme/progress"]
)
def test_ordinary_methods_pass_with_no_event(tmp_path: Path, method: str) -> None:
    relay = policy_relay(tmp_path)
    assert _to_server(_client(relay, {"id": 5, "method": method, "params": {}}))
    assert _to_server(_client(relay, {"method": method, "params": {}}))
    assert _to_client(_server(relay, {"method": method, "params": {}}))
    assert {r["decision"] for r in _records(tmp_path)} == {"allow"}


def test_an_alerted_method_is_masked_in_what_other_findings_say_of_it(tmp_path: Path) -> None:
    """A method the policy alerts on passes; the events of other findings on the same message
    name the message by its method, and the record keeps them masked too."""
    policy = '[[rules]]\nid = "codename"\nkeywords = ["Bluebird"]\naction = "alert"\n'
    relay = policy_relay(tmp_path, policy)
    outs = _client(
        relay, {"id": 4, "method": "x/Bluebird", "params": {"note": "Bluebird and bob@corp.example.org"}}
    )
    assert _to_server(outs)
    assert "Bluebird" not in _log(tmp_path), _log(tmp_path)
    [record] = _records(tmp_path)
    assert {event["kind"] for event in record["events"]} == {"dlp-name", "dlp-argument"}, record
