"""The result check on injection texts no one working on it has read: a figure that is held out
for the rules too, not only for the classifier.

    pip download --no-deps pyrit==1.1.0 -d /tmp/unseen    # Microsoft's PyRIT (MIT), once
    pip download --no-deps spikee==0.9.2 -d /tmp/unseen   # WithSecure's spikee (Apache-2.0)
    python bench/untrusted_unseen.py /tmp/unseen/pyrit-1.1.0-py3-none-any.whl \
        [/tmp/unseen/spikee-0.9.2-py3-none-any.whl] [--benign 0] [--last-layer /tmp/peer-ll/bin/python]

The leave-one-source-out figure of ``bench/untrusted_generalisation.py`` holds the classifier
out, but the rules beside it were written after looking at the misses of every source, in
aggregate: for them it is an in-corpus figure. Here the texts come from wheels as published,
never opened while the rules or the classifier were written (the bench was written from the
files' layout and the generators' code alone); each wheel is read by what it holds:

- PyRIT's jailbreak templates (``pyrit/datasets/jailbreak/templates``: its own, the "in the
  wild" set it collected, and those credited to named authors). A jailbreak template is a
  user's attack on the model, not a planted tool result, but it is what a web page or an issue
  the model reads can carry: role reassignment, instruction override, forced output. Each
  template's parameters (``{{ prompt }}`` and the like) are filled with one fixed neutral
  request, so that only the template's own words can be flagged.
- spikee's indirect injections, the closest public thing to a poisoned tool result: each seed
  folder's jailbreaks carrying each of its instructions, put into its documents, composed as
  ``spikee generate`` composes them with its default options (see ``spikee_texts``). Benign
  from the same wheel: its documents without the injection, and the standalone inputs of its
  false-positive seed folder.

Both sides: the same run reads benign text no one here has tuned on either, the docstrings of
the running Python's standard library (PSF licence; read with ``ast``, nothing imported), cut
into the benign corpus's chunks of whole lines: module, class and function documentation,
the prose a documentation or code-search server returns (``--benign 0`` leaves them out). The
benign sets of the left-out bench were looked at while the rules were written; these were not.

Beside it, in the same run: the gateway's result check before the detector of issue 21, and
the offline peer last_layer (its injection classifier, and any marker) with ``--last-layer``.
Only rates are printed, never a text: nothing is trained here, nothing of these texts is kept
in the project, and a rule written from them would end their use as a held-out set.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import re
import sys
import sysconfig
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from build_benign_results import chunks  # noqa: E402
from mcpward.inspect.untrusted import check_content  # noqa: E402
from untrusted_generalisation import gateway_before, last_layer  # noqa: E402

TEMPLATES = "pyrit/datasets/jailbreak/templates/"
#: What fills every parameter of a template: a request with no order to the model in it.
NEUTRAL_REQUEST = "What is the boiling point of water at sea level?"
_PARAMETER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")
#: A wheel is read member by member; a template or seed file larger than this is not one
#: (bounded reading).
_MAX_MEMBER = 1 << 20

SPIKEE_DATASETS = "spikee/data/workspace/datasets/"
#: The seed folders of spikee 0.9.2 with jailbreaks, instructions and documents to compose.
SPIKEE_ATTACK_SEEDS = (
    "seeds-cybersec-2026-01",
    "seeds-sysmsg-extraction-2025-04",
    "seeds-llm-mailbox",
    "seeds-investment-advice",
)
#: The folder spikee ships as a false-positive set: its standalone inputs are benign by design.
SPIKEE_BENIGN_SEED = "seeds-investment-advice-fp"
#: Why the other folders with seed files in the wheel are not composed.
SPIKEE_SKIPPED = {
    "zzz_LEGACY_seeds-cybersec-2025-04": "superseded by seeds-cybersec-2026-01",
    "seeds-mini-test": "spikee's smoke test",
    "seeds-harmful-instructions-only": "one empty jailbreak: bare requests for attacks that write their own",
}
#: ``spikee generate``'s defaults (its cli.py): --format user-input (the document alone, no task
#: around it), --positions end (ignored for a document with a placeholder: the payload replaces
#: it), --injection-delimiters, --spotlighting-data-markers as below, --match-languages true,
#: every language, no plugin, prefix or suffix, standalone inputs not included.
SPIKEE_INJECTION_DELIMITER = "\nINJECTION_PAYLOAD\n"
SPIKEE_DATA_MARKER = "\nDOCUMENT\n"
SPIKEE_INSTRUCTION = "<INSTRUCTION>"


@dataclass(frozen=True)
class Unseen:
    """One text of the run: the table row it counts in, whether it is an attack, and the
    categories it is also counted by (spikee's language, jailbreak type and instruction type)."""

    source: str
    group: str
    attack: bool
    text: str
    kinds: tuple[tuple[str, str], ...] = ()


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as member:
        data = member.read(_MAX_MEMBER + 1)
    if len(data) > _MAX_MEMBER:
        raise SystemExit(f"{info.filename}: larger than {_MAX_MEMBER} bytes, not read")
    return data


def templates(wheel: Path) -> list[Unseen]:
    """Every jailbreak template in PyRIT's wheel, parameters filled."""
    found = []
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            name = info.filename
            if not name.startswith(TEMPLATES) or not name.endswith(".yaml") or info.file_size > _MAX_MEMBER:
                continue
            document = yaml.safe_load(io.TextIOWrapper(io.BytesIO(_member(archive, info)), encoding="utf-8"))
            value = document.get("value") if isinstance(document, dict) else None
            if not isinstance(value, str) or not value.strip():
                continue
            folder = name[len(TEMPLATES) :].rsplit("/", 1)
            group = folder[0].split("/")[0] if len(folder) == 2 else "pyrit's own"
            found.append(Unseen("pyrit", group, True, _PARAMETER.sub(NEUTRAL_REQUEST, value)))
    return found


def _seed_file(archive: zipfile.ZipFile, seed: str, name: str) -> list[dict[str, Any]]:
    """The records of one seed file (none when it is absent); a line that is not a JSON object
    is an error naming its place, never its text."""
    try:
        info = archive.getinfo(f"{SPIKEE_DATASETS}{seed}/{name}")
    except KeyError:
        return []
    records = []
    for number, line in enumerate(_member(archive, info).decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise SystemExit(f"{seed}/{name} line {number}: not JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise SystemExit(f"{seed}/{name} line {number}: not an object")
        records.append(record)
    return records


def spikee_document(document: str, placeholder: str, payload: str) -> str:
    """A document with a payload in it, as spikee's generator (insert_jailbreak, then the data
    marker of a user-input entry) puts it with its defaults: in place of the document's
    placeholder when it has one, else at its end."""
    injected = SPIKEE_INJECTION_DELIMITER.replace("INJECTION_PAYLOAD", payload)
    body = document.replace(placeholder, injected) if placeholder else f"{document}{injected}"
    return SPIKEE_DATA_MARKER.replace("DOCUMENT", body)


def spikee_seed_folders(wheel: Path) -> dict[str, bool]:
    """Every seed folder in spikee's wheel, and whether its seed files hold anything (those
    filled by a fetch script at the user's are empty in the wheel)."""
    folders: dict[str, bool] = {}
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if info.filename.startswith(SPIKEE_DATASETS):
                folder = info.filename[len(SPIKEE_DATASETS) :].split("/")[0]
                holds = info.filename.endswith(".jsonl") and info.file_size > 0
                folders[folder] = folders.get(folder, False) or holds
    return folders


def spikee_texts(wheel: Path) -> list[Unseen]:
    """spikee's composed injections of every attack seed folder (each document x each jailbreak
    x each instruction of the jailbreak's language), its documents alone, and its false-positive
    folder's standalone inputs."""
    found: list[Unseen] = []
    with zipfile.ZipFile(wheel) as archive:
        for seed in SPIKEE_ATTACK_SEEDS:
            documents = _seed_file(archive, seed, "base_user_inputs.jsonl")
            jailbreaks = _seed_file(archive, seed, "jailbreaks.jsonl")
            instructions = _seed_file(archive, seed, "instructions.jsonl")
            if not (documents and jailbreaks and instructions):
                raise SystemExit(f"{seed}: no documents, jailbreaks or instructions in {wheel.name}")
            for document in documents:
                text, placeholder = str(document["document"]), str(document.get("placeholder", ""))
                alone = text.replace(placeholder, "") if placeholder else text
                # A document that is its placeholder alone is the payload alone once composed.
                where = "in a document" if alone.strip() else "bare, no document"
                if alone.strip():
                    found.append(
                        Unseen(
                            "spikee",
                            "spikee's documents, no injection",
                            False,
                            spikee_document(alone, "", ""),
                        )
                    )
                for jailbreak in jailbreaks:
                    language = str(jailbreak.get("lang", "en"))
                    for instruction in instructions:
                        if str(instruction.get("lang", "en")) != language:
                            continue
                        payload = str(jailbreak["text"]).replace(
                            SPIKEE_INSTRUCTION, str(instruction["instruction"])
                        )
                        kinds = (
                            ("placement", where),
                            ("language", language),
                            ("jailbreak type", str(jailbreak.get("jailbreak_type", ""))),
                            ("instruction type", f"{seed[6:]}: {instruction.get('instruction_type', '')}"),
                        )
                        composed = spikee_document(text, placeholder, payload)
                        found.append(Unseen("spikee", f"{seed[6:]}, {where}", True, composed, kinds))
        for record in _seed_file(archive, SPIKEE_BENIGN_SEED, "standalone_user_inputs.jsonl"):
            value = record.get("content", record.get("text"))
            if isinstance(value, str) and value.strip():
                found.append(Unseen("spikee", f"{SPIKEE_BENIGN_SEED[6:]} standalone inputs", False, value))
    return found


def standard_library_docs(limit: int) -> list[Unseen]:
    """Chunks of the docstrings of the standard library's modules, in file order, at most
    ``limit``: read as syntax, never imported."""
    found: list[Unseen] = []
    if limit <= 0:
        return found
    for source in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        if {"test", "tests", "idlelib", "site-packages"} & set(source.parts):
            continue
        try:
            tree = ast.parse(source.read_bytes())
        except (SyntaxError, ValueError):
            continue
        nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef))]
        text = "\n\n".join(doc for node in nodes if (doc := ast.get_docstring(node)))
        for chunk in chunks(text):
            found.append(Unseen("stdlib", "standard library docs (benign)", False, chunk))
            if len(found) >= limit:
                return found
    return found


def without_repeats(texts: Iterable[Unseen]) -> tuple[list[Unseen], int]:
    """The texts, each identical text kept once (its first row), and how many were dropped."""
    seen: set[str] = set()
    kept, dropped = [], 0
    for unseen in texts:
        if unseen.text in seen:
            dropped += 1
            continue
        seen.add(unseen.text)
        kept.append(unseen)
    return kept, dropped


SUMMARY = {"pyrit": "all jailbreak templates, detected", "spikee": "all spikee injections, detected"}


def _cells(indices: list[int], columns: dict[str, list[bool]]) -> str:
    return " | ".join(f"{sum(flags[i] for i in indices) / len(indices):.1%}" for flags in columns.values())


def table(rows: list[Unseen], columns: dict[str, list[bool]]) -> list[str]:
    """Attack rows of each source, largest first, then the source's total; benign rows last."""
    lines = ["| texts | rows | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    groups: dict[tuple[str, bool, str], list[int]] = defaultdict(list)
    for index, unseen in enumerate(rows):
        groups[(unseen.source, unseen.attack, unseen.group)].append(index)
    for source in dict.fromkeys(unseen.source for unseen in rows if unseen.attack):
        attacks = [key for key in groups if key[0] == source and key[1]]
        for key in sorted(attacks, key=lambda k: -len(groups[k])):
            lines.append(f"| {key[2]} | {len(groups[key])} | {_cells(groups[key], columns)} |")
        every = [i for i, unseen in enumerate(rows) if unseen.source == source and unseen.attack]
        total = " | ".join(
            f"**{sum(flags[i] for i in every) / len(every):.1%}**" for flags in columns.values()
        )
        lines.append(f"| **{SUMMARY[source]}** | {len(every)} | {total} |")
    for key, indices in groups.items():
        if not key[1]:
            lines.append(f"| {key[2]} | {len(indices)} | {_cells(indices, columns)} |")
    return lines


def breakdown(rows: list[Unseen], columns: dict[str, list[bool]]) -> list[str]:
    """Detection by each category the attacks carry (counts and rates only)."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, unseen in enumerate(rows):
        for category in unseen.kinds:
            groups[category].append(index)
    if not groups:
        return []
    lines = ["| by | rows | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for (kind, value), indices in sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]), kv[0][1])):
        lines.append(f"| {kind}: {value} | {len(indices)} | {_cells(indices, columns)} |")
    return lines


def read_wheel(wheel: Path) -> list[Unseen]:
    """The texts of a wheel this bench knows, by what it holds."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile) as error:
        raise SystemExit(f"{wheel}: not a readable wheel ({error})") from None
    if any(n.startswith(TEMPLATES) for n in names):
        return templates(wheel)
    if any(n.startswith(SPIKEE_DATASETS) for n in names):
        return spikee_texts(wheel)
    raise SystemExit(f"{wheel}: neither PyRIT's jailbreak templates nor spikee's seed folders in it")


def describe(wheel: Path, texts: list[Unseen]) -> str:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    attacks = sum(unseen.attack for unseen in texts)
    if texts and texts[0].source == "pyrit":
        return f"{wheel.name} (sha256 {digest[:16]}...): {attacks} jailbreak templates"
    skipped = [
        f"{folder} ({SPIKEE_SKIPPED.get(folder, 'not known to this bench') if holds else 'empty'})"
        for folder, holds in sorted(spikee_seed_folders(wheel).items())
        if folder not in (*SPIKEE_ATTACK_SEEDS, SPIKEE_BENIGN_SEED)
    ]
    return (
        f"{wheel.name} (sha256 {digest[:16]}...): {attacks} injections composed from "
        f"{', '.join(SPIKEE_ATTACK_SEEDS)}; {len(texts) - attacks} benign "
        f"(documents alone, {SPIKEE_BENIGN_SEED}'s standalone inputs); not composed: {'; '.join(skipped)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "wheels", nargs="+", type=Path, help="pyrit's and/or spikee's wheel (pip download --no-deps)"
    )
    parser.add_argument("--last-layer", help="python of a venv with last_layer installed")
    parser.add_argument(
        "--benign", type=int, default=3000, help="standard library chunks read (benign; 0: none)"
    )
    args = parser.parse_args()
    read = []
    for wheel in args.wheels:
        kept, dropped = without_repeats(read_wheel(wheel))
        print(describe(wheel, kept) + (f"; {dropped} repeated texts dropped" if dropped else ""))
        read.extend(kept)
    docs = standard_library_docs(args.benign)
    if docs:
        print(f"{len(docs)} chunks of Python {sys.version.split()[0]}'s standard library docs")
    rows, _ = without_repeats([*read, *docs])
    texts = [unseen.text for unseen in rows]
    columns: dict[str, list[bool]] = {
        "gateway before": gateway_before(texts),
        "mcpward (rules + classifier, as shipped)": [bool(check_content([t])) for t in texts],
    }
    if args.last_layer:
        markers, _ = last_layer(args.last_layer, texts)
        columns["last_layer, ExploitClassifier"] = ["ExploitClassifier" in m for m in markers]
        columns["last_layer, any marker"] = [bool(m) for m in markers]
    print("\n" + "\n".join(table(rows, columns)))
    extra = breakdown(rows, columns)
    if extra:
        print("\n" + "\n".join(extra))


if __name__ == "__main__":
    main()
