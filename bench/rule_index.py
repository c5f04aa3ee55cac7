"""The injection check's native rule index: the expressions it ships against the rules' own
regexes (the index before ``index_expression``), in one run.

    python bench/rule_index.py [--rounds 5] [--skip-equality]

1. Equality: ``check_text`` with either index over every string of every row (and every row
   as JSON) of the shared corpora and ``bench/data/*.jsonl``; the hits (family, severity, start,
   end, evidence, rule) must be identical. It also checks, for every text, that each rule whose
   Python regex matches is among those the new index fires, and counts the (text, rule) pairs
   it fires beyond the old one. Exit status 1 on any difference.
2. Cost: CPU of ``check_text`` per text over the benign corpora and the 4.2 KB e-mail prose of
   ``bench/gateway_overhead.py``, the two indexes alternating (best of ``--rounds``), and the
   native scan alone on that prose.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from gateway_overhead import TEXT  # noqa: E402
from mcpward._documents import string_values  # noqa: E402
from mcpward._multimatch import MultiMatcher  # noqa: E402
from mcpward.inspect._untrusted import _check  # noqa: E402
from mcpward.inspect._untrusted._rules import RULES  # noqa: E402

#: ``../shared/corpora`` beside the checkout (or two levels up, from a worktree).
CORPORA = next(
    (
        path
        for path in (ROOT.parent / "shared" / "corpora", ROOT.parents[1] / "shared" / "corpora")
        if path.is_dir()
    ),
    ROOT.parent / "shared" / "corpora",
)


class _Fixed:
    """Stands in for ``_check.RULE_INDEX``: always this matcher."""

    def __init__(self, matcher: MultiMatcher) -> None:
        self.matcher = matcher

    def from_cache(self) -> MultiMatcher:
        return self.matcher


def _old_index() -> MultiMatcher:
    """The index as it was: every rule's own regex in prefilter mode."""
    expressions = ["[\\x1c-\\x1f]", *(rule.regex.pattern for rule in RULES)]
    caseless = [False, *(rule.cased for rule in RULES)]
    return MultiMatcher(expressions, caseless, dotall=True, prefilter=True)


def _new_index() -> MultiMatcher:
    matcher = _check._rule_database(True)
    assert matcher is not None, "no native index (Hyperscan missing?)"
    return matcher


def _rows(path: Path) -> list[Any]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    data = json.loads(path.read_text("utf-8"))
    return data if isinstance(data, list) else [data]


def every_text() -> list[str]:
    """Every string of every row, and every row as JSON, of every corpus file (once each)."""
    seen: dict[str, None] = {}
    paths = sorted(CORPORA.glob("*.json*")) + sorted((ROOT / "bench" / "data").glob("*.jsonl"))
    for path in paths:
        for row in _rows(path):
            for text in string_values(row):
                seen.setdefault(text)
            if isinstance(row, dict | list):
                seen.setdefault(json.dumps(row, ensure_ascii=False))
    seen.setdefault(TEXT)
    return list(seen)


def benign_sets() -> dict[str, list[str]]:
    def field(path: Path, name: str) -> list[str]:
        return [row[name] for row in _rows(path) if isinstance(row.get(name), str) and row[name]]

    return {
        "tool results": field(CORPORA / "tool_results_benign.jsonl", "text"),
        "benign_results": field(ROOT / "bench" / "data" / "benign_results.jsonl", "text"),
        "NotInject": field(CORPORA / "prompts_notinject_benign.jsonl", "text"),
        "tool descriptions": field(CORPORA / "tool_descriptions_benign_servers.jsonl", "description")
        + field(CORPORA / "tool_descriptions_docker_registry_benign.jsonl", "description"),
        "4.2 KB prose": [TEXT],
    }


def _use(matcher: MultiMatcher) -> None:
    _check.RULE_INDEX = _Fixed(matcher)  # type: ignore[assignment]


def _hits(text: str) -> list[tuple[str, str, int, int, str, str]]:
    return [
        (hit.family, hit.severity.value, hit.start, hit.end, hit.evidence, hit.rule)
        for hit in _check.check_text(text)
    ]


def equality(old: MultiMatcher, new: MultiMatcher) -> bool:
    texts = every_text()
    differ = missed = extra = fired_old = 0
    extra_by_rule: dict[str, int] = {}
    for text in texts:
        _use(old)
        before = _hits(text)
        _use(new)
        after = _hits(text)
        if before != after:
            differ += 1
            if differ <= 5:
                print(f"DIFFERS: {text[:80]!r}\n  before {before}\n  now    {after}")
        lowered = _check.lowered_in_place(_check._folded(text[: _check.LIMIT]) or text[: _check.LIMIT])
        if not lowered.isascii():
            continue  # neither index serves it
        data = lowered.encode()
        was, now = old.fired(data), new.fired(data)
        if 0 in was:
            continue  # a separator Hyperscan's \s lacks: the anchors serve it
        fired_old += len(was)
        extra += len(now - was)
        for number in now - was:
            extra_by_rule[RULES[number - 1].name] = extra_by_rule.get(RULES[number - 1].name, 0) + 1
        for number in was - now:
            rule = RULES[number - 1]
            subject = _check._folded(text[: _check.LIMIT]) or text[: _check.LIMIT]
            if rule.regex.search(subject if rule.cased else lowered):
                missed += 1
                print(f"MISSED: rule {rule.name} matches but the new index does not fire: {text[:80]!r}")
    print(
        f"equality: {len(texts):,} texts, {differ} with different hits; {missed} (text, rule) pairs "
        f"where a rule matches and the new index does not fire; the old index fired {fired_old:,} "
        f"(text, rule) pairs, the new one {extra:,} more"
    )
    print(f"  more by rule: {dict(sorted(extra_by_rule.items()))}")
    return differ == 0 and missed == 0


def cost(old: MultiMatcher, new: MultiMatcher, rounds: int) -> None:
    sets = benign_sets()
    best: dict[tuple[str, str], float] = {}
    for _ in range(rounds):
        for label, matcher in (("old", old), ("new", new)):
            _use(matcher)
            for name, texts in sets.items():
                repeat = max(1, 2000 // len(texts))
                started = time.process_time()
                for _ in range(repeat):
                    for text in texts:
                        _check.check_text(text)
                spent = (time.process_time() - started) / (repeat * len(texts)) * 1e6
                key = (name, label)
                best[key] = min(best.get(key, spent), spent)
    data = TEXT.lower().encode()
    for label, matcher in (("old", old), ("new", new)):
        spans = []
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(5000):
                matcher.fired(data)
            spans.append((time.process_time() - started) / 5000 * 1e6)
        best[("native scan of the 4.2 KB prose", label)] = min(spans)
    print(f"{'check_text CPU per text (us)':34} {'texts':>6} {'before':>9} {'after':>9} {'saved':>8}")
    for name in [*sets, "native scan of the 4.2 KB prose"]:
        count = len(sets[name]) if name in sets else 1
        a, b = best[(name, "old")], best[(name, "new")]
        print(f"{name:34} {count:>6} {a:9.1f} {b:9.1f} {a - b:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-equality", action="store_true")
    args = parser.parse_args()
    old, new = _old_index(), _new_index()
    same = True if args.skip_equality else equality(old, new)
    cost(old, new, args.rounds)
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
