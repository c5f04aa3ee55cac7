"""How well the check of tool results finds injected instructions on sources it was not built on.

    python bench/untrusted_generalisation.py [--corpora DIR] [--last-layer /tmp/peer-ll/bin/python]
        [--authored injections,benign] [--no-extra]

Leave one source out: for every source (an upstream project's injection set, including those of
``bench/data/extra_injections.jsonl``, or a benign set),
the learned classifier is trained on every other source, its threshold chosen on benign data
never trained on (the calibration share of the project's own benign results corpus), and it is
measured on the source left out. The rules are fixed (not trained); they are counted with the
classifier, as the gateway runs them. Sets that are never trained on (the measured share of the
benign results corpus, the benign user prompts) are scored by the model trained on every source.

The rules are written after reading sources' misses, so for them a left-out figure is an
in-corpus one. The sources of ``HELD_OUT_FOR_RULES`` (deepset's, and from the evening of
2026-12-06 seven more, whose misses had been read whole before) are split by ``rule_half`` (the
sha256 of the text, even: development, odd: test) and shown again as two rows: the development
half's misses may be read to write rules, the test half's texts never are (its row is the rules'
held-out figure). Both halves are left out together for the classifier.

Beside it, in the same run: the gateway's result check before this detector (inspect's
description detectors on the joined texts, as ``gateway/_interceptors/dlp.py`` ran them) and
the offline peer last_layer (``python3 -m venv /tmp/peer-ll && /tmp/peer-ll/bin/pip install
last_layer``), read two ways: flagged when it sets any marker, and when its injection classifier
(ExploitClassifier) fires, given with ``--last-layer``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from untrusted_corpus import (  # noqa: E402
    DEFAULT_CORPORA,
    HELD_OUT_FOR_RULES,
    Example,
    extra_groups,
    load,
    rule_half,
)

_PEER = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import last_layer
texts = json.load(sys.stdin)
started = time.perf_counter()
markers = [sorted(last_layer.scan_prompt(t).markers) for t in texts]
print(json.dumps({"markers": markers, "seconds": time.perf_counter() - started}))
"""


def gateway_before(texts: list[str]) -> list[bool]:
    """The result check of the gateway up to this detector: the description detectors of the
    tool-poisoning and invisible-text categories, not the learned one, on the text."""
    from mcpward.inspect._detectors import all_detectors
    from mcpward.inspect._surface import tool_item
    from mcpward.inspect.interface import InspectionContext
    from mcpward.model import Category

    wanted = {Category.TOOL_POISONING, Category.INVISIBLE_TEXT}
    detectors = [d for d in all_detectors() if not d.learned and d.category in wanted]
    flags = []
    for text in texts:
        item = tool_item("server", {"name": "tool", "description": text})
        context = InspectionContext({})
        flags.append(any(hit.category in wanted for d in detectors for hit in d.detect(item, context)))
    return flags


def last_layer(python: str, texts: list[str]) -> tuple[list[list[str]], float]:
    """The markers last_layer sets on each text, and its time."""
    done = subprocess.run(
        [python, "-c", _PEER], input=json.dumps(texts), capture_output=True, text=True, check=True
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["markers"], answer["seconds"]


def timed(check: Callable[[list[str]], list[bool]], texts: list[str]) -> tuple[list[bool], float]:
    started = time.perf_counter()
    flags = check(texts)
    return flags, time.perf_counter() - started


def table(examples: list[Example], columns: dict[str, list[bool]]) -> list[str]:
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        groups[(example.label, example.group)].append(index)
    lines = ["| source | rows | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for label in (1, 0):
        flagged_total = dict.fromkeys(columns, 0)
        rows_total = 0
        for (kind, group), indices in sorted(groups.items()):
            if kind != label:
                continue
            cells = []
            for name, flags in columns.items():
                hits = sum(flags[i] for i in indices)
                flagged_total[name] += hits
                cells.append(f"{hits / len(indices):.1%}")
            rows_total += len(indices)
            what = "detected" if label else "flagged (false positives)"
            lines.append(f"| {group} ({what}) | {len(indices)} | " + " | ".join(cells) + " |")
            if group in HELD_OUT_FOR_RULES:
                lines.extend(_halves(group, [examples[i] for i in indices], indices, columns))
        if label:
            lines.extend(_without_extra(examples, columns))
        title = "all injection sets, detected" if label else "all benign sets, flagged"
        lines.append(
            f"| **{title}** | {rows_total} | "
            + " | ".join(f"**{flagged_total[n] / rows_total:.1%}**" for n in columns)
            + " |"
        )
    return lines


def _halves(
    group: str, chosen: list[Example], indices: list[int], columns: dict[str, list[bool]]
) -> list[str]:
    """The source's rows again, by its halves for the rules (``rule_half``): the development
    half's misses were read to write rules, the test half's texts never were, so its figure is
    the rules' held-out one. Figures only: no text of either half is printed here."""
    lines = []
    said_of = {"development": "development half (read)", "test": "test half (not read for rules)"}
    for half, said in said_of.items():
        mine = [i for e, i in zip(chosen, indices, strict=True) if rule_half(e.text) == half]
        cells = " | ".join(f"{sum(flags[i] for i in mine) / len(mine):.1%}" for flags in columns.values())
        lines.append(f"| {group}, {said} | {len(mine)} | {cells} |")
    return lines


def _without_extra(examples: list[Example], columns: dict[str, list[bool]]) -> list[str]:
    """The injection sets' total without those of ``bench/data/extra_injections.jsonl``: the
    figure comparable with the aim's before they came (667 texts)."""
    extra = extra_groups()
    chosen = [i for i, e in enumerate(examples) if e.label and e.group not in extra]
    if not extra or len(chosen) == sum(e.label for e in examples):
        return []
    cells = " | ".join(f"{sum(flags[i] for i in chosen) / len(chosen):.1%}" for flags in columns.values())
    return [f"| all injection sets but the extra ones (extra_injections.jsonl) | {len(chosen)} | {cells} |"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--last-layer", help="python of a venv with last_layer installed")
    parser.add_argument(
        "--only-before", action="store_true", help="the gateway's old check and the peer only"
    )
    parser.add_argument(
        "--authored",
        default="",
        help="train on these of the sets written for mcpward too (comma-separated: injections, benign)",
    )
    parser.add_argument(
        "--no-extra",
        action="store_true",
        help="without the injection sets of bench/data/extra_injections.jsonl",
    )
    args = parser.parse_args()
    examples = load(
        args.corpora, authored=tuple(filter(None, args.authored.split(","))), extra=not args.no_extra
    )
    # The authored sets are trained on, never measured.
    measured = [i for i, e in enumerate(examples) if e.role != "authored"]
    texts = [examples[i].text for i in measured]
    kilobytes = sum(len(t.encode()) for t in texts) / 1024
    columns: dict[str, list[bool]] = {}
    costs: dict[str, float] = {}
    columns["gateway before"], costs["gateway before"] = timed(gateway_before, texts)
    if args.last_layer:
        markers, costs["last_layer 0.1.33"] = last_layer(args.last_layer, texts)
        # Any marker (it also marks PII, secrets, code, mixed languages) and its injection
        # classifier alone: the narrower reading is the fairer comparison for this task.
        columns["last_layer, any marker"] = [bool(m) for m in markers]
        columns["last_layer, ExploitClassifier"] = ["ExploitClassifier" in m for m in markers]
    if not args.only_before:
        from train_untrusted import leave_one_source_out, rules_only

        columns["rules alone"], costs["rules alone"] = timed(rules_only, texts)
        left_out = leave_one_source_out(examples)
        columns["rules + classifier, left out"] = [left_out[i] for i in measured]
    examples = [examples[i] for i in measured]
    print(f"{len(examples)} texts, {kilobytes:.0f} KB; left-out figures unless the column says otherwise\n")
    print("\n".join(table(examples, columns)))
    print()
    for name, seconds in costs.items():
        print(f"cost of {name}: {seconds / kilobytes * 1e6:.0f} us per KB of text (one core, whole corpus)")


if __name__ == "__main__":
    main()
