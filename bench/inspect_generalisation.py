"""How ``mcpward inspect`` holds on sources it was not trained or tuned on.

    python bench/inspect_generalisation.py [--corpora ../shared/corpora] [--cisco MCP_SCANNER]

Leave-one-source-out: for each source of the shared corpora, the learned scorer is trained on
every other source, its threshold chosen on benign tools of those sources that were held back
from its training, and the whole of ``inspect`` (rules and scorer) is then measured on the
source left out. A tool counts as flagged when it has a finding of at least medium severity.
Tools are inspected as a client lists them: grouped per server, the servers of one source
together (so cross-server checks see the other servers of that source).

Sources (rows carry a ``source`` field; see the corpora's README):

- malicious: Cisco's remote malicious server; each upstream project of
  ``tool_descriptions_poisoned_mixed.jsonl`` (its benign companion tools of the same fixture
  servers are inspected with them and reported as a benign set); the tool-poisoning-bench
  injections of ``injections_agents_mixed.jsonl`` (tool outputs, read as descriptions);
- benign: the Docker registry's tools, ``tool_descriptions_benign_servers.jsonl`` (per
  server), Cisco's benign servers, NotInject prompts read as descriptions.

BIPIA's code-attack instructions are training data for the scorer only (never measured).
The rules are hand-written and the same in every fold: they were written from the public
attack taxonomy and unit cases of our own, not from these rows; they are measured here.
Cisco mcp-scanner's offline YARA analyzer (``--cisco``) is run on the same rows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from inspect_corpora import cisco_flags  # noqa: E402
from mcpward.inspect import ServerSurface, inspect_servers  # noqa: E402
from mcpward.inspect._scorer import Scorer, features, train  # noqa: E402
from mcpward.inspect._surface import tool_item  # noqa: E402
from mcpward.model import Finding, Severity  # noqa: E402

#: The share of calibration benign tools a threshold may flag on its own.
TARGET_FALSE_POSITIVES = 0.002
MIN_THRESHOLD = 0.65
L2 = 3e-3
#: One benign server (or group) in this many is held back from training to choose the threshold.
CALIBRATION_SHARE = 4


@dataclass(slots=True)
class Row:
    source: str  # the left-out unit
    server: str
    tool: dict[str, Any]
    label: int  # 1 malicious, 0 benign
    family: str = ""
    features: list[str] = field(default_factory=list)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _schema(row: dict[str, Any]) -> dict[str, Any]:
    schema = row.get("inputSchema")
    if isinstance(schema, dict):
        return schema
    return {"type": "object", "properties": {name: {"type": "string"} for name in row.get("params", [])}}


def _tool(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "description": description, "inputSchema": schema or {"type": "object"}}


def load(corpora: Path) -> list[Row]:
    rows: list[Row] = []
    for line in _lines(corpora / "tool_descriptions_cisco_remote.jsonl"):
        malicious = line["label"] == "malicious"
        rows.append(
            Row(
                "cisco-remote malicious" if malicious else "cisco-remote benign",
                line["source"].rsplit("/", 1)[-1],
                _tool(line["tool_name"], line.get("description", ""), _schema(line)),
                int(malicious),
            )
        )
    for line in _lines(corpora / "tool_descriptions_poisoned_mixed.jsonl"):
        project = line["source"].split(":", 1)[0]
        malicious = line["label"] != "benign"
        rows.append(
            Row(
                f"poisoned_mixed {project}" if malicious else "poisoned_mixed benign companions",
                f"{project}/{line.get('server') or 'server'}",
                _tool(line["name"], line.get("description", ""), _schema(line)),
                int(malicious),
                line.get("category", "") if malicious else "",
            )
        )
    for index, line in enumerate(_lines(corpora / "injections_agents_mixed.jsonl")):
        if "tool-poisoning-bench" in line["source"] and line["label"] == "injection":
            rows.append(
                Row(
                    "agents_mixed tool-poisoning-bench",
                    "tool-poisoning-bench",
                    _tool(f"tool_result_{index}", line["text"]),
                    1,
                    line.get("category", ""),
                )
            )
    for line in _lines(corpora / "tool_descriptions_docker_registry_benign.jsonl"):
        rows.append(
            Row(
                "docker registry",
                line["server"],
                _tool(line["tool_name"], line.get("description", ""), _schema(line)),
                0,
            )
        )
    for line in _lines(corpora / "tool_descriptions_benign_servers.jsonl"):
        rows.append(
            Row(
                "benign_servers",
                line["server"],
                _tool(line["name"], line.get("description") or "", _schema(line)),
                0,
            )
        )
    for index, line in enumerate(_lines(corpora / "prompts_notinject_benign.jsonl")):
        rows.append(Row("notinject", "notinject", _tool(f"prompt_{index}", line["text"]), 0))
    for row in rows:
        row.features = features(_texts(row.tool))
    return rows


def bipia(corpora: Path) -> list[Row]:
    """Training-only malicious examples: injected instructions of BIPIA's code attacks."""
    data = json.loads((corpora / "injections_bipia_code_attack_test.json").read_text("utf-8"))
    rows = [
        Row("bipia (training only)", category, _tool("instruction", text), 1)
        for category, texts in data.items()
        for text in texts
    ]
    for row in rows:
        row.features = features(_texts(row.tool))
    return rows


def _texts(tool: dict[str, Any]) -> list[str]:
    properties = tool.get("inputSchema", {}).get("properties")
    names = [str(n) for n in properties] if isinstance(properties, dict) else []
    return [tool["name"], tool.get("description") or "", *names]


def _calibration(row: Row) -> bool:
    digest = hashlib.sha256(f"{row.source}/{row.server}".encode()).digest()
    return row.label == 0 and digest[0] % CALIBRATION_SHARE == 0


def fit(training: list[Row], calibration: list[Row]) -> Scorer:
    """Weights from ``training``; the threshold from benign ``calibration`` rows it never saw."""
    weights, bias = train([(r.features, r.label) for r in training], l2=L2)
    scorer = Scorer(weights, bias, 0.5)
    scores = sorted(scorer.probability(r.features) for r in calibration)
    cut = scores[min(len(scores) - 1, int(len(scores) * (1 - TARGET_FALSE_POSITIVES)))] if scores else 0
    return Scorer(weights, bias, max(MIN_THRESHOLD, round(cut + 1e-6, 6)))


def inspect_rows(rows: list[Row], scorer: Scorer | None) -> list[list[Finding]]:
    """Findings per row, the rows' servers inspected together."""
    servers: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        servers[row.server].append(index)
    # Tool names repeat inside some servers (fixtures with variants): each row gets its own.
    names = {i: f"{rows[i].tool['name']}" for i in range(len(rows))}
    for indices in servers.values():
        seen: Counter[str] = Counter()
        for i in indices:
            seen[names[i]] += 1
            if seen[names[i]] > 1:
                names[i] = f"{names[i]}~{seen[names[i]]}"
    surfaces = [
        ServerSurface(s, s, [tool_item(s, rows[i].tool | {"name": names[i]}) for i in indices])
        for s, indices in servers.items()
    ]
    findings = inspect_servers(surfaces, scorer=scorer, use_scorer=scorer is not None)
    by_tool: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        by_tool[(finding.server or "", finding.tool or "")].append(finding)
    return [by_tool.get((rows[i].server, names[i]), []) for i in range(len(rows))]


def _flagged(findings: list[Finding]) -> bool:
    return any(f.severity.rank >= Severity.MEDIUM.rank for f in findings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument(
        "--cisco", metavar="MCP_SCANNER", help="Cisco mcp-scanner, for its offline YARA analyzer"
    )
    parser.add_argument(
        "--show", action="store_true", help="print missed attacks and false positives (rule ids)"
    )
    args = parser.parse_args()
    rows = load(args.corpora)
    extra = bipia(args.corpora)
    sources = list(dict.fromkeys(r.source for r in rows))
    started = time.perf_counter()
    results: dict[str, tuple[list[Row], list[list[Finding]], float]] = {}
    for source in sources:
        others = [r for r in rows if r.source != source] + extra
        training = [r for r in others if not _calibration(r)]
        calibration = [r for r in others if _calibration(r)]
        scorer = fit(training, calibration)
        mine = [r for r in rows if r.source == source]
        results[source] = (mine, inspect_rows(mine, scorer), scorer.threshold)
    in_corpus = _in_corpus(rows, extra)
    print(f"leave-one-source-out over {len(sources)} sources in {time.perf_counter() - started:.0f} s")
    yara: dict[str, list[bool]] = {}
    if args.cisco:
        with tempfile.TemporaryDirectory() as scratch:
            for source in sources:
                mine = results[source][0]
                raw = [{"tool_name": r.tool["name"], **r.tool} for r in mine]
                yara[source] = cisco_flags(args.cisco, raw, Path(scratch))[0]
    _table(results, in_corpus, yara)
    _families(results, yara)
    if args.show:
        _show(results)


def _in_corpus(rows: list[Row], extra: list[Row]) -> dict[str, list[bool]]:
    """For comparison only: the scorer trained on everything (its threshold on held-back benign
    servers) and measured on the same rows, as the README used to report."""
    scorer = fit([r for r in rows + extra if not _calibration(r)], [r for r in rows if _calibration(r)])
    answer: dict[str, list[bool]] = {}
    for source in dict.fromkeys(r.source for r in rows):
        mine = [r for r in rows if r.source == source]
        answer[source] = [_flagged(f) for f in inspect_rows(mine, scorer)]
    return answer


def _rate(marks: list[bool]) -> str:
    return f"{sum(marks)}/{len(marks)} = {sum(marks) / max(1, len(marks)):.1%}"


def _table(
    results: dict[str, tuple[list[Row], list[list[Finding]], float]],
    in_corpus: dict[str, list[bool]],
    yara: dict[str, list[bool]],
) -> None:
    print(f"{'source':44s} {'kind':9s} {'left-out':>17s} {'in-corpus':>17s} {'Cisco YARA':>17s}  threshold")
    totals: dict[str, list[list[bool]]] = {"malicious": [[], [], []], "benign": [[], [], []]}
    for source, (mine, findings, threshold) in results.items():
        kind = "malicious" if mine[0].label else "benign"
        marks = [_flagged(f) for f in findings]
        cisco = yara.get(source, [])
        totals[kind][0] += marks
        totals[kind][1] += in_corpus[source]
        totals[kind][2] += cisco
        measure = "recall" if kind == "malicious" else "FP"
        print(
            f"{source[:44]:44s} {measure:9s} {_rate(marks):>17s} {_rate(in_corpus[source]):>17s} "
            f"{_rate(cisco) if cisco else '-':>17s}  {threshold:.3f}"
        )
    for kind, (marks, inside, cisco) in totals.items():
        print(
            f"{'all ' + kind:44s} {'recall' if kind == 'malicious' else 'FP':9s} {_rate(marks):>17s} "
            f"{_rate(inside):>17s} {_rate(cisco) if cisco else '-':>17s}"
        )


def _families(
    results: dict[str, tuple[list[Row], list[list[Finding]], float]], yara: dict[str, list[bool]]
) -> None:
    """Recall per attack family where the data names one (left out), and which rules fired."""
    by_family: dict[str, list[bool]] = defaultdict(list)
    by_family_yara: dict[str, list[bool]] = defaultdict(list)
    fired: Counter[str] = Counter()
    named: Counter[str] = Counter()
    for source, (mine, findings, _) in results.items():
        for position, (row, found) in enumerate(zip(mine, findings, strict=True)):
            if row.label:
                for family in {
                    f.family for f in found if f.severity.rank >= Severity.MEDIUM.rank and f.family
                }:
                    named[family.value] += 1
                if row.family:
                    by_family[row.family].append(_flagged(found))
                    if source in yara:
                        by_family_yara[row.family].append(yara[source][position])
                for rule in {f.rule for f in found if f.severity.rank >= Severity.MEDIUM.rank}:
                    fired[rule] += 1
    print("recall per attack family (left out; families as the data names them):")
    for family, marks in sorted(by_family.items()):
        cisco = by_family_yara.get(family)
        print(f"  {family:36s} {_rate(marks):>15s}   Cisco YARA {_rate(cisco) if cisco else '-'}")
    print("rules (medium+) firing on malicious rows:", ", ".join(f"{r} {n}" for r, n in fired.most_common()))
    print(
        "attack families inspect names on malicious rows (medium+, a row may have several):",
        ", ".join(f"{f} {n}" for f, n in named.most_common()),
    )


def _show(results: dict[str, tuple[list[Row], list[list[Finding]], float]]) -> None:
    for source, (mine, findings, _) in results.items():
        for row, found in zip(mine, findings, strict=True):
            if row.label and not _flagged(found):
                print(f"  MISS {source}: {row.tool['name']}: {row.tool['description'][:160]!r}")
            elif not row.label and _flagged(found):
                rules = sorted({f.rule for f in found if f.severity.rank >= Severity.MEDIUM.rank})
                evidence = "; ".join(f.evidence or "" for f in found)[:100]
                print(f"  FP {source} [{row.server}] {row.tool['name']}: {rules} {evidence!r}")


if __name__ == "__main__":
    main()
