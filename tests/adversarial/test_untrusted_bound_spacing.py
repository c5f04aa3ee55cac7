"""An order spaced out to slip past the result check's native bound.

The check spares the classifier's windows for a text whose whole-text bound (every positive
word, opening verb and adjacent pair of words the model weighs) stays under the threshold. Since
2026-12-05 that bound is first taken from one native pass over the text with every character
but a letter or digit made a space, pairs of words found with a gap of at most four separators
(``_check._BoundIndex``). An attacker who knows this writes the order's words apart: runs of
spaces, tabs or newlines, a dash line, quotes around each word, underscores between them,
capitals. A bound that misses a pair so spaced would put a text the classifier flags under the
threshold, and the order would pass unread. Longer runs are shortened before the pass; here the
check must give exactly the findings it gives without the native bound, on texts made of the
model's own strongest words and pairs, both flagged and clean ones.
"""

from __future__ import annotations

import random

import pytest

from mcpward._multimatch import NativeBuild
from mcpward.inspect._untrusted import _check
from mcpward.inspect._untrusted._learned import shipped_classifier

pytestmark = pytest.mark.skipif(shipped_classifier() is None, reason="the package carries no classifier")

#: What stands between two words of the order.
GAPS = [
    " " * 5,
    " " * 9,
    " " * 40,
    "\t\t\t\t\t\t",
    "\n\n\n\n\n\n\n",
    " - - - ",
    "' '",
    "'''",
    "_",
    "__",
    ".....",
    " ;  ;  ; ",
]
FILLER = ["report", "quarter", "numbers", "lunch", "deploy", "cache", "budget", "team", "Weather", "12"]


def _findings(text: str) -> list[tuple[str, str, int, int]]:
    return [(hit.family, hit.rule, hit.start, hit.end) for hit in _check.check_text(text)]


def _spaced_orders(count: int) -> list[str]:
    model = shipped_classifier()
    assert model is not None
    strongest = sorted(
        (feature for feature, weight in model.weights.items() if weight > 0.5 and ":" not in feature),
        key=lambda feature: -model.weights[feature],
    )[:80]
    openers = [f.removeprefix("open:") for f, w in model.weights.items() if f.startswith("open:") and w > 0.5]
    openers = [verb for verb in openers if verb not in ("text-start", "after-text")]
    chooser = random.Random(51226)  # noqa: S311 (reproducible texts, not secrets)
    texts = []
    for _ in range(count):
        words: list[str] = [chooser.choice(openers).capitalize()] if chooser.random() < 0.5 else []
        for _ in range(chooser.randint(4, 40)):
            words += chooser.choice(strongest).split() if chooser.random() < 0.6 else [chooser.choice(FILLER)]
        words = [word.upper() if chooser.random() < 0.15 else word for word in words]
        gap = chooser.choice(GAPS)
        text = "".join(word + (gap if chooser.random() < 0.7 else " ") for word in words).strip() + "."
        texts.append(chooser.choice(["", "Notes from the sync.\n\n", "     "]) + text)
    return texts


def test_spaced_orders_get_the_findings_they_get_without_the_native_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = NativeBuild(_check._bound_database, "test-bound")
    if index.prepare() is None:
        pytest.skip("no native matcher here (Hyperscan): the check has only its exact bound")
    texts = _spaced_orders(400)
    monkeypatch.setattr(_check, "BOUND_INDEX", NativeBuild(lambda compile_missing: None, "no-bound"))
    expected = [_findings(text) for text in texts]
    flagged = sum(any(rule.startswith("learned") for _, rule, *_ in found) for found in expected)
    assert flagged > 40 and len(texts) - flagged > 40  # the classifier's both sides

    monkeypatch.setattr(_check, "BOUND_INDEX", index)
    assert [_findings(text) for text in texts] == expected


def test_the_native_bound_finds_every_pair_however_far_apart() -> None:
    index = _check._bound_database(True)
    if index is None:
        pytest.skip("no native matcher here (Hyperscan)")
    model = shipped_classifier()
    assert model is not None
    pairs = sorted(f for f, w in model.weights.items() if w > 0 and " " in f and not f.startswith("rule:"))
    assert pairs
    for gap in [*GAPS, " " * 1000, "' " * 50, "-" * 4097]:
        for pair in pairs:
            first, second = pair.split(" ")
            text = f"Dear team,{gap}{first}{gap}{second.upper()}{gap}regards"
            assert pair in index.features(text.lower().encode(), opening=False), (gap, pair)
