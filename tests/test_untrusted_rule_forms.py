"""Rules written for Python's ``re`` in a faster form find exactly what their plain form finds.

``imperative-opening``'s 200 verbs are grouped by first letter (``_WRITTEN_OUT`` keeps the plain
form, which the anchors and the native index read), and the two rules with a start-of-text
branch are searched past the first character without it (``Rule.finditer``). Each is compared
with its plain expression's ``finditer`` on the check's own cases and on texts made here around
the places an order may open: the text's start, punctuation, line starts, list markers, quotes,
"please" glued to a word before it."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mcpward.inspect._untrusted._rules import _WRITTEN_OUT, RULES
from test_untrusted import ATTACKS, CLEAN

FORMED = [rule for rule in RULES if rule.search_pattern is not None or rule.name in _WRITTEN_OUT]
PIECES = [
    " ", "  ", "\n", "\n  ", "\t", ".", ". ", "!", "?", ":", ";", '"', "(", "[", "- ", "* ", "# ", "> ",
    "12. ", "3) ", "please ", "xplease ", "éplease ", "then ", "now ", "first, ", "also ", "_also ",
    "send", "send ", "tell", "write", "read", "go to", "look up", "summarize", "e-mail", "open(",
    "add", "address", "the report", "file", "x", "café", "2024",
]  # fmt: skip


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)]


def _check(text: str) -> None:
    for rule in FORMED:
        plain = re.compile(_WRITTEN_OUT.get(rule.name, rule.pattern))
        assert [m.span() for m in rule.finditer(text)] == _spans(plain, text), (rule.name, text)


def test_the_cases_are_found_alike() -> None:
    assert {rule.name for rule in FORMED} == {"imperative-action", "imperative-opening"}
    texts = [text for _, text in ATTACKS] + CLEAN
    for text in texts + [text.lower() for text in texts]:
        _check(text)


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_texts_around_the_openers_are_found_alike(pieces: list[str]) -> None:
    _check("".join(pieces))
