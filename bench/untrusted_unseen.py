"""The result check on injection texts no one working on it has read: a figure that is held out
for the rules too, not only for the classifier.

    pip download --no-deps pyrit==1.1.0 -d /tmp/unseen   # Microsoft's PyRIT (MIT), once
    python bench/untrusted_unseen.py /tmp/unseen/pyrit-1.1.0-py3-none-any.whl \
        [--last-layer /tmp/peer-ll/bin/python]

The leave-one-source-out figure of ``bench/untrusted_generalisation.py`` holds the classifier
out, but the rules beside it were written after looking at the misses of every source, in
aggregate: for them it is an in-corpus figure. Here the texts are the jailbreak templates
PyRIT ships (``pyrit/datasets/jailbreak/templates``: its own, the "in the wild" set it
collected, and those credited to named authors), read from the wheel as published and never
opened while the rules or the classifier were written (2026-12-06: the bench was written from
the files' layout alone). A jailbreak template is a user's attack on the model, not a planted
tool result, but it is what a web page or an issue the model reads can carry: role
reassignment, instruction override, forced output. Each template's parameters (``{{ prompt }}``
and the like) are filled with one fixed neutral request, so that only the template's own
words can be flagged. Nothing is trained here, and nothing of these texts is kept in the
project.

Both sides: the same run reads benign text no one here has tuned on either, the docstrings of
the running Python's standard library (PSF licence; read with ``ast``, nothing imported), cut
into the benign corpus's chunks of whole lines: module, class and function documentation,
the prose a documentation or code-search server returns. The benign sets of the left-out bench
were looked at while the rules were written; these were not.

Beside it, in the same run: the gateway's result check before the detector of issue 21, and
the offline peer last_layer (its injection classifier, and any marker) with ``--last-layer``.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import re
import sys
import sysconfig
import zipfile
from collections import defaultdict
from pathlib import Path

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
#: A wheel is read member by member; a template larger than this is not one (bounded reading).
_MAX_MEMBER = 1 << 20


def templates(wheel: Path) -> list[tuple[str, str]]:
    """(group, text) of every jailbreak template in the wheel, parameters filled."""
    found = []
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            name = info.filename
            if not name.startswith(TEMPLATES) or not name.endswith(".yaml") or info.file_size > _MAX_MEMBER:
                continue
            document = yaml.safe_load(io.TextIOWrapper(archive.open(info), encoding="utf-8"))
            value = document.get("value") if isinstance(document, dict) else None
            if not isinstance(value, str) or not value.strip():
                continue
            folder = name[len(TEMPLATES) :].rsplit("/", 1)
            group = folder[0].split("/")[0] if len(folder) == 2 else "pyrit's own"
            found.append((group, _PARAMETER.sub(NEUTRAL_REQUEST, value)))
    return found


def standard_library_docs(limit: int) -> list[tuple[str, str]]:
    """("standard library docs", chunk) of the docstrings of the standard library's modules, in
    file order, at most ``limit``: read as syntax, never imported."""
    found: list[tuple[str, str]] = []
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
            found.append(("standard library docs (benign)", chunk))
            if len(found) >= limit:
                return found
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("wheel", type=Path, help="pyrit's wheel (pip download --no-deps pyrit==1.1.0)")
    parser.add_argument("--last-layer", help="python of a venv with last_layer installed")
    parser.add_argument("--benign", type=int, default=3000, help="standard library chunks read (benign)")
    args = parser.parse_args()
    digest = hashlib.sha256(args.wheel.read_bytes()).hexdigest()
    attacks = templates(args.wheel)
    rows = attacks + standard_library_docs(args.benign)
    texts = [text for _, text in rows]
    columns: dict[str, list[bool]] = {
        "gateway before": gateway_before(texts),
        "mcpward (rules + classifier, as shipped)": [bool(check_content([t])) for t in texts],
    }
    if args.last_layer:
        markers, _ = last_layer(args.last_layer, texts)
        columns["last_layer, ExploitClassifier"] = ["ExploitClassifier" in m for m in markers]
        columns["last_layer, any marker"] = [bool(m) for m in markers]
    groups: dict[str, list[int]] = defaultdict(list)
    for index, (group, _) in enumerate(rows):
        groups[group].append(index)
    print(
        f"{args.wheel.name} (sha256 {digest[:16]}...): {len(attacks)} jailbreak templates; "
        f"{len(rows) - len(attacks)} chunks of Python {sys.version.split()[0]}'s standard library docs\n"
    )
    print("| texts | rows | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for group, indices in sorted(groups.items(), key=lambda kv: ("benign" in kv[0], -len(kv[1]))):
        cells = [f"{sum(flags[i] for i in indices) / len(indices):.1%}" for flags in columns.values()]
        print(f"| {group} | {len(indices)} | " + " | ".join(cells) + " |")
    detected = [f"**{sum(flags[: len(attacks)]) / max(1, len(attacks)):.1%}**" for flags in columns.values()]
    print(f"| **all jailbreak templates, detected** | {len(attacks)} | " + " | ".join(detected) + " |")


if __name__ == "__main__":
    main()
