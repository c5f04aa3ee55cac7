"""A card number written as a JSON number with a fraction or an exponent (``4111111111111111.0``,
``4.111111111111111e15``): a tool result's ``structuredContent`` (a row of a store that keeps
numbers as doubles, a JavaScript server's ``JSON.stringify`` of a value it computed) or a tool
call's argument (a model told to send the card it read as a number), through ``mcpward gateway
run`` (the official SDK's server and client) under a policy that masks personal data.

Before (2026-12-06): DLP read the digits of an integer of nine digits or more, never a number
with a fraction or an exponent, which the gateway's parser takes for a double: the card written
``4111111111111111.0`` reached the client in ``structuredContent`` and the server as an
argument whole, with no event, and a policy that blocks card numbers let it through. A
JavaScript peer reads and prints the same number as ``4111111111111111``.

Now a double of nine integer digits or more (below 1e21, past which it is written with an
exponent) is read as its digits written out, as a JavaScript peer prints it, and masked where a
match is found. Ordinary doubles (3.14, 1e-9, a timestamp with milliseconds, a price, a random
fraction, 1e300) are read clean or not at all, and reach each side as they were."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
from dlp_spelling_kit import json_through_gateway
from gateway_attack_kit import audit_events

from mcpward.dlp.policy import DlpPolicy
from mcpward.dlp.scanning import redact_json, scan_json

MASKING = '[actions]\npii = "redact"\n'


def test_a_card_number_with_a_fraction_or_an_exponent_is_found_and_masked() -> None:
    value = orjson.loads(
        b'{"customer": "Ada", "card": 4111111111111111.0, "exponent": 4.111111111111111e15,'
        b' "cards": [5555555555554444.0, 4111111111111111e0], "half": 4111111111111111.5}'
    )
    matches = scan_json(value)
    assert {(m.rule, m.path) for m in matches} == {
        ("credit-card", "$.card"),
        ("credit-card", "$.exponent"),
        ("credit-card", "$.cards[0]"),
        ("credit-card", "$.cards[1]"),
        ("credit-card", "$.half"),
    }, matches
    masked = redact_json(value, matches)
    assert masked["customer"] == "Ada"
    shown = orjson.dumps(masked).decode()
    assert "4111111111111111" not in shown and "5555555555554444" not in shown, shown
    assert "4.111111111111111" not in shown, shown


def test_a_blocking_policy_blocks_it() -> None:
    matches = DlpPolicy(actions={"credit-card": "block"}).scan_json(
        orjson.loads(b'{"card": 4.111111111111111e15}'), tool="shop.pay"
    )
    assert [m.action for m in matches] == ["block"], matches


def test_through_the_gateway_both_ways(tmp_path: Path) -> None:
    card = 4111111111111111.0
    read, stored = json_through_gateway(tmp_path, {"customer": "Ada", "card": card}, [card], MASKING)
    assert read["customer"] == "Ada", read
    assert "4111111111111111" not in str(read), read
    assert len(stored) == 1 and "4111111111111111" not in str(stored), stored
    assert audit_events(tmp_path / "audit.jsonl", "dlp-argument")
    assert audit_events(tmp_path / "audit.jsonl", "dlp-result")


def test_ordinary_doubles_pass_as_they_were(tmp_path: Path) -> None:
    chooser = random.Random(7)  # noqa: S311 - fractions as Math.random() gives them, seeded
    record = {
        "pi": 3.14,
        "tiny": 1e-9,
        "price": 1999.99,
        "timestamp": 1733450000.123,
        "whole_timestamp": 1733450000.0,
        "ms": 1733450000123.0,
        "ratio": 123456789.98765433,
        "huge": 1e300,
        "avogadro": 6.02214076e23,
        "negative": -987654321.5,
        "fractions": [chooser.random() for _ in range(200)],
        "scaled": [chooser.random() * 1e9 for _ in range(200)],
    }
    assert scan_json(record) == []
    # The text item beside the structured result is the JSON of it all, fractions as text.
    read, stored = json_through_gateway(tmp_path, record, [1733450000.123, 6.02214076e23], MASKING)
    assert read == record, read
    assert stored == [1733450000.123, 6.02214076e23], stored
    assert not audit_events(tmp_path / "audit.jsonl", "dlp-argument")
    assert not audit_events(tmp_path / "audit.jsonl", "dlp-result")


# A secret's bytes as a list of doubles (``[103.0, 104.0, 112.0, ...]``): a JavaScript peer's
# ``Buffer.from`` reads them as the bytes ``[103, 104, 112, ...]`` are (read as bytes since
# 2026-12-05, test_dlp_json_lists.py), but a list with a fraction or an exponent in each number
# was read as no bytes at all until 2026-12-06.
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def test_a_secrets_bytes_as_doubles_are_read_as_bytes() -> None:
    as_doubles = orjson.loads(("[" + ", ".join(f"{byte}.0" for byte in TOKEN.encode()) + "]").encode())
    value = {"key": as_doubles, "exponents": [byte * 1e0 for byte in TOKEN.encode()]}
    matches = scan_json(value)
    assert {m.path for m in matches if m.rule == "github-token"} == {"$.key", "$.exponents"}, matches
    masked = redact_json(value, matches)
    assert masked["key"] != as_doubles and "A1b2" not in str(masked), masked


def test_lists_of_ordinary_doubles_hold_no_bytes() -> None:
    chooser = random.Random(11)  # noqa: S311 - samples, seeded
    lists = {
        "levels": [float(chooser.randrange(256)) for _ in range(64)],
        "rgb": [255.0, 128.0, 0.0] * 6,
        "halves": [n / 2 for n in range(40)],
        "percent": [float(n) for n in range(0, 101, 5)],
    }
    assert scan_json(lists) == []
