"""The DLP engine's memory of short member names it found clean, attacked.

Since 2026-12-05 ``Engine.scan_many`` (every JSON message the gateway reads, through
``DlpPolicy.scan_json``) remembers short member names (64 characters at most) it found to hold
nothing, and does not search them again: the names every message repeats
(``structuredContent``, ``additionalProperties``) read as runs of base64 and took 25 us each to
rule out. What an attacker could try: a secret that is found once and then passes because its
string was remembered (only clean strings are kept, by their whole text, so a secret is searched
for every time, as a name or as a value); a flood of distinct names to grow the gateway's memory
(a bounded number is kept); a value kept in memory after its message (a password no rule knows:
values are never kept, names only).
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


def _found(policy: DlpPolicy, value: object) -> list[tuple[str | None, str]]:
    return [(match.path, match.rule) for match in policy.scan_json(value)]


def test_a_secret_is_found_every_time_its_string_comes_again() -> None:
    policy = DlpPolicy()
    message = {
        "structuredContent": {"result": "ok", GITHUB: "a key as a name", "additionalProperties": False},
        "note": f"token {GITHUB}",
        "again": GITHUB,
    }
    first = _found(policy, message)
    assert len(first) == 3
    for _ in range(3):  # the clean names now come from memory; the secrets are searched again
        assert _found(policy, message) == first
    # a string one character off a remembered clean name is a new string
    near = {"structuredContent" + GITHUB[:40]: 1}
    assert _found(policy, near) == _found(DlpPolicy(), near)


def test_the_memory_keeps_no_value_and_no_secret_and_stays_bounded() -> None:
    policy = DlpPolicy()
    engine = policy.engine
    chooser = random.Random(20261205)  # noqa: S311 - reproducible strings, not secrets
    password = "Tr0ub4dor&3-horse"  # a value no rule knows
    for round_number in range(30):
        names = ["".join(chooser.choice(string.ascii_letters) for _ in range(60)) for _ in range(500)]
        value = {name: password for name in names}
        value[f"k{round_number} {GITHUB}"] = "x"
        assert [path for path, _ in _found(policy, value)] == [f"$['k{round_number} {GITHUB}'](key)"]
    kept = engine._clean  # the memory itself is what is attacked
    assert 0 < len(kept) <= 4096
    assert password not in kept
    assert not any(GITHUB in text for text in kept)
    # and what it gives is what a fresh engine gives
    sample = [*list(kept)[:50], GITHUB, "structuredContent", password]
    assert [(i, m.rule) for i, m in engine.scan_many(sample)] == [
        (i, m.rule) for i, m in Engine().scan_many(sample)
    ]
