"""An operator's allow-list paths against the paths of DLP matches, which the attacker makes:
a key of a tool's arguments or result is part of the path. Written as an expression, a path
with two wildcards of names (``**.a.**.b``, ``*_*``) backtracked as the square of the path (a
key of 8,000 characters took 0.06 s per match, a megabyte minutes); such paths are now stepped
through once per character, and must still allow exactly what the expression allowed."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest
from linear_time import superlinear

from mcpward.dlp.policy import Allow


def _expression(path: str) -> re.Pattern[str]:
    """What an allow path meant as first written (the reference the new matcher must agree with)."""
    escaped = re.escape(path)
    return re.compile(
        escaped.replace(r"\[\*\]", r"\[\d+\]").replace(r"\*\*", ".*").replace(r"\*", r"[^.\[]*")
    )


@pytest.mark.parametrize(
    ("pattern", "hostile"),
    [
        ("$.**.token.**.secret", lambda n: "$." + "token." * (n // 6) + "x"),
        ("$.params.arguments.**.*_id", lambda n: "$.params.arguments." + "a_" * (n // 2) + "."),
        ("$.result.*_*_*", lambda n: "$.result." + "_" * n + "["),
        ("**[*].**[*]", lambda n: "[1]" * (n // 3) + "["),
    ],
    ids=["two any-runs", "an any-run and a name", "three names", "indexes among any-runs"],
)
def test_allow_paths_cost_linear_time_on_hostile_paths(pattern: str, hostile: Callable[[int], str]) -> None:
    allow = Allow(paths=(pattern,))
    assert superlinear(lambda path: allow.allows("v", path), hostile(4_000), hostile(16_000)) is None


def test_allow_paths_allow_what_the_expression_allowed() -> None:
    rng = random.Random(2026)  # noqa: S311 (test data)
    pieces = ["a", "b", ".", "[*]", "*", "**", "[", "]", "$", "1"]
    characters = ["a", "b", ".", "[", "]", "1", "2", "\n", "$", "\u0663", "ab", "a.b"]
    for _ in range(400):
        pattern = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 7)))
        allow, reference = Allow(paths=(pattern,)), _expression(pattern)
        for _ in range(10):
            path = "".join(rng.choice(characters) for _ in range(rng.randint(0, 12)))
            assert allow.allows("v", path) == bool(reference.fullmatch(path)), (pattern, path)


@pytest.mark.parametrize(
    ("pattern", "path", "allowed"),
    [
        ("$.**.to.**.cc", "$.params.arguments.to.list[0].cc", True),
        ("$.**.to.**.cc", "$.params.arguments.to.list[0].bcc", False),
        ("$.params.*_*.email", "$.params.billing_contact.email", True),
        ("$.params.*_*.email", "$.params.billing.contact_email", False),
        ("**[*].**[*]", "$.items[3].tags[12]", True),
        ("**[*].**[*]", "$.items[3].tags[x]", False),
        ("$.**.note.**", "$.a\n.note.b", False),  # an any-run stops at a line break, as "." did
    ],
)
def test_allow_paths_with_many_wildcards(pattern: str, path: str, allowed: bool) -> None:
    assert Allow(paths=(pattern,)).allows("v", path) is allowed
