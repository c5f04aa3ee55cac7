"""A small learned scorer of tool texts, beside the rules.

Rules miss plainly worded harmful intent ("Execute commands on a remote host"). This is a
logistic regression over word and word-pair features of what a model reads of a tool (its
name, description and parameter names), trained offline by ``bench/train_scorer.py`` on data
the project may ship; its weights are a JSON file in the package. Scoring is a few dictionary
look-ups per tool: no model download, no GPU, microseconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from functools import cache

from mcpward._regex import compiled
from mcpward.inspect._logistic import LogisticModel, load_model
from mcpward.inspect._logistic import train as fit

_CAMEL = compiled(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = compiled(r"[a-z0-9]+")
WEIGHTS_FILE = "scorer_weights.json"


def features(texts: Iterable[str]) -> list[str]:
    """Words and adjacent word pairs ("read file") of the texts, lower-cased, identifiers split.
    A word holds no space, a pair one, so the two kinds never collide."""
    found: list[str] = []
    for text in texts:
        words = _WORD.findall(_CAMEL.sub(" ", text).replace("_", " ").lower())
        found.extend(words)
        found.extend(map(" ".join, itertools.pairwise(words)))
    return found


#: The learned scorer (``probability`` and ``top_features`` of a tool's features).
Scorer = LogisticModel


@cache
def shipped_scorer() -> Scorer | None:
    """The scorer trained for this release, or None when the package carries no weights."""
    return load_model("mcpward.inspect", WEIGHTS_FILE)


def train(
    examples: list[tuple[list[str], int]], *, epochs: int = 30, rate: float = 0.2, l2: float = 1e-4
) -> tuple[dict[str, float], float]:
    """Logistic regression by stochastic gradient descent, deterministic (fixed order)."""
    pairs: list[tuple[Collection[str], int]] = [(features, label) for features, label in examples]
    return fit(pairs, epochs=epochs, rate=rate, decay=0.1, l2=l2, digits=5, smallest=1e-3)
