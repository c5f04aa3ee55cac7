"""A false positive: the digits of a decimal fraction read as a card number. Sixteen digits
after ``0.`` are what ``Math.random()``, Python's ``random()`` and any double between 0 and 1
print; about one in fifty of them begins as a card issuer's range does and passes Luhn.

Before (2026-12-06): the card rule took the digits right after a decimal point, so a tool
result listing scores, probabilities or samples (``0.3857914424467108``), as text or as the
text item beside a structured result (the JSON of it), had one of its numbers in fifty masked
(``0.****``) under the default gateway's policy for personal data, and refused whole under a
policy that blocks card numbers; an engine test of 5,000 such fractions found 117 "cards".

Now digits right after a digit and a decimal point (the fraction of a number) are not a card
number. A card number written in a sentence, after a label and a colon, after a full stop
that ends a word, in a CSV row, or before a fraction of its own, is still found."""

from __future__ import annotations

import random
from pathlib import Path

from dlp_spelling_kit import assert_native_and_python_agree, json_through_gateway
from gateway_attack_kit import audit_events

from mcpward.dlp.policy import DlpPolicy
from mcpward.dlp.scanning import scan_text

MASKING = '[actions]\npii = "redact"\n'


def _fractions(seed: int, count: int) -> list[float]:
    chooser = random.Random(seed)  # noqa: S311 - samples as a program prints them, seeded
    return [chooser.random() for _ in range(count)]


def test_decimal_fractions_are_not_card_numbers() -> None:
    text = "scores: " + ", ".join(map(repr, _fractions(3, 5000)))
    assert [m.rule for m in scan_text(text) if m.rule == "credit-card"] == []
    assert_native_and_python_agree([text, "p=0.4111111111111111", "12.5555555555554444 m"])
    assert DlpPolicy(actions={"credit-card": "block"}).scan_text("p = 0.4111111111111111") == []


def test_card_numbers_are_still_found() -> None:
    for text in (
        "card 4111111111111111 exp 12/29",
        "card: 4111 1111 1111 1111",
        "paid by card.4111111111111111",
        "Ada,4111111111111111,12/29",
        "amount 4111111111111111.50",
        "0.5 then 4111111111111111",
    ):
        assert [m.rule for m in scan_text(text)] == ["credit-card"], text


def test_a_result_of_samples_passes_the_gateway_as_it_was(tmp_path: Path) -> None:
    samples = {"model": "v2", "samples": _fractions(7, 400)}
    sent = "scores " + ", ".join(map(repr, _fractions(8, 400)))
    read, stored = json_through_gateway(tmp_path, samples, [sent], MASKING)
    assert read == samples, "a sample was masked"
    assert stored == [sent], stored
    assert not audit_events(tmp_path / "audit.jsonl", "dlp-result")
    assert not audit_events(tmp_path / "audit.jsonl", "dlp-argument")
