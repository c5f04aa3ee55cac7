"""Detection quality and throughput of the DLP engine on the shared corpora.

    python bench/dlp_corpora.py [--corpora ../shared/corpora] [--megabytes 50]
        [--pii-data presidio-research/tests/data/generated_large.json]
        [--pii-data presidio-research/data/synth_dataset_v2.json] [--presidio PY] [--pii-only]

- secrets: gitleaks rule cases (``tp`` must be flagged, ``fp`` must not) and detect-secrets
  plugin cases (``should_flag``): recall and precision;
- personal data: Presidio's generated sentences, for the entity types the engine covers: a span
  counts as found when a match of the same type overlaps it; with ``--pii-data``, more sources
  in the same format, held out (the rules were written on the shared corpus's sentences only),
  reported per source and type beside Presidio's pattern recognizers (``--presidio``); and
  false alarms on realistic clean text (bench/pii_clean_texts.py);
- false alarms on the Docker registry's benign tool descriptions;
- false alarms in the text files of the real MCP server packages saved for the tests;
- throughput on at least 50 MB of JSON-RPC messages, Hyperscan and pure-Python paths, and
  detect-secrets on the same messages when ``--detect-secrets`` names a Python that has it, and
  Presidio's pattern recognizers on the first two megabytes of them (``--presidio``), with
  the ratios.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from mcpward.dlp._engine import Engine
from mcpward.dlp.scanning import scan_json

ROOT = Path(__file__).resolve().parents[1]
PRESIDIO_TYPES = {
    "EMAIL_ADDRESS": "email-address",
    "PHONE_NUMBER": "phone-number",
    "CREDIT_CARD": "credit-card",
    "IBAN_CODE": "iban",
    "US_SSN": "us-ssn",
    "IP_ADDRESS": ("ipv4-address", "ipv6-address"),
}


def detect_secrets_quality(python: str, corpora: Path) -> None:
    """detect-secrets (all plugins, default settings) on the same secret cases."""
    done = subprocess.run(
        [python, "-c", _DETECT_SECRETS_CASES, str(corpora)], capture_output=True, text=True, check=True
    )
    print(done.stdout.strip())


_DETECT_SECRETS_CASES = """
import json, sys
from pathlib import Path
from detect_secrets.core.scan import scan_line
from detect_secrets.settings import default_settings
corpora = Path(sys.argv[1])
with default_settings():
    for name, positive in (("secrets_gitleaks_rule_cases.json", lambda c: c["label"] == "tp"),
                           ("secrets_detect_secrets_cases.json", lambda c: bool(c["should_flag"]))):
        tp = fp = fn = tn = 0
        for case in json.loads((corpora / name).read_text()):
            flagged = any(True for line in case["text"].splitlines() or [""] for _ in scan_line(line))
            if positive(case):
                tp, fn = tp + flagged, fn + (not flagged)
            else:
                fp, tn = fp + flagged, tn + (not flagged)
        print(f"detect-secrets on {name}: recall {tp}/{tp + fn} = {tp / max(1, tp + fn):.1%}, "
              f"precision {tp}/{tp + fp} = {tp / max(1, tp + fp):.1%}")
"""


def secrets_quality(engine: Engine, corpora: Path) -> None:
    for name, positive in (
        ("secrets_gitleaks_rule_cases.json", lambda c: c["label"] == "tp"),
        ("secrets_detect_secrets_cases.json", lambda c: bool(c["should_flag"])),
    ):
        cases = json.loads((corpora / name).read_text())
        tp = fp = fn = tn = 0
        for case in cases:
            flagged = any(m.kind == "secret" for m in engine.scan(case["text"]))
            if positive(case):
                tp, fn = tp + flagged, fn + (not flagged)
            else:
                fp, tn = fp + flagged, tn + (not flagged)
        print(
            f"{name}: recall {tp}/{tp + fn} = {tp / max(1, tp + fn):.1%}, precision {tp}/{tp + fp} = "
            f"{tp / max(1, tp + fp):.1%} (false alarms on {fp} of {fp + tn} negatives)"
        )


#: Where the personal-data rules were developed: the shared corpus's sentences and the unit
#: tests' own cases. Every other source is held out: its rows were never read while writing
#: or changing a rule, only its per-type figures were looked at.
DEVELOPED_ON = frozenset({"generated_small"})


def pii_sources(corpora: Path, extra: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """Labelled PII sentences by source: the shared corpus, then each ``--pii-data`` file
    (Presidio-research's ``generated_large.json`` and ``data/synth_dataset_v2.json``, MIT),
    each row kept in the first source that has its text."""
    sources: dict[str, list[dict[str, Any]]] = {}
    seen: set[str] = set()
    for path in [corpora / "pii_presidio_generated_small.json", *extra]:
        name = path.stem.removeprefix("pii_presidio_")
        rows = [row for row in json.loads(path.read_text()) if row["full_text"] not in seen]
        seen.update(row["full_text"] for row in rows)
        sources[name] = rows
    return sources


Prediction = tuple[str, int, int]  # the Presidio entity type, start, end


def engine_predictions(engine: Engine, texts: list[str]) -> list[list[Prediction]]:
    rule_types = {
        rule: entity
        for entity, rules in PRESIDIO_TYPES.items()
        for rule in (rules if isinstance(rules, tuple) else (rules,))
    }
    return [
        [(rule_types.get(m.rule, m.rule), m.start, m.end) for m in engine.scan(text) if m.kind == "pii"]
        for text in texts
    ]


def score(rows: list[dict[str, Any]], predictions: list[list[Prediction]]) -> dict[str, Any]:
    """Per covered type, spans found (a prediction of that type overlaps the span) of spans
    there are; and predictions that overlap no labelled span of any type (wrong)."""
    found: dict[str, int] = {}
    total: dict[str, int] = {}
    reported = wrong = 0
    for row, predicted in zip(rows, predictions, strict=True):
        for span in row["spans"]:
            entity = span["entity_type"]
            if entity not in PRESIDIO_TYPES:
                continue
            total[entity] = total.get(entity, 0) + 1
            found[entity] = found.get(entity, 0) + any(
                kind == entity and start < span["end_position"] and end > span["start_position"]
                for kind, start, end in predicted
            )
        reported += len(predicted)
        # wrong: no labelled span of the predicted type overlaps it (a licence number read
        # as a card number is wrong, though it is personal data)
        wrong += sum(
            not any(
                s["entity_type"] == kind and start < s["end_position"] and end > s["start_position"]
                for s in row["spans"]
            )
            for kind, start, end in predicted
        )
    return {"found": found, "total": total, "reported": reported, "wrong": wrong}


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.1%} ({part}/{whole})" if whole else "-"


def _print_scores(label: str, scores: dict[str, Any]) -> None:
    found, total = scores["found"], scores["total"]
    all_found, all_total = sum(found.values()), sum(total.values())
    by_type = ", ".join(
        f"{entity} {_percent(found.get(entity, 0), total[entity])}" for entity in sorted(total)
    )
    print(
        f"  {label}: recall {_percent(all_found, all_total)}; wrong predictions "
        f"{scores['wrong']} of {scores['reported']}; {by_type}"
    )


def pii_quality(engine: Engine, corpora: Path, extra: list[Path], presidio_python: str | None) -> None:
    """Recall per source and type, the engine beside Presidio's pattern recognizers; the
    held-out sources first. Then false alarms on realistic clean text (bench/pii_clean_texts.py)."""
    from pii_clean_texts import clean_texts

    sources = pii_sources(corpora, extra)
    ordered = sorted(sources, key=lambda name: name in DEVELOPED_ON)
    clean = clean_texts()
    texts = {name: [row["full_text"] for row in sources[name]] for name in ordered}
    peer = _presidio_predictions(presidio_python, [*[t for n in ordered for t in texts[n]], *clean])
    for name in ordered:
        role = "developed on (in-corpus)" if name in DEVELOPED_ON else "held out"
        print(f"personal data, {name} ({len(sources[name])} sentences, {role}):")
        _print_scores("mcpward", score(sources[name], engine_predictions(engine, texts[name])))
        if peer is not None:
            _print_scores("Presidio patterns", score(sources[name], peer[: len(texts[name])]))
            peer = peer[len(texts[name]) :]
    alarms = [p for predicted in engine_predictions(engine, clean) for p in predicted]
    by_type: dict[str, int] = {}
    for entity, _, _ in alarms:
        by_type[entity] = by_type.get(entity, 0) + 1
    line = (
        f"clean texts (bench/pii_clean_texts.py, {len(clean)}): mcpward {len(alarms)} false alarms {by_type}"
    )
    if peer is not None:
        peer_types: dict[str, int] = {}
        for entity, _, _ in (p for predicted in peer for p in predicted):
            peer_types[entity] = peer_types.get(entity, 0) + 1
        line += f"; Presidio patterns {sum(peer_types.values())} {peer_types}"
    print(line)
    examples = [
        (entity, text[start:end])
        for text, predicted in zip(clean, engine_predictions(engine, clean), strict=True)
        for entity, start, end in predicted
    ]
    for entity, value in examples[:8]:
        print(f"  false alarm: {entity} {value!r}")


def _presidio_predictions(python: str | None, texts: list[str]) -> list[list[Prediction]] | None:
    if python is None:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "texts.json"
        path.write_text(json.dumps(texts))
        done = subprocess.run(
            [python, "-c", _PRESIDIO, str(path)], capture_output=True, text=True, check=True
        )
    return [[tuple(p) for p in predicted] for predicted in json.loads(done.stdout)]  # type: ignore[misc]


#: Presidio's pattern recognizers for the types the engine covers (no spaCy model here).
_PRESIDIO_RECOGNIZERS = """
from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, EmailRecognizer, IbanRecognizer,
    IpRecognizer, PhoneRecognizer, UsSsnRecognizer)
recognizers = [R() for R in (EmailRecognizer, PhoneRecognizer, CreditCardRecognizer, IbanRecognizer,
                             UsSsnRecognizer, IpRecognizer)]
"""

_PRESIDIO = (
    _PRESIDIO_RECOGNIZERS
    + """
import json, sys
texts = json.loads(open(sys.argv[1]).read())
print(json.dumps([
    [(r.entity_type, r.start, r.end) for rec in recognizers
     for r in rec.analyze(text, rec.supported_entities, None) if r.score >= 0.4]
    for text in texts
]))
"""
)


def benign_alarms(engine: Engine, corpora: Path) -> None:
    rows = [
        json.loads(line)
        for line in (corpora / "tool_descriptions_docker_registry_benign.jsonl").read_text().splitlines()
        if line.strip()
    ]
    alarms = [(r["tool_name"], m.rule) for r in rows for m in scan_json(r, engine)]
    print(f"docker benign tool descriptions: {len(alarms)} matches in {len(rows)} tools: {alarms[:5]}")


#: Real MCP server packages saved for the tests (the npm registry and PyPI), read, never run.
PACKAGES = ROOT / "tests" / "data" / "packages"
_SOURCE_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".py", ".json", ".md", ".txt", ".toml", ".yaml", ".yml")


def package_false_alarms(engine: Engine) -> None:
    """Matches in the text files of real MCP server releases: what a gateway would see of
    their code and documentation. A match here is a false alarm unless a package ships a
    secret, which would itself be news."""
    from mcpward.vet._archive import ArchiveError, read_archive

    archives = sorted(
        path for path in PACKAGES.rglob("*") if path.suffix in (".tgz", ".whl") and path.is_file()
    )
    latest: dict[Path, Path] = {}
    for archive in archives:  # one release per package: the last name in sort order
        latest[archive.parent] = archive
    files = size = 0
    alarms: list[tuple[str, str, str]] = []
    for archive in latest.values():
        try:
            package = read_archive(archive)
        except ArchiveError:
            continue
        for name, data in package.files.items():
            if not name.endswith(_SOURCE_SUFFIXES):
                continue
            files, size = files + 1, size + len(data)
            for match in engine.scan(data.decode("utf-8", errors="replace")):
                alarms.append((archive.parent.name, name, match.rule))
    by_rule: dict[str, int] = {}
    for _, _, rule in alarms:
        by_rule[rule] = by_rule.get(rule, 0) + 1
    print(
        f"real MCP server packages: {len(alarms)} matches in {files} text files "
        f"({size / 1e6:.1f} MB) of {len(latest)} packages; by rule: {dict(sorted(by_rule.items()))}"
    )
    for package_name, name, rule in alarms[:10]:
        print(f"  {package_name}/{name}: {rule}")


#: Presidio scans the first megabytes of the same messages only: at its speed the whole corpus
#: would take an hour.
PRESIDIO_MEGABYTES = 2


def throughput(
    corpora: Path, megabytes: int, detect_secrets_python: str | None, presidio_python: str | None
) -> None:
    """JSON-RPC messages as the gateway sees them: each parsed (with orjson, as the gateway
    does) and its strings scanned."""
    rows = [
        json.loads(line)
        for line in (corpora / "tool_descriptions_docker_registry_benign.jsonl").read_text().splitlines()
        if line.strip()
    ]
    cases = json.loads((corpora / "secrets_gitleaks_rule_cases.json").read_text())
    randomness = random.Random(7)
    parts, size = [], 0
    while size < megabytes * 1024 * 1024:
        item: dict[str, Any] = {
            "jsonrpc": "2.0",
            "id": size,
            "result": {"tools": randomness.sample(rows, 20)},
        }
        if randomness.random() < 0.05:
            item["result"]["note"] = randomness.choice(cases)["text"]
        text = json.dumps(item)
        parts.append(text)
        size += len(text)
    megabytes_total = size / 1024 / 1024
    rates: dict[str, float] = {}
    for label, engine in (
        ("mcpward, Hyperscan", Engine()),
        ("mcpward, pure Python", Engine(use_hyperscan=False)),
    ):
        started = time.perf_counter()
        count = sum(len(scan_json(orjson.loads(message), engine)) for message in parts)
        elapsed = time.perf_counter() - started
        rates[label] = megabytes_total / elapsed
        print(
            f"throughput ({label}): {megabytes_total:.0f} MB of JSON messages in {elapsed:.2f} s = "
            f"{megabytes_total / elapsed:.1f} MB/s, {count} matches"
        )
    if detect_secrets_python:
        seconds, count = _time_peer(detect_secrets_python, _DETECT_SECRETS, parts)
        rate = megabytes_total / float(seconds)
        print(
            f"throughput (detect-secrets, line by line, same messages): {megabytes_total:.0f} MB in "
            f"{float(seconds):.2f} s = {rate:.2f} MB/s, {count} reported; "
            f"mcpward (Hyperscan) is {rates['mcpward, Hyperscan'] / rate:.0f} times as fast"
        )
    if presidio_python:
        sample, sample_size = [], 0
        for message in parts:
            if sample_size >= PRESIDIO_MEGABYTES * 1024 * 1024:
                break
            sample.append(message)
            sample_size += len(message)
        seconds, count = _time_peer(presidio_python, _PRESIDIO_THROUGHPUT, sample)
        rate = sample_size / 1024 / 1024 / float(seconds)
        print(
            f"throughput (Presidio pattern recognizers, string by string, the first "
            f"{sample_size / 1024 / 1024:.1f} MB of the same messages): {float(seconds):.2f} s = "
            f"{rate:.3f} MB/s, {count} reported; "
            f"mcpward (Hyperscan) is {rates['mcpward, Hyperscan'] / rate:.0f} times as fast"
        )


def _time_peer(python: str, script: str, messages: list[str]) -> tuple[str, str]:
    """Run a peer's timing script on the messages (one per line): its seconds and its count."""
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "messages.jsonl"
        corpus.write_text("\n".join(messages))
        done = subprocess.run([python, "-c", script, str(corpus)], capture_output=True, text=True, check=True)
    seconds, count = done.stdout.split()
    return seconds, count


_PRESIDIO_THROUGHPUT = (
    _PRESIDIO_RECOGNIZERS
    + """
import json, sys, time
def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from strings(child)
lines = open(sys.argv[1]).read().splitlines()
started = time.perf_counter()
count = 0
for line in lines:
    for text in strings(json.loads(line)):
        count += sum(len(r.analyze(text, r.supported_entities, None)) for r in recognizers)
print(time.perf_counter() - started, count)
"""
)


_DETECT_SECRETS = """
import sys, time
from detect_secrets.core.scan import scan_line
from detect_secrets.settings import default_settings
lines = open(sys.argv[1]).read().splitlines()
with default_settings():
    started = time.perf_counter()
    count = sum(1 for line in lines for _ in scan_line(line))
    print(time.perf_counter() - started, count)
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--presidio", metavar="PYTHON", help="a Python with presidio-analyzer installed")
    parser.add_argument(
        "--detect-secrets",
        metavar="PYTHON",
        help="a Python with detect-secrets installed, to time it on the same messages",
    )
    parser.add_argument(
        "--pii-data",
        type=Path,
        action="append",
        default=[],
        metavar="JSON",
        help="more labelled PII sentences in Presidio-research's format, one source per file",
    )
    parser.add_argument(
        "--pii-only", action="store_true", help="personal data only: no secrets, no throughput"
    )
    args = parser.parse_args()
    engine = Engine()
    if args.pii_only:
        pii_quality(engine, args.corpora, args.pii_data, args.presidio)
        return
    secrets_quality(engine, args.corpora)
    if args.detect_secrets:
        detect_secrets_quality(args.detect_secrets, args.corpora)
    pii_quality(engine, args.corpora, args.pii_data, args.presidio)
    if args.pii_only:
        return
    package_false_alarms(engine)
    benign_alarms(engine, args.corpora)
    throughput(args.corpora, args.megabytes, args.detect_secrets, args.presidio)


if __name__ == "__main__":
    main()
