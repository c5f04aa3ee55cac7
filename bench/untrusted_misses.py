"""Why the result check misses what it misses, left out (issue 21).

    python bench/untrusted_misses.py [--corpora DIR] [--cache FILE] [--show-development GROUP]

For every injection text the left-out run (``train_untrusted.leave_one_source_out``'s procedure)
misses: (a) no rule signal fired in any window, so the classifier never saw it, or (b) a signal
fired and the classifier's score of its worst window stayed under its fold's threshold (with how
far under, as a logit). Counts per source, and per half (``rule_half``) for the sources of
``HELD_OUT_FOR_RULES``. ``--show-development GROUP`` prints the misses of that source's
development half (for a source not split, nothing): a test half's texts are never printed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from train_untrusted import Prepared, _signalled, fit, flagged, prepare, score, split  # noqa: E402
from untrusted_corpus import DEFAULT_CORPORA, HELD_OUT_FOR_RULES, load, rule_half  # noqa: E402


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def diagnose(prepared: list[Prepared]) -> list[dict]:
    rows = []
    for group in sorted({p.example.group for p in prepared if p.example.label}):
        model = fit(*split(prepared, group))
        for p in prepared:
            if p.example.group != group:
                continue
            signalled = any(_signalled(f) for f in p.windows)
            rows.append(
                {
                    "group": group,
                    "half": rule_half(p.example.text) if group in HELD_OUT_FOR_RULES else "",
                    "flagged": flagged(model, p),
                    "rules": p.rules_flag,
                    "signalled": signalled,
                    "gap": _logit(model.threshold) - _logit(score(model, p)) if signalled else None,
                    "text": p.example.text if rule_half(p.example.text) == "development" else None,
                }
            )
        print(f"  {group}: threshold {model.threshold}", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--cache", type=Path, help="keep the verdicts here and read them from it later")
    parser.add_argument("--show-development", default="", help="print this split source's development misses")
    args = parser.parse_args()
    if args.cache and args.cache.exists():
        rows = json.loads(args.cache.read_text())
    else:
        examples = [e for e in load(args.corpora) if e.role != "authored"]
        rows = diagnose(prepare(examples))
        if args.cache:
            args.cache.write_text(json.dumps(rows))
    print("| source | half | rows | missed | (a) no signal | (b) under threshold | (b) within 2 logits |")
    print("|---|---|---|---|---|---|---|")
    keys = sorted({(r["group"], r["half"]) for r in rows})
    for key in keys:
        mine = [r for r in rows if (r["group"], r["half"]) == key]
        missed = [r for r in mine if not r["flagged"]]
        count = Counter("b" if r["signalled"] else "a" for r in missed)
        near = sum(1 for r in missed if r["signalled"] and r["gap"] is not None and r["gap"] < 2)
        cells = [key[0], key[1] or "whole", len(mine), len(missed), count["a"], count["b"], near]
        print("| " + " | ".join(map(str, cells)) + " |")
    if args.show_development:
        for r in rows:
            if r["group"] == args.show_development and r["half"] == "development" and not r["flagged"]:
                kind = "no signal" if not r["signalled"] else f"under by {r['gap']:.2f}"
                print(f"\n--- ({kind})\n{r['text'][:1500]}")


if __name__ == "__main__":
    main()
