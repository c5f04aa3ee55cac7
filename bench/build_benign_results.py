"""Build the benign tool-results corpus the result check is calibrated and measured on.

    python bench/build_benign_results.py [--npm DIR] [--site-packages DIR] [--out FILE]

What an MCP server returns is mostly files, documentation, JSON and logs. This corpus is made of
real content of that kind, available offline, under permissive licences only (MIT, ISC, BSD,
Apache-2.0, PSF, 0BSD; anything else is skipped): the READMEs, JavaScript sources and
``package.json`` files of the npm packages of the project's fixture servers (``.cache/npm-servers``:
the MCP SDK, server-memory and their dependencies), and the package descriptions, Python sources
and JSON data files of the project's own locked dependencies (the ``.venv`` site-packages), and
command output (``git log --stat`` of this repository, the project's own text). Each row
keeps its origin (package, version, file) and licence. Every run on the same inputs writes the
same file (files sorted, chunks cut at fixed sizes).

Rows carry a ``split``: by a hash of the package name, half the packages train the classifier,
a quarter choose its threshold and a quarter are only ever measured (never trained on, never
used to pick a threshold), so the false-positive figure on this corpus is out of sample.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERMISSIVE = re.compile(r"\b(MIT|ISC|BSD|Apache|PSF|Python Software Foundation|0BSD|Unlicense)\b", re.I)
CHUNK = 1200
#: The history read for the log rows: a fixed commit, so that every run writes the same rows.
BASE_REVISION = "6c5bcc3"
PER_FILE = 6
PER_PACKAGE = {"readme": 14, "source": 10, "json": 3}


def split_of(package: str) -> str:
    bucket = int(hashlib.sha256(package.encode()).hexdigest(), 16) % 4
    return ("train", "train", "calibration", "test")[bucket]


def chunks(text: str, size: int = CHUNK) -> Iterator[str]:
    """Blocks of whole lines (paragraphs for prose) up to ``size`` characters."""
    block: list[str] = []
    length = 0
    for line in text.splitlines():
        if length + len(line) > size and block:
            joined = "\n".join(block).strip()
            if len(joined) >= 80:
                yield joined
            block, length = [], 0
        block.append(line[:size])
        length += len(line) + 1
    joined = "\n".join(block).strip()
    if len(joined) >= 80:
        yield joined


def _rows(package: str, version: str, licence: str, kind: str, origin: str, text: str) -> Iterator[dict]:
    for number, piece in enumerate(chunks(text)):
        if number >= PER_FILE:
            return
        yield {
            "text": piece,
            "label": "benign",
            "kind": kind,
            "package": package,
            "version": version,
            "origin": f"{origin}#chunk{number}",
            "licence": licence,
            "split": split_of(package),
        }


def npm_rows(modules: Path) -> Iterator[dict]:
    for manifest in sorted(modules.glob("**/package.json")):
        relative = manifest.relative_to(modules)
        if "node_modules" in relative.parts or "test" in relative.parts:
            continue  # nested copies and test fixtures
        try:
            meta = json.loads(manifest.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
            continue
        licence = str(meta.get("license") or "")
        if not PERMISSIVE.search(licence):
            continue
        name, version, folder = meta["name"], str(meta.get("version", "")), manifest.parent
        counts = dict.fromkeys(PER_PACKAGE, 0)
        origin = f"npm:{name}@{version}"
        text = manifest.read_text("utf-8")
        yield from _rows(name, version, licence, "json", f"{origin}/package.json", text)
        counts["json"] += 1
        for readme in sorted(folder.glob("*.md"))[:2]:
            for row in _rows(
                name,
                version,
                licence,
                "readme",
                f"{origin}/{readme.name}",
                readme.read_text("utf-8", "replace"),
            ):
                if counts["readme"] < PER_PACKAGE["readme"]:
                    counts["readme"] += 1
                    yield row
        sources = sorted(
            p for p in folder.glob("**/*.js") if "node_modules" not in p.relative_to(folder).parts
        )
        for source in sources[:40]:
            if counts["source"] >= PER_PACKAGE["source"] or source.stat().st_size > 200_000:
                continue
            text = source.read_text("utf-8", "replace")
            if text.count("\n") < 5:
                continue  # minified
            for row in _rows(
                name, version, licence, "source", f"{origin}/{source.relative_to(folder)}", text
            ):
                if counts["source"] < PER_PACKAGE["source"]:
                    counts["source"] += 1
                    yield row


def python_rows(site: Path) -> Iterator[dict]:
    for info in sorted(site.glob("*.dist-info")):
        try:
            meta = email.parser.Parser().parsestr((info / "METADATA").read_text("utf-8"))
        except OSError:
            continue
        name, version = meta.get("Name", ""), meta.get("Version", "")
        licence = " ".join(
            [meta.get("License-Expression", ""), (meta.get("License", "") or "")[:80]]
            + [c for c in meta.get_all("Classifier", []) if c.startswith("License")]
        ).strip()
        if not name or not PERMISSIVE.search(licence) or name.lower() == "mcpward":
            continue
        origin = f"pypi:{name}=={version}"
        counts = dict.fromkeys(PER_PACKAGE, 0)
        body = meta.get_payload()
        if isinstance(body, str):
            for row in _rows(name, version, licence, "readme", f"{origin}/METADATA", body):
                if counts["readme"] < PER_PACKAGE["readme"]:
                    counts["readme"] += 1
                    yield row
        top = [line.split(",")[0] for line in (info / "RECORD").read_text("utf-8").splitlines()]
        for relative in sorted(top):
            path = site / relative
            if not path.is_file() or path.stat().st_size > 300_000:
                continue
            kind = {".py": "source", ".json": "json", ".md": "readme", ".rst": "readme"}.get(path.suffix)
            if kind is None or counts[kind] >= PER_PACKAGE[kind]:
                continue
            text = path.read_text("utf-8", "replace")
            for row in _rows(name, version, licence, kind, f"{origin}/{relative}", text):
                if counts[kind] < PER_PACKAGE[kind]:
                    counts[kind] += 1
                    yield row


def log_rows(repository: Path) -> Iterator[dict]:
    """Command output of the kind a shell or git server returns: this project's own history
    (``git log --stat``, Apache-2.0, the project's licence), cut into blocks of ten chunks."""
    import subprocess

    try:
        text = subprocess.run(
            [
                "git",
                "-C",
                str(repository),
                "log",
                "--stat",
                "-n",
                "400",
                BASE_REVISION,
                "--format=commit %H%nAuthor: %an%nDate: %ad%n%n%w(0,4,4)%B",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return
    for number, piece in enumerate(chunks(text)):
        if number >= 300:
            return
        package = f"git-log-{number // 10}"
        yield {
            "text": piece,
            "label": "benign",
            "kind": "log",
            "package": package,
            "version": "",
            "origin": f"git log --stat of mcpward#chunk{number}",
            "licence": "Apache-2.0",
            "split": split_of(package),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--npm", type=Path, default=Path("/work/main/.cache/npm-servers/node_modules"))
    parser.add_argument("--site-packages", type=Path, default=ROOT / ".venv/lib/python3.11/site-packages")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/data/benign_results.jsonl")
    args = parser.parse_args()
    seen: set[str] = set()
    rows = []
    for row in [*npm_rows(args.npm), *python_rows(args.site_packages), *log_rows(ROOT)]:
        key = hashlib.sha256(" ".join(row["text"].split()).lower().encode()).hexdigest()
        if key not in seen:
            seen.add(key)
            rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    kinds: dict[str, int] = {}
    for row in rows:
        kinds[f"{row['kind']}/{row['split']}"] = kinds.get(f"{row['kind']}/{row['split']}", 0) + 1
    print(f"{len(rows)} rows from {len({r['package'] for r in rows})} packages -> {args.out}: {kinds}")


if __name__ == "__main__":
    main()
