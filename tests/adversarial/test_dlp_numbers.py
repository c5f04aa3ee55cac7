"""A card number written as a JSON number, not a string: a tool result's ``structuredContent``
(``{"card": 4111111111111111}``, as a database row or the official SDK's structured output gives
it) or a tool call's arguments (a model told to send the card it read), through ``mcpward gateway
run`` (the official SDK's server and client) under a policy that masks personal data.

Before (2026-12-05): DLP read a JSON value's strings (and lists of bytes), never its numbers.
The same result's text item, the JSON of the same value, had the digits as text and was masked,
while ``structuredContent`` (which a client may give the model instead) carried the number
whole; an argument given as a number reached the server whole; no event for either, and a
policy that blocks card numbers let both through.

Now an integer of nine digits or more is read as its decimal digits, and where a match is found
it is masked as a string is (the number becomes its mask, ``"****"``-style text, as a list of
bytes that spells a secret does). Ordinary numbers (counts, prices, millisecond timestamps,
64-bit ids, sizes) are read and found clean, and reach the client as they were."""

from __future__ import annotations

from pathlib import Path

from dlp_spelling_kit import json_through_gateway
from gateway_attack_kit import audit_events

from mcpward.dlp.policy import DlpPolicy
from mcpward.dlp.scanning import redact_json, scan_json

CARD = 4111111111111111
MASKING = '[actions]\npii = "redact"\n'


def test_a_card_number_as_a_json_number_is_found_and_masked() -> None:
    value = {"customer": "Ada", "card": CARD, "cards": [5555555555554444]}
    matches = scan_json(value)
    assert {(m.rule, m.path) for m in matches} == {("credit-card", "$.card"), ("credit-card", "$.cards[0]")}
    masked = redact_json(value, matches)
    assert masked["customer"] == "Ada"
    assert str(CARD) not in str(masked) and "5555555555554444" not in str(masked), masked


def test_a_blocking_policy_blocks_it() -> None:
    matches = DlpPolicy(actions={"credit-card": "block"}).scan_json({"card": CARD}, tool="shop.pay")
    assert [m.action for m in matches] == ["block"], matches


def test_through_the_gateway_both_ways(tmp_path: Path) -> None:
    read, stored = json_through_gateway(tmp_path, {"customer": "Ada", "card": CARD}, [CARD], MASKING)
    assert read["customer"] == "Ada", read
    assert str(CARD) not in str(read), read
    assert len(stored) == 1 and str(CARD) not in str(stored), stored
    assert audit_events(tmp_path / "audit.jsonl", "dlp-argument")


def test_ordinary_numbers_pass_as_they_were(tmp_path: Path) -> None:
    record = {
        "count": 42,
        "price": 19.99,
        "created_ms": 1733443200000,
        "id": 1181234567890123456,
        "largest": 9223372036854775807,
        "negative": -123456789012,
        "size": 123456789,
        "flag": True,
    }
    assert scan_json(record) == []
    read, stored = json_through_gateway(tmp_path, record, [record["id"]], MASKING)
    assert read == record, read
    assert stored == [record["id"]], stored
    assert not audit_events(tmp_path / "audit.jsonl", "dlp-argument")
    assert not audit_events(tmp_path / "audit.jsonl", "dlp-result")
