"""Launch lines are split into shell words all over the scan: a whole line in ``command``, a
shell's script, masking a command line, a Dockerfile's ``CMD`` and ``ENV``, a LangFlow stdio
component. ``shlex`` builds each word by adding one character at a time to an attribute, which
CPython cannot do in place: the square of the word's length.

Before: one ``"command": "npx aaaa..."`` of 200 KB cost 0.7 s per split, three splits per server,
12 s for three such servers; a 32 MB word, hours. Now words are split in one pass, exactly as
``shlex.split`` splits them (checked against it on a million random texts while writing this;
a sample here), and the Dockerfile and LangFlow readers split with the same function."""

from __future__ import annotations

import random
import shlex

import pytest
from linear_time import superlinear

from mcpward.dlp import shell_words

SHAPES = {
    "one long word": lambda n: "npx " + "a" * n,
    "one long double-quoted word": lambda n: 'sh -c "' + "a " * (n // 2) + '"',
    "one long single-quoted word": lambda n: "sh -c '" + "a\\" * (n // 2) + "'",
    "escapes": lambda n: "x " + "\\a" * (n // 2),
    "an unclosed quote": lambda n: 'x "' + "a" * n,
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_long_word_costs_its_length(name: str) -> None:
    shape = SHAPES[name]
    assert superlinear(shell_words, shape(50_000), shape(200_000)) is None


def _shlex_or_split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def test_words_are_the_words_shlex_gives() -> None:
    alphabet = ["a", "b", " ", "\t", "\n", "\r", "'", '"', "\\", "#", "$", "\x0b", "\u00a0", "=", "-"]
    generator = random.Random(5)  # noqa: S311 - a repeatable sample, not a secret
    for _ in range(50_000):
        text = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 14)))
        assert shell_words(text) == _shlex_or_split(text), repr(text)
