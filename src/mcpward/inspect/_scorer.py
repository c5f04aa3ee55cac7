"""A small learned scorer of tool texts, beside the rules.

Rules miss plainly worded harmful intent ("Execute commands on a remote host"). This is a
logistic regression over word and word-pair features of what a model reads of a tool (its
name, description and parameter names), trained offline by ``bench/train_scorer.py`` on data
the project may ship; its weights are a JSON file in the package. Scoring is a few dictionary
look-ups per tool: no model download, no GPU, microseconds.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")
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


@dataclass(frozen=True, slots=True)
class Scorer:
    weights: dict[str, float]
    bias: float
    threshold: float

    def probability(self, feature_list: list[str]) -> float:
        unique = set(feature_list)
        # map over dict.get keeps the look-ups in C: a third of the time of a generator.
        total = self.bias + sum(map(self.weights.get, unique, itertools.repeat(0.0)))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))

    def top_features(self, feature_list: list[str], count: int = 3) -> list[str]:
        scored = sorted(
            {f for f in feature_list if self.weights.get(f, 0.0) > 0}, key=lambda f: -self.weights[f]
        )
        return scored[:count]


@cache
def shipped_scorer() -> Scorer | None:
    """The scorer trained for this release, or None when the package carries no weights."""
    try:
        data = json.loads(resources.files("mcpward.inspect").joinpath(WEIGHTS_FILE).read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return Scorer(
        weights={str(k): float(v) for k, v in data["weights"].items()},
        bias=float(data["bias"]),
        threshold=float(data["threshold"]),
    )


def train(
    examples: list[tuple[list[str], int]], *, epochs: int = 30, rate: float = 0.2, l2: float = 1e-4
) -> tuple[dict[str, float], float]:
    """Logistic regression by stochastic gradient descent, deterministic (fixed order)."""
    weights: dict[str, float] = {}
    bias = 0.0
    positives = sum(label for _, label in examples) or 1
    negatives = (len(examples) - positives) or 1
    # Balance the classes so that neither dominates the loss.
    class_weight = {1: len(examples) / (2 * positives), 0: len(examples) / (2 * negatives)}
    for epoch in range(epochs):
        step = rate / (1 + epoch * 0.1)
        for index in _order(len(examples), epoch):
            feature_list, label = examples[index]
            unique = set(feature_list)
            total = bias + sum(weights.get(f, 0.0) for f in unique)
            prediction = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))
            gradient = (prediction - label) * class_weight[label]
            bias -= step * gradient
            for feature in unique:
                value = weights.get(feature, 0.0)
                weights[feature] = value - step * (gradient + l2 * value)
    return {k: round(v, 5) for k, v in weights.items() if abs(v) >= 1e-3}, round(bias, 5)


def _order(size: int, epoch: int) -> list[int]:
    """A fixed permutation per epoch (a linear congruential shuffle): reproducible training."""
    multiplier = 7919 + 2 * epoch
    while math.gcd(multiplier, size) != 1:
        multiplier += 2
    return [(i * multiplier + epoch) % size for i in range(size)]
