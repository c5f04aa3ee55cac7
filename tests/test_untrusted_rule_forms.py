"""Rules written for Python's ``re`` in a faster form find exactly what their plain form finds.

``imperative-opening``'s 200 verbs are grouped by first letter (``_WRITTEN_OUT`` keeps the plain
form, which the anchors and the native index read), and the two rules with a start-of-text
branch are searched past the first character without it (``Rule.finditer``). Each is compared
with its plain expression's ``finditer`` on the check's own cases and on texts made here around
the places an order may open: the text's start, punctuation, line starts, list markers, quotes,
"please" glued to a word before it. The compatibility folding (a table filled a character at a
time) gives what folding each character alone gives, with its memory bounded."""

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


def _folded_one_by_one(text: str) -> str | None:
    """The compatibility folding as the check defines it, a character at a time."""
    import unicodedata

    if text.isascii():
        return None
    folded = "".join(
        unicodedata.normalize("NFKC", c) if len(unicodedata.normalize("NFKC", c)) == 1 else c for c in text
    )
    return folded if folded != text else None


def test_compatibility_forms_fold_as_one_by_one() -> None:
    from mcpward.inspect._untrusted import _check

    blocks = [
        range(0xFF00, 0xFFF0),  # full-width and half-width forms
        range(0xFB00, 0xFB50),  # ligatures
        range(0x1D400, 0x1D500),  # mathematical letters
        range(0x2460, 0x2500),  # circled and parenthesised numbers
        range(0x4E00, 0x4E80),  # CJK
        range(0x0300, 0x0370),  # combining marks
        range(0xD800, 0xD810),  # lone surrogates
        range(0x00A0, 0x0180),  # Latin-1 and Latin Extended-A
    ]
    for block in blocks:
        text = "Ignore " + "".join(map(chr, block)) + " all"
        assert _check._folded(text) == _folded_one_by_one(text), hex(block.start)
    assert _check._folded("ＩＧＮＯＲＥ previous") == "IGNORE previous"


def test_the_folding_memory_is_bounded() -> None:
    from mcpward.inspect._untrusted import _check

    every = "".join(chr(code) for code in range(0x100, 0x12000) if not 0xD800 <= code < 0xE000)
    assert _check._folded(every) == _folded_one_by_one(every)
    assert len(_check._FOLDING) <= 65_536
