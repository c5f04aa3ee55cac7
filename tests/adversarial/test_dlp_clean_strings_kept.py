"""The DLP engine's memory of short strings it found clean, attacked.

Since 2026-12-05 ``Engine.scan_many`` (every JSON message the gateway reads) keeps short
strings (64 characters at most) it found to hold nothing, and does not search them again: the
member names every message repeats (``structuredContent``, ``additionalProperties``) read as
runs of base64 and took 25 us each to rule out. What an attacker could try: a secret that is
found once and then passes because its string was remembered (only clean strings are kept, by
their whole text); a flood of distinct short strings to grow the gateway's memory (a bounded
number is kept); a secret value kept in memory after its message (none is: only clean strings).
"""

from __future__ import annotations

import random
import string

from mcpward.dlp._engine import Engine
from mcpward.dlp.policy import DlpPolicy


def _token(prefix: str, length: int, seed: int) -> str:
    chooser = random.Random(seed)  # noqa: S311 - a made-up token in the issuer's format, seeded
    return prefix + "".join(chooser.choice(string.ascii_letters + string.digits) for _ in range(length))


GITHUB = _token("ghp_", 36, 5)


def _kinds(engine: Engine, texts: list[str]) -> list[tuple[int, str]]:
    return [(index, match.rule) for index, match in engine.scan_many(texts)]


def test_a_secret_is_found_every_time_its_string_comes_again() -> None:
    engine = DlpPolicy().engine
    message = ["structuredContent", "result", GITHUB, "additionalProperties", f"token {GITHUB}"]
    first = _kinds(engine, message)
    assert {index for index, _ in first} == {2, 4}
    for _ in range(3):  # the clean names now come from memory; the secrets are searched again
        assert _kinds(engine, message) == first
        assert _kinds(engine, list(reversed(message))) == [
            (4 - index, rule) for index, rule in reversed(first)
        ]
    # a string that differs from a remembered clean one by a character is a new string
    near = "structuredContent" + GITHUB[:-1]
    assert _kinds(engine, ["structuredContent", near[:64]]) == _kinds(
        Engine(), ["structuredContent", near[:64]]
    )


def test_the_memory_keeps_no_secret_and_stays_bounded() -> None:
    engine = DlpPolicy().engine
    chooser = random.Random(20261205)  # noqa: S311 - reproducible strings, not secrets
    for round_number in range(30):
        batch = ["".join(chooser.choice(string.ascii_letters) for _ in range(60)) for _ in range(1000)]
        batch.append(f"key{round_number} {GITHUB}")
        assert [index for index, _ in engine.scan_many(batch)] == [1000]
    kept = engine._clean  # the memory itself is what is attacked
    assert 0 < len(kept) <= 4096
    assert not any(GITHUB in text for text in kept)
    # and what it gives is what a fresh engine gives
    sample = [*list(kept)[:50], GITHUB, "structuredContent"]
    assert _kinds(engine, sample) == _kinds(Engine(), sample)
