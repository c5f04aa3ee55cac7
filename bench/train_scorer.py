"""Train the learned scorer of ``inspect`` and report cross-validated figures.

    python bench/train_scorer.py [--corpora ../shared/corpora] [--write]

Training data (all of it shippable, see the corpora's README): the Cisco tool docstrings
(malicious and benign), the Docker registry's benign tools, the NotInject benign prompts (texts
full of trigger words that must not alarm) and the BIPIA code-attack instructions. Figures are
from 5-fold cross-validation grouped by server (Docker) or by the tool name's first word
(Cisco), so no fold is scored by a model that saw it or its near twins; each fold picks its
own threshold from its own training data. ``--write`` then trains on everything and writes the
weights into the package.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from inspect_corpora import _rows, _tool  # noqa: E402
from mcpward.inspect import ServerSurface, inspect_servers  # noqa: E402
from mcpward.inspect._scorer import WEIGHTS_FILE, Scorer, features, train  # noqa: E402
from mcpward.inspect._surface import tool_item  # noqa: E402
from mcpward.model import Severity  # noqa: E402

FOLDS = 5
#: The benign training examples the threshold keeps below: at most this share is flagged.
TARGET_FALSE_POSITIVES = 0.002
#: L2 penalty: strong enough that no single rare word decides (chosen by cross-validation).
L2 = 3e-3
#: The lowest threshold used: below it, everyday file and shell tools start to score as harmful
#: (cross-validated false positives above 1 %).
MIN_THRESHOLD = 0.65


def tool_texts(tool: dict[str, Any]) -> list[str]:
    schema = tool.get("inputSchema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    names = [str(n) for n in properties] if isinstance(properties, dict) else []
    return [tool["name"], tool.get("description") or "", *names]


def load(corpora: Path) -> list[dict[str, Any]]:
    examples: list[dict[str, Any]] = []
    for row in _rows(corpora / "tool_descriptions_cisco_remote.jsonl"):
        # The Cisco file has only four source files (all malicious tools in one), so its folds
        # are grouped by the tool name's first word: tools of one theme (exfiltrate_*, dump_*)
        # never sit on both sides of a split.
        theme = re.split(r"[_\W]+", row["tool_name"].lower())[0]
        examples.append(
            {
                "set": "cisco",
                "group": f"{row['label']}:{theme}",
                "label": int(row["label"] == "malicious"),
                "tool": _tool(row),
            }
        )
    for row in _rows(corpora / "tool_descriptions_docker_registry_benign.jsonl"):
        examples.append({"set": "docker", "group": row["server"], "label": 0, "tool": _tool(row)})
    for row in _rows(corpora / "prompts_notinject_benign.jsonl"):
        examples.append(
            {
                "set": "notinject",
                "group": row["text"][:40],
                "label": 0,
                "tool": {"name": "prompt", "description": row["text"]},
            }
        )
    for category, texts in json.loads(
        (corpora / "injections_bipia_code_attack_test.json").read_text()
    ).items():
        for text in texts:
            examples.append(
                {
                    "set": "bipia",
                    "group": category,
                    "label": 1,
                    "tool": {"name": "instruction", "description": text},
                }
            )
    for example in examples:
        example["features"] = features(tool_texts(example["tool"]))
        example["fold"] = int(hashlib.sha256(example["group"].encode()).hexdigest(), 16) % FOLDS
    return examples


def fit(examples: list[dict[str, Any]]) -> Scorer:
    weights, bias = train([(e["features"], e["label"]) for e in examples], l2=L2)
    scorer = Scorer(weights, bias, 0.5)
    benign = sorted(scorer.probability(e["features"]) for e in examples if e["label"] == 0)
    cut = benign[min(len(benign) - 1, int(len(benign) * (1 - TARGET_FALSE_POSITIVES)))]
    return Scorer(weights, bias, max(MIN_THRESHOLD, round(cut + 1e-6, 6)))


def rule_flags(examples: list[dict[str, Any]]) -> list[bool]:
    """The rules' verdict on each tool example (medium or worse), by its own server."""
    surfaces: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, example in enumerate(examples):
        if example["set"] in ("cisco", "docker"):
            surfaces.setdefault(example["group"], []).append((index, example["tool"]))
    findings = inspect_servers(
        [ServerSurface(g, g, [tool_item(g, t) for _, t in tools]) for g, tools in surfaces.items()],
        use_scorer=False,
    )
    hit = {(f.server, f.tool) for f in findings if f.severity.rank >= Severity.MEDIUM.rank}
    flags = [False] * len(examples)
    for group, tools in surfaces.items():
        for index, tool in tools:
            flags[index] = (group, tool["name"]) in hit
    return flags


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--write", action="store_true", help="train on everything and write the weights")
    args = parser.parse_args()
    examples = load(args.corpora)
    rules = rule_flags(examples)
    model = [False] * len(examples)
    for fold in range(FOLDS):
        scorer = fit([e for e in examples if e["fold"] != fold])
        for index, example in enumerate(examples):
            if example["fold"] == fold:
                model[index] = scorer.probability(example["features"]) >= scorer.threshold

    def rate(name: str, label: int, flags: list[bool]) -> str:
        chosen = [
            flag for flag, e in zip(flags, examples, strict=True) if e["set"] == name and e["label"] == label
        ]
        return f"{sum(chosen)}/{len(chosen)} = {sum(chosen) / len(chosen):.1%}"

    both = [a or b for a, b in zip(rules, model, strict=True)]
    for title, flags in (
        ("rules alone", rules),
        ("scorer alone (cross-validated)", model),
        ("rules + scorer (cross-validated)", both),
    ):
        print(
            f"{title:34s} cisco recall {rate('cisco', 1, flags)}; "
            f"cisco benign FPR {rate('cisco', 0, flags)}; docker benign FPR {rate('docker', 0, flags)}"
        )
    if args.write:
        final = fit(examples)
        target = ROOT / "src" / "mcpward" / "inspect" / WEIGHTS_FILE
        target.write_text(
            json.dumps(
                {
                    "about": "logistic regression over word and word-pair features; "
                    "trained by bench/train_scorer.py",
                    "bias": final.bias,
                    "threshold": final.threshold,
                    "weights": dict(sorted(final.weights.items())),
                },
                indent=0,
                sort_keys=False,
            )
            + "\n"
        )
        print(f"wrote {len(final.weights)} weights, threshold {final.threshold}, to {target}")


if __name__ == "__main__":
    main()
