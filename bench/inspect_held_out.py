"""``mcpward inspect`` on public benchmarks it was never developed on, as shipped.

    python bench/inspect_held_out.py [--data bench/data/held_out_tools.jsonl] [--cisco MCP_SCANNER] [--show]

The data (``bench/build_held_out_tools.py`` writes it; each row names its repository, path,
commit and licence) is not in the shared corpora, and nothing is trained or tuned here: the
detectors and the shipped scorer weights are used as they are. A tool counts as flagged when it
has a finding of at least medium severity, as in the other inspect benches.

How the tools are inspected, per set, as a client would list them:

- benign side: the set's real servers inspected together (false positives per tool);
- malicious side: each attack server (one task's modified or added tools, or one MSB variant
  file) inspected together with the set's real servers, so cross-server checks (shadowing,
  function overlapping, redirects) see the tools the attack aims at. Recall per tool row.

Cisco mcp-scanner's offline YARA analyzer (``--cisco``) is run on the same rows in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from inspect_corpora import cisco_flags  # noqa: E402
from mcpward.inspect import ServerSurface, inspect_servers  # noqa: E402
from mcpward.inspect._surface import tool_item  # noqa: E402
from mcpward.model import Finding, Severity  # noqa: E402


def _tool(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "description": row["description"], "inputSchema": row["inputSchema"]}


def _inspect(servers: dict[str, list[dict[str, Any]]]) -> dict[tuple[str, str], list[Finding]]:
    surfaces = [
        ServerSurface(name, name, [tool_item(name, _tool(r)) for r in rows]) for name, rows in servers.items()
    ]
    found: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in inspect_servers(surfaces):
        found[(finding.server or "", finding.tool or "")].append(finding)
    return found


def _flagged(findings: list[Finding]) -> bool:
    return any(f.severity.rank >= Severity.MEDIUM.rank for f in findings)


def measure(rows: list[dict[str, Any]]) -> list[list[Finding]]:
    """Findings per row of one set, inspected as the module docstring says."""
    benign: dict[str, list[dict[str, Any]]] = defaultdict(list)
    attacks: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        if row["label"] == "benign":
            benign[row["server"]].append(row)
        else:
            attacks[row["server"]].append(index)
    answer: list[list[Finding]] = [[] for _ in rows]
    clean = _inspect(benign)
    for index, row in enumerate(rows):
        if row["label"] == "benign":
            answer[index] = clean.get((row["server"], row["name"]), [])
    for server, indices in attacks.items():
        # A row's name may repeat inside one attack server (a task listing a tool twice).
        names = {
            i: rows[i]["name"]
            if [rows[j]["name"] for j in indices].count(rows[i]["name"]) == 1
            else f"{rows[i]['name']}~{i}"
            for i in indices
        }
        found = _inspect({**benign, server: [rows[i] | {"name": names[i]} for i in indices]})
        for i in indices:
            answer[i] = found.get((server, names[i]), [])
    return answer


def _rate(marks: list[bool]) -> str:
    return f"{sum(marks)}/{len(marks)} = {sum(marks) / max(1, len(marks)):.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "held_out_tools.jsonl")
    parser.add_argument(
        "--cisco", metavar="MCP_SCANNER", help="Cisco mcp-scanner, for its offline YARA analyzer"
    )
    parser.add_argument("--show", action="store_true", help="print misses and false positives (rule ids)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text("utf-8").splitlines() if line.strip()]
    sets = list(dict.fromkeys(r["set"] for r in rows))
    all_marks: dict[str, list[bool]] = {"malicious": [], "benign": []}
    all_cisco: dict[str, list[bool]] = {"malicious": [], "benign": []}
    for set_name in sets:
        mine = [r for r in rows if r["set"] == set_name and not (r["label"] == "benign" and r["in_corpora"])]
        started = time.perf_counter()
        findings = measure(mine)
        elapsed = time.perf_counter() - started
        marks = [_flagged(f) for f in findings]
        cisco: list[bool] = []
        if args.cisco:
            with tempfile.TemporaryDirectory() as scratch:
                raw = [{"tool_name": r["name"], **_tool(r)} for r in mine]
                cisco = cisco_flags(args.cisco, raw, Path(scratch))[0]
        print(f"== {set_name} ({elapsed:.1f} s)")
        print(f"  {'':52s} {'mcpward inspect':>17s} {'Cisco YARA':>17s}")
        by_family: dict[str, list[int]] = defaultdict(list)
        for index, row in enumerate(mine):
            by_family[row["family"] if row["label"] == "malicious" else ""].append(index)
        for label in ("malicious", "benign"):
            indices = [i for i, r in enumerate(mine) if r["label"] == label]
            if not indices:
                continue
            ours = [marks[i] for i in indices]
            theirs = [cisco[i] for i in indices] if cisco else []
            all_marks[label] += ours
            all_cisco[label] += theirs
            title = "all malicious (recall)" if label == "malicious" else "benign tools of real servers (FP)"
            print(f"  {title:52s} {_rate(ours):>17s} {_rate(theirs) if theirs else '-':>17s}")
            if label == "malicious":
                for family, members in sorted(by_family.items()):
                    if family:
                        field = mine[members[0]]["field"]
                        name = family + (" [tool output]" if field == "output" else "")
                        print(
                            f"    {name[:50]:50s} {_rate([marks[i] for i in members]):>17s} "
                            f"{_rate([cisco[i] for i in members]) if cisco else '-':>17s}"
                        )
        if args.show:
            for row, found, mark in zip(mine, findings, marks, strict=True):
                if row["label"] == "malicious" and not mark:
                    print(f"    MISS [{row['family']}] {row['name']}: {row['description'][:150]!r}")
                elif row["label"] == "benign" and mark:
                    rules = sorted({f.rule for f in found if f.severity.rank >= Severity.MEDIUM.rank})
                    print(f"    FP [{row['server']}] {row['name']}: {rules} {row['description'][:100]!r}")
    if len(sets) > 1:
        print("== all sets")
        for label in ("malicious", "benign"):
            theirs = all_cisco[label]
            print(f"  {label:52s} {_rate(all_marks[label]):>17s} {_rate(theirs) if theirs else '-':>17s}")


if __name__ == "__main__":
    main()
