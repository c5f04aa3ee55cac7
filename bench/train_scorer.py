"""Train the learned scorer of ``inspect`` and write its weights into the package.

    python bench/train_scorer.py [--corpora ../shared/corpora] [--write]

Training data (all of it shippable, see the corpora's README; the sources of
``bench/inspect_generalisation.py``): Cisco's remote malicious and benign tools, the poisoned
and benign tools of ``tool_descriptions_poisoned_mixed.jsonl``, the tool-poisoning-bench
injections, the Docker registry's tools, ``tool_descriptions_benign_servers.jsonl`` (file,
git, document, browser and cloud tools of 113 real servers), NotInject prompts read as
descriptions, and BIPIA's code-attack instructions. One benign server in four (by a hash of
its name) is held back from training: the threshold is chosen on those servers' tools, so it
is set on benign data the weights never saw. Deterministic: the same files give the same
weights.

The scorer only raises a finding beside another signal on the same tool (alone it is a
note); its generalisation is measured by ``bench/inspect_generalisation.py``, which trains
it again without each source in turn.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from inspect_generalisation import _calibration, bipia, fit, load  # noqa: E402
from mcpward.inspect._logistic import save_model  # noqa: E402
from mcpward.inspect._scorer import WEIGHTS_FILE  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--write", action="store_true", help="write the weights into the package")
    args = parser.parse_args()
    rows = load(args.corpora) + bipia(args.corpora)
    training = [r for r in rows if not _calibration(r)]
    calibration = [r for r in rows if _calibration(r)]
    scorer = fit(training, calibration)
    flagged = sum(scorer.probability(r.features) >= scorer.threshold for r in calibration)
    caught = [scorer.probability(r.features) >= scorer.threshold for r in training if r.label]
    print(
        f"trained on {len(training)} tools ({sum(r.label for r in training)} malicious); threshold "
        f"{scorer.threshold} chosen on {len(calibration)} held-back benign tools, of which it flags "
        f"{flagged} alone; in training it scores {sum(caught)}/{len(caught)} malicious tools above it "
        "(an in-corpus figure: see bench/inspect_generalisation.py for left-out ones)"
    )
    if args.write:
        target = ROOT / "src" / "mcpward" / "inspect" / WEIGHTS_FILE
        save_model(
            scorer,
            target,
            "logistic regression over word and word-pair features; trained by bench/train_scorer.py",
        )
        print(f"wrote {len(scorer.weights)} weights, threshold {scorer.threshold}, to {target}")


if __name__ == "__main__":
    main()
