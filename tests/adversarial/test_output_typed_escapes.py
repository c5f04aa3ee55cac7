"""What a person reads of a server's text shows invisible characters as escapes (``\\u200b``);
typed, those six characters showed the same, so a name or description with the invisible space
(or a tag, or the terminal's escape character) read exactly as one without it, and a reviewer
could not tell them apart. Where anything is escaped or looks escaped, backslashes are doubled:
two different texts never show the same."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

import pytest

from mcpward.output.text import printable, visible

TYPED_AND_REAL = [
    ("notes\u200bapi", "notes\\u200bapi"),
    ("get\U000e0041", "get\\U000e0041"),
    ("\\\u200b", "\\u200b"),  # a real backslash before the real character
    ("red \x1b[31m", "red \\x1b[31m"),
    ("bidi \u202e", "bidi \\u202e"),
]


@pytest.mark.parametrize("show", [visible, printable])
@pytest.mark.parametrize(("real", "typed"), TYPED_AND_REAL)
def test_a_typed_escape_never_shows_as_the_character_it_names(
    show: Callable[[str], str], real: str, typed: str
) -> None:
    assert show(real) != show(typed)


@pytest.mark.parametrize("show", [visible, printable])
def test_two_different_texts_never_show_the_same(show: Callable[[str], str]) -> None:
    alphabet = ["\\", "u", "U", "x", "2", "0", "b", "e", "1", "\u200b", "\x1b", "\U000e0041", "a", " "]
    rng = random.Random(7)  # noqa: S311 - the same texts each run
    shown: dict[str, str] = {}
    texts = {"".join(p) for p in itertools.product(["\\", "u", "\u200b", "0"], repeat=4)}
    texts |= {"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(20_000)}
    for text in texts:
        seen = show(text)
        assert shown.setdefault(seen, text) == text, (seen, text, shown[seen])


@pytest.mark.parametrize("show", [visible, printable])
@pytest.mark.parametrize(
    "text",
    [
        "C:\\Users\\alice\\AppData\\Roaming\\Claude\\claude_desktop_config.json",
        "Match lines with \\d+ digits and \\s spaces.",
        "@modelcontextprotocol/server-filesystem",
        "Reads files; see \\\\server\\share for the team's copy.",
    ],
)
def test_plain_text_keeps_its_backslashes(show: Callable[[str], str], text: str) -> None:
    assert show(text) == text


def test_visible_keeps_lines_and_their_backslashes() -> None:
    text = 'Reads a file.\nUse "C:\\\\data" on Windows.'
    assert visible(text) == text
