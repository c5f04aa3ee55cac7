"""``redact_text`` (every text mcpward stores passes it) in linear time on hostile text.

It masks the password of each URL first, finding URLs by a scheme of letters, digits and
``+.-`` before ``://``. That expression, tried from each letter of a long word, read the word to
its end each time: a 40,000-letter word and a ``://`` anywhere in the text took 6.4 s. The
texts are written here for the purpose."""

from __future__ import annotations

import pytest
from linear_time import superlinear

from mcpward.dlp import redact_text

SHAPES = {
    "a long word, then a URL": lambda n: "x" * n + " see http://example.org/",
    "a long word ending in a colon": lambda n: "a" * n + ":// x://",
    "letters and digits": lambda n: "a1" * (n // 2) + " and ://",
    "scheme characters": lambda n: "a+.-" * (n // 4) + " then ://",
    "runs each with a separator": lambda n: "ab:/" * (n // 4) + "://",
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_hostile_text_costs_its_length(name: str) -> None:
    shape = SHAPES[name]
    assert superlinear(redact_text, shape(20_000), shape(80_000)) is None


@pytest.mark.parametrize(
    "text",
    [
        "clone https://deploy:s3cr3t-Pa55word@git.example.org/team/repo.git today",
        "x" * 5000 + " postgres://app:s3cr3t-Pa55word@db.internal:5432/main",
        "(redis://:s3cr3t-Pa55word@cache.example.net:6379)",
        "(redis://app:p@s3cr3t-Pa55word@cache.example.net:6379)",
        "9git+ssh://bob:s3cr3t-Pa55word@host.example.com/x",
    ],
)
def test_a_url_s_password_is_still_masked(text: str) -> None:
    redacted = redact_text(text)
    assert "s3cr3t-Pa55word" not in redacted
    assert "example" in redacted or "internal" in redacted
