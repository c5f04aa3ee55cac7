"""A secret sent as a JSON list rather than a string: its bytes as numbers
(``{"key": [103, 104, 112, 95, ...]}``, as ``Buffer.toJSON`` and ``list(b"...")`` write them), or
its text (or its base64) cut into a list of short strings (``["Z2hw", "X2lL", ...]``,
``["ghp_Ab", "Cd12", ...]``), in a tool result's ``structuredContent`` or a tool call's
arguments.

Before (2026-12-05): DLP read a JSON value's strings one by one and never its numbers, so each
passed ``dlp scan`` and the gateway (both ways, through ``gateway run``) whole and with no event
(SECURITY.md listed byte arrays of numbers as not covered). Written as text (``"[103, 104, ...]"``)
the same bytes were read.

Now a list of ten or more integers from 0 to 255 is also read as the bytes it holds (the numbers
joined by commas, read by the engine as decimal bytes), a list of strings of base64's characters
(or of up to three digits) as the text they make joined; a secret found there (secrets only: no
personal data is read in them) masks the whole list, which becomes its mask (``"****"``). Lists
of ordinary numbers (counts, RGB triples, versions, pixel and random bytes), of words, ids and
hashes hold no match, and the cost stays linear."""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

from dlp_spelling_kit import json_through_gateway
from linear_time import superlinear

from mcpward.dlp.policy import DlpPolicy
from mcpward.dlp.scanning import redact_json, scan_json


def _token(prefix: str, alphabet: str, length: int, seed: int) -> str:
    chooser = random.Random(seed)  # noqa: S311 - a made-up token in the issuer's format, seeded
    return prefix + "".join(chooser.choice(alphabet) for _ in range(length))


GITHUB = _token("ghp_", string.ascii_letters + string.digits, 36, 911)
AWS_ID = _token("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 912)
AWS_SECRET = _token("", string.ascii_letters + string.digits + "+/", 40, 913)
AWS_FILE = f"[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\n"


def _cut(text: str, width: int) -> list[str]:
    return [text[at : at + width] for at in range(0, len(text), width)]


def _lists(secret: str) -> dict[str, list[object]]:
    encoded = base64.b64encode(secret.encode()).decode()
    return {
        "bytes": list(secret.encode()),
        "utf-16 bytes": list(secret.encode("utf-16-le")),
        "base64 in 4s": _cut(encoded, 4),
        "base64 in 2 halves": _cut(encoded, len(encoded) // 2 + 1),
        "base64 url-safe in 8s": _cut(base64.urlsafe_b64encode(secret.encode()).decode(), 8),
        "hex in 2s": _cut(secret.encode().hex(), 2),
        "text in 6s": _cut(secret, 6) if "\n" not in secret else _cut(encoded, 6),
        "bytes as strings": [str(byte) for byte in secret.encode()],
    }


def _leaks(value: object) -> bool:
    text = json.dumps(value)
    return GITHUB[4:] in text or AWS_SECRET in text or str(list(GITHUB.encode()))[1:-1] in text


def test_lists_spelling_a_secret_are_found_and_masked() -> None:
    missed = []
    for secret in (GITHUB, AWS_FILE):
        for name, spelled in _lists(secret).items():
            for value in ({"key": spelled}, {"result": {"items": [{"data": spelled, "ok": True}]}}):
                found = [m for m in scan_json(value) if m.kind == "secret"]
                masked = redact_json(value, found)
                if (
                    not found
                    or _leaks(masked)
                    or any(spelled_part in json.dumps(masked) for spelled_part in map(str, spelled[2:6]))
                ):
                    missed.append((secret[:8], name))
    assert missed == []


def test_the_list_becomes_its_mask_and_the_rest_stays() -> None:
    value = {"name": "deploy", "key": list(GITHUB.encode()), "colours": [[255, 0, 0], [0, 128, 255]]}
    matches = scan_json(value)
    assert [(m.rule, m.path, m.encoding) for m in matches] == [("github-token", "$.key", "decimal")]
    assert redact_json(value, matches) == {
        "name": "deploy",
        "key": "****",
        "colours": [[255, 0, 0], [0, 128, 255]],
    }
    policy = DlpPolicy(actions={"secret": "redact"})
    assert [m.action for m in policy.scan_json(value)] == ["redact"]


def test_through_gateway_run(tmp_path: Path) -> None:
    kept = {"token": list(GITHUB.encode()), "pieces": _lists(AWS_FILE)["base64 in 4s"], "count": 3}
    stored = [list(GITHUB.encode()), _lists(GITHUB)["base64 in 4s"], {"parts": _cut(GITHUB, 5)}]
    read, received = json_through_gateway(tmp_path, kept, stored)
    assert not _leaks(read) and not _leaks(received), (read, received)
    assert read["count"] == 3 and read["token"] == "****", read
    assert len(received) == len(stored), received
    audit = (tmp_path / "audit.jsonl").read_text()
    assert "dlp-result" in audit and "dlp-argument" in audit
    assert not _leaks(audit)


def _clean_values() -> list[object]:
    chooser = random.Random(914)  # noqa: S311 - ordinary data, seeded
    return [
        {"counts": list(range(100))},
        {"rgb": [12, 200, 33], "palette": [[chooser.randrange(256) for _ in range(3)] for _ in range(64)]},
        {"version": [1, 2, 3], "versions": [[1, 0, 0], [1, 2, 0], [2, 0, 1]], "python": [3, 11, 7, 0]},
        {"pixels": [chooser.randrange(256) for _ in range(4096)]},
        {"png": list(bytes.fromhex("89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61"))},
        {"scores": [chooser.randrange(101) for _ in range(500)], "ports": [22, 80, 443, 8080, 5432]},
        {"prose bytes": list(b"The weather in Paris is sunny, 21 degrees, light wind from the west.")},
        {"tags": ["read", "write", "admin", "deploy", "release", "staging", "production"]},
        {"required": ["path", "content", "encoding"], "enum": ["utf8", "base64", "hex", "latin1"]},
        {"commits": ["4b825dc642cb6eb9a060e54bf8d69288fbee4904", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"]},
        {"ids": ["550e8400-e29b-41d4-a716-446655440000", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"]},
        {"hashes": [f"{chooser.getrandbits(256):064x}" for _ in range(50)]},
        {
            "random ids": [
                "".join(chooser.choice(string.ascii_letters + string.digits) for _ in range(12))
                for _ in range(200)
            ]
        },
        {
            "words": [
                "The",
                "quick",
                "brown",
                "fox",
                "jumps",
                "over",
                "the",
                "lazy",
                "dog",
                "again",
                "and",
                "again",
            ]
        },
        {"digits": [str(n) for n in range(300)], "cells": ["4111", "1111", "1111", "1111"]},
        {"phone parts": ["+1", "212", "555", "0143"], "dates": ["2024", "01", "15"]},
    ]


def test_ordinary_lists_hold_no_match() -> None:
    for value in _clean_values():
        assert scan_json(value) == [], value
        assert DlpPolicy(actions={"secret": "redact"}).scan_json(value) == [], value


def test_cost_stays_linear() -> None:
    chooser = random.Random(915)  # noqa: S311 - noise
    numbers = [chooser.randrange(256) for _ in range(50_000)]
    pieces = [base64.b64encode(chooser.randbytes(3)).decode() for _ in range(50_000)]
    dense = [list(GITHUB.encode())] * 2_000
    for make in (
        lambda n: {"data": numbers[: n * 10_000]},
        lambda n: {"data": pieces[: n * 10_000]},
        lambda n: {"data": dense[: n * 400]},
        lambda n: {"data": [[1] * 10] * (n * 3_000)},
    ):
        assert (
            superlinear(lambda v: scan_json(json.loads(v)), json.dumps(make(1)), json.dumps(make(4))) is None
        )
