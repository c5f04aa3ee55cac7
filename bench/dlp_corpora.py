"""Detection quality and throughput of the DLP engine on the shared corpora.

    python bench/dlp_corpora.py [--corpora ../shared/corpora] [--megabytes 50]

- secrets: gitleaks rule cases (``tp`` must be flagged, ``fp`` must not) and detect-secrets
  plugin cases (``should_flag``): recall and precision;
- personal data: Presidio's generated sentences, for the entity types the engine covers: a span
  counts as found when a match of the same type overlaps it;
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


def pii_quality(engine: Engine, corpora: Path) -> None:
    rows = json.loads((corpora / "pii_presidio_generated_small.json").read_text())
    found = total = false_alarms = reported = 0
    for row in rows:
        matches = [m for m in engine.scan(row["full_text"]) if m.kind == "pii"]
        reported += len(matches)
        spans = [s for s in row["spans"] if s["entity_type"] in PRESIDIO_TYPES]
        for span in spans:
            wanted = PRESIDIO_TYPES[span["entity_type"]]
            wanted = wanted if isinstance(wanted, tuple) else (wanted,)
            total += 1
            found += any(
                m.rule in wanted and m.start < span["end_position"] and m.end > span["start_position"]
                for m in matches
            )
        for match in matches:
            if not any(
                match.start < s["end_position"] and match.end > s["start_position"] for s in row["spans"]
            ):
                false_alarms += 1
    print(
        f"presidio generated (types covered): recall {found}/{total} = {found / max(1, total):.1%}, "
        f"precision {reported - false_alarms}/{reported} = {(reported - false_alarms) / max(1, reported):.1%}"
    )


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
import json, sys, time
from pathlib import Path
rows = json.loads((Path(sys.argv[1]) / "pii_presidio_generated_small.json").read_text())
covered = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS"}
found = total = reported = false_alarms = 0
started = time.perf_counter()
for row in rows:
    results = [r for rec in recognizers for r in rec.analyze(row["full_text"], rec.supported_entities, None)
               if r.score >= 0.4]
    reported += len(results)
    for span in (s for s in row["spans"] if s["entity_type"] in covered):
        total += 1
        found += any(r.entity_type == span["entity_type"] and r.start < span["end_position"]
                     and r.end > span["start_position"] for r in results)
    for r in results:
        if not any(r.start < s["end_position"] and r.end > s["start_position"] for s in row["spans"]):
            false_alarms += 1
elapsed = time.perf_counter() - started
print(f"presidio pattern recognizers (no spaCy model here), same sentences: recall {found}/{total} = "
      f"{found / max(1, total):.1%}, precision {reported - false_alarms}/{reported} = "
      f"{(reported - false_alarms) / max(1, reported):.1%}, {len(rows) / elapsed:,.0f} sentences per second")
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
    args = parser.parse_args()
    engine = Engine()
    secrets_quality(engine, args.corpora)
    if args.detect_secrets:
        detect_secrets_quality(args.detect_secrets, args.corpora)
    pii_quality(engine, args.corpora)
    package_false_alarms(engine)
    if args.presidio:
        done = subprocess.run(
            [args.presidio, "-c", _PRESIDIO, str(args.corpora)], capture_output=True, text=True, check=True
        )
        print(done.stdout.strip().splitlines()[-1])
    benign_alarms(engine, args.corpora)
    throughput(args.corpora, args.megabytes, args.detect_secrets, args.presidio)


if __name__ == "__main__":
    main()
