"""Texts over a megabyte are scanned in overlapping chunks. A hostile (or merely large) tool
result puts a long secret across a chunk's end: it must be masked whole, as a scan of the
whole text masks it, and the chunking must stay linear in time however many chunk ends such
secrets cross."""

from __future__ import annotations

import base64
import random

import pytest
from linear_time import costs_superlinear, cpu_cost

from mcpward.dlp import _engine
from mcpward.dlp._engine import CHUNK, OVERLAP, DlpMatch
from mcpward.dlp.scanning import default_engine


def _pgp_key(size: int, seed: int) -> str:
    body = base64.b64encode(random.Random(seed).randbytes(size)).decode()  # noqa: S311 (test data)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n"
        + "\n".join(lines)
        + "\n=Zk4Q\n-----END PGP PRIVATE KEY BLOCK-----\n"
    )


def _at(position: int, filler: str = "log line\n") -> str:
    return filler * (position // len(filler))


@pytest.mark.parametrize("before_end", [1_000, 40_000, -100, -30_000])
def test_a_key_longer_than_a_chunk_across_chunk_ends_is_one_whole_match(before_end: int) -> None:
    """A 3 MB key (three chunk ends) starting just before or after the first chunk's end."""
    key = _pgp_key(2_300_000, 7)
    head = _at(CHUNK - before_end)
    text = head + key + "done\n"
    matches = [m for m in default_engine().scan(text) if m.rule == "private-key"]
    assert [(m.start, m.end) for m in matches] == [(len(head), len(head) + len(key) - 1)]


def test_matches_are_those_of_a_scan_of_the_whole_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets and personal data around every chunk end (keys, tokens, addresses, cards):
    chunked, the engine finds exactly what it finds in one unit."""
    rng = random.Random(11)  # noqa: S311 (test data)
    pieces: list[str] = []
    size = 0
    samples = [
        "ghp_" + "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4",
        "mail bob.smith@example.org now",
        "card 4111 1111 1111 1111 ok",
        "EAA" + "Zx9" * 60,
        "password = 'Hk8#vQ2!mZ7p'",
    ]
    while size < 3 * CHUNK + 200_000:
        if rng.random() < 0.02:
            piece = _pgp_key(rng.randrange(5_000, 90_000), rng.randrange(1000))
        else:
            piece = rng.choice(samples) + "\n" + "text " * rng.randrange(1, 400) + "\n"
        pieces.append(piece)
        size += len(piece)
    text = "".join(pieces)
    engine = default_engine()
    chunked = engine.scan(text)
    monkeypatch.setattr(_engine, "CHUNK", 1 << 30)
    whole = engine.scan(text)

    def spans(matches: list[DlpMatch]) -> list[tuple[str, int, int]]:
        return [(m.rule, m.start, m.end) for m in matches]

    assert spans(chunked) == spans(whole)


def _token_body(size: int, seed: int) -> str:
    """Token characters that make no dummy word (each has a vowel or a y) and no run of one
    character: a token of them is plausible however long."""
    rng = random.Random(seed)  # noqa: S311 (test data)
    alphabet = "0123456789BCDFGHJKLMNPQRSTVWXZ"
    return "".join("".join(rng.sample(alphabet, len(alphabet))) for _ in range(size // len(alphabet) + 1))[
        :size
    ]


@pytest.mark.parametrize(
    "layout", ["one key over all", "a key over every chunk end", "a refused token over all"]
)
def test_completing_matches_past_chunk_ends_stays_linear(layout: str) -> None:
    """Each match completed past a chunk's end is searched again from its start on the rest of
    the text; a rule never searches the same text again, so the cost grows with the text. A
    token whose body holds its own prefix just past every chunk's start, refused as a whole
    (a dummy word at its end), was searched again from every chunk to the end of the text
    (a draft of this fix): quadratic."""

    def text_of(chunks: int) -> str:
        if layout == "one key over all":
            return _pgp_key(chunks * CHUNK * 3 // 4, 1)
        if layout == "a key over every chunk end":
            key = _pgp_key(CHUNK // 2, 2)
            return "".join(_at(CHUNK - len(key) // 2) + key for _ in range(chunks))
        # Each chunk's first match starts past the previous chunk's end.
        body = _token_body(CHUNK, 3)
        inside = OVERLAP + 1000
        return (
            "ops_eyJ"
            + "".join(body[:inside] + "-ops_eyJ" + body[inside + 8 :] for _ in range(chunks))
            + "-example"
        )

    # Four times the text: about four times the time (searching again from each chunk to the
    # end: twelve times).
    engine = default_engine()
    small, large = text_of(2), text_of(8)
    assert (
        costs_superlinear(
            lambda: cpu_cost(engine.scan, small), lambda: cpu_cost(engine.scan, large), factor=7, slack=0.2
        )
        is None
    )
