"""A card number written in its groups right after a digit and a point: a numbered list typed
without a space (``1.4111 1111 1111 1111``), a section number (``2.5500-0000-0000-0004``).

Before (2026-12-06's fraction rule): digits right after a digit and a decimal point were never
a card number, so each card in such a list passed the gateway unmasked under a policy for
personal data and unrefused under one blocking cards. A double's fraction is one run of digits
(``0.4111111111111111``); a card written in groups of four (or Amex's 4-6-5) with one separator
is none, and is read as a card again. The fraction rule still holds for a run of digits, and for
columns of doubles (``0.4111 0.2345``)."""

from __future__ import annotations

import pytest
from dlp_spelling_kit import assert_native_and_python_agree

from mcpward.dlp.policy import DlpPolicy
from mcpward.dlp.scanning import scan_text

GROUPED_AFTER_NUMBER = [
    "Cards on file:\n1.4111 1111 1111 1111\n",
    "2.5500-0000-0000-0004",
    "section 3.3782 822463 10005 (Amex)",
]


@pytest.mark.parametrize("text", GROUPED_AFTER_NUMBER)
def test_a_grouped_card_after_a_number_and_point_is_found(text: str) -> None:
    assert [m.rule for m in scan_text(text)] == ["credit-card"], text
    assert DlpPolicy(actions={"credit-card": "block"}).scan_text(text) != []


BENIGN = [
    "p = 0.4111111111111111",
    "0.4111111111111111 seconds",
    "array([0.4111 0.2345 0.1111 0.1111])",
    "weights 0.4111 1111 0.25",
    "t=12.5555555555554444 m",
]


@pytest.mark.parametrize("text", BENIGN)
def test_fractions_are_still_no_cards(text: str) -> None:
    assert [m.rule for m in scan_text(text) if m.rule == "credit-card"] == [], text


def test_native_and_python_agree() -> None:
    assert_native_and_python_agree(GROUPED_AFTER_NUMBER + BENIGN)
