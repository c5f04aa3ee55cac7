"""Logistic regression over sets of string features: the one model behind inspect's learned
scorer of tool texts and the classifier of untrusted content.

Weights are a JSON file in the package (trained offline by a script in ``bench/`` on data the
project may ship); scoring is dictionary look-ups, so no model download and no GPU.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True, slots=True)
class LogisticModel:
    weights: dict[str, float]
    bias: float
    #: The probability from which a text is flagged (chosen on benign data not trained on).
    threshold: float

    def logit(self, features: Iterable[str]) -> float:
        """``features`` each counted once (a set; any other collection is made one)."""
        unique = features if isinstance(features, set | frozenset) else set(features)
        # map over dict.get keeps the look-ups in C: a third of the time of a generator.
        return self.bias + sum(map(self.weights.get, unique, itertools.repeat(0.0)))

    def may_reach_threshold(self, features: Iterable[str]) -> bool:
        """Whether a set of some of ``features`` could score at the threshold or above: the
        bias and every positive weight among them (a margin for the sums' rounding)."""
        unique = features if isinstance(features, set | frozenset) else set(features)
        weights = map(self.weights.get, unique, itertools.repeat(0.0))
        positive = sum(weight for weight in weights if weight > 0)
        return _sigmoid(self.bias + positive + 1e-9) >= self.threshold

    def probability(self, features: Iterable[str]) -> float:
        return _sigmoid(self.logit(features))

    def top_features(self, features: Iterable[str], count: int = 3) -> list[str]:
        """The features that weigh most toward a positive, strongest first."""
        return sorted({f for f in features if self.weights.get(f, 0.0) > 0}, key=lambda f: -self.weights[f])[
            :count
        ]

    def strongest(self, features: Iterable[str]) -> str | None:
        """The one feature that weighs most toward a positive (the first met of equals)."""
        best = max(features, key=lambda f: self.weights.get(f, 0.0), default=None)
        return best if best is not None and self.weights.get(best, 0.0) > 0 else None


def load_model(package: str, file: str) -> LogisticModel | None:
    """The model whose weights ``package`` carries as ``file``, or None without them."""
    try:
        data = json.loads(resources.files(package).joinpath(file).read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return LogisticModel(
        weights={str(k): float(v) for k, v in data["weights"].items()},
        bias=float(data["bias"]),
        threshold=float(data["threshold"]),
    )


def save_model(model: LogisticModel, path: Path, about: str) -> None:
    """Write ``model`` as ``load_model`` reads it (weights sorted, so a retrained file diffs)."""
    document = {
        "about": about,
        "bias": model.bias,
        "threshold": model.threshold,
        "weights": dict(sorted(model.weights.items())),
    }
    path.write_text(json.dumps(document, indent=0) + "\n")


def train(
    examples: list[tuple[Collection[str], int]],
    *,
    epochs: int,
    rate: float = 0.2,
    decay: float,
    l2: float = 1e-4,
    digits: int,
    smallest: float,
) -> tuple[dict[str, float], float]:
    """Stochastic gradient descent, the classes balanced, in a fixed order (reproducible). The
    step is ``rate / (1 + epoch * decay)``; weights are kept rounded to ``digits`` and only
    where at least ``smallest`` in size."""
    weights: dict[str, float] = {}
    bias = 0.0
    positives = sum(label for _, label in examples) or 1
    negatives = (len(examples) - positives) or 1
    class_weight = {1: len(examples) / (2 * positives), 0: len(examples) / (2 * negatives)}
    for epoch in range(epochs):
        step = rate / (1 + epoch * decay)
        for index in _order(len(examples), epoch):
            features, label = examples[index]
            unique = features if isinstance(features, set | frozenset) else set(features)
            gradient = (_sigmoid(bias + sum(map(weights.get, unique, itertools.repeat(0.0)))) - label) * (
                class_weight[label]
            )
            bias -= step * gradient
            for feature in unique:
                value = weights.get(feature, 0.0)
                weights[feature] = value - step * (gradient + l2 * value)
    return {k: round(v, digits) for k, v in weights.items() if abs(v) >= smallest}, round(bias, digits)


def _sigmoid(total: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))


def _order(size: int, epoch: int) -> list[int]:
    """A fixed permutation per epoch (a linear congruential shuffle): reproducible training."""
    multiplier = 7919 + 2 * epoch
    while math.gcd(multiplier, size) != 1:
        multiplier += 2
    return [(i * multiplier + epoch) % size for i in range(size)]
