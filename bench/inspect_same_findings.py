"""Whether a change to ``mcpward inspect`` left its findings exactly as they were.

    python bench/inspect_same_findings.py --write before.json   # on the old code
    python bench/inspect_same_findings.py --against before.json # on the new code

Records every finding (all its fields: rule, family, severity, tool, field, evidence,
message, ...) on every row of the shared corpora's tool-description files (each source's
servers inspected together as ``bench/inspect_generalisation.py`` does, and every source's
servers together, which exercises the cross-server checks), on the speed bench's 10,000
tools in process (one server, 20 servers), and in the JSON the command writes for them
(one file and 20 files on a first look, one file against its pins). A speed change must
leave all of it identical. Exit status 1 when something differs.

Runs with ``PYTHONHASHSEED=0`` (it starts itself again so): the learned scorer's evidence
lists its strongest words, and words of equal weight come in a set's order, which string
hashing otherwise changes from run to run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from inspect_corpora import _rows, _tool  # noqa: E402
from inspect_generalisation import Row, inspect_rows, load  # noqa: E402
from mcpward.inspect import ServerSurface, inspect_servers  # noqa: E402
from mcpward.inspect._surface import tool_item  # noqa: E402
from mcpward.model import Finding  # noqa: E402


def _plain(finding: Finding) -> dict[str, Any]:
    return {
        key: (value.value if hasattr(value, "value") else value)
        for key, value in dataclasses.asdict(finding).items()
    }


def _corpus_findings(corpora: Path) -> dict[str, list[Any]]:
    rows = load(corpora)
    by_source: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_source[row.source].append(row)
    recorded: dict[str, list[Any]] = {}
    for source, mine in sorted(by_source.items()):
        # The shipped scorer and the rules alone, each source's servers together.
        recorded[f"corpus {source}, rules"] = [[_plain(f) for f in fs] for fs in inspect_rows(mine, None)]
        surfaces = _surfaces(mine)
        recorded[f"corpus {source}, shipped scorer"] = [_plain(f) for f in inspect_servers(surfaces)]
    recorded["corpus, every source together"] = [_plain(f) for f in inspect_servers(_surfaces(rows))]
    return recorded


def _surfaces(rows: list[Row]) -> list[ServerSurface]:
    servers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for index, row in enumerate(rows):
        # Unique names: fixtures repeat a tool's name with variants.
        servers[row.server].append(row.tool | {"name": f"{row.tool['name']}~{index}"})
    return [ServerSurface(s, s, [tool_item(s, tool) for tool in tools]) for s, tools in servers.items()]


def _speed_findings(corpora: Path) -> dict[str, list[Any]]:
    """The 10,000 tools of ``bench/inspect_corpora.py``, built the same way."""
    docker = _rows(corpora / "tool_descriptions_docker_registry_benign.jsonl")
    tools = [
        _tool(docker[i % len(docker)]) | {"name": f"{docker[i % len(docker)]['tool_name']}_{i}"}
        for i in range(10_000)
    ]
    recorded: dict[str, list[Any]] = {}
    one = [ServerSurface("big", "big", [tool_item("big", tool) for tool in tools])]
    recorded["10,000 tools, one server"] = [_plain(f) for f in inspect_servers(one)]
    fleet = [
        ServerSurface(f"server{n}", f"server{n}", [tool_item(f"server{n}", t) for t in tools[n::20]])
        for n in range(20)
    ]
    recorded["10,000 tools, 20 servers"] = [_plain(f) for f in inspect_servers(fleet)]
    mcpward = shutil.which("mcpward") or str(Path(sys.executable).with_name("mcpward"))
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        (folder / "tools.json").write_text(json.dumps({"tools": tools}))
        fleet_files: list[str] = []
        for n in range(20):
            fleet_files += ["--tools-file", str(folder / f"server{n}.json")]
            (folder / f"server{n}.json").write_text(json.dumps({"tools": tools[n::20]}))
        pins = str(folder / "pins.json")
        single = ["--tools-file", str(folder / "tools.json"), "--pins", pins]

        def command(title: str, arguments: list[str], *, record: bool = True) -> None:
            output = folder / "out.json"
            subprocess.run(
                [mcpward, "inspect", *arguments, "-f", "json", "-o", str(output)],
                check=False,
            )
            if record:
                report = json.loads(output.read_text("utf-8"))
                text = json.dumps(report, sort_keys=True).replace(str(folder), "FOLDER")
                report = json.loads(text)
                report.pop("generated_at", None)
                recorded[f"command: {title}"] = [report]

        command("one file, first look", single)
        command("20 files, first look", [*fleet_files, "--pins", pins])
        command("pin", [*single, "--pin"], record=False)
        (folder / "tools.json").write_text(
            json.dumps({"tools": [*tools[:5000], tools[5000] | {"description": "changed"}, *tools[5002:]]})
        )
        command("one file, against its pins (one changed, one removed)", single)
    return recorded


def main() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable, *sys.argv], os.environ | {"PYTHONHASHSEED": "0"})
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="record the findings in this file")
    group.add_argument("--against", type=Path, help="compare with findings recorded earlier")
    args = parser.parse_args()
    recorded = _corpus_findings(args.corpora) | _speed_findings(args.corpora)
    counts = {name: len(items) for name, items in recorded.items()}
    if args.write:
        args.write.write_text(json.dumps(recorded, sort_keys=True, indent=0))
        print(f"recorded {sum(counts.values()):,} entries in {len(recorded)} sets to {args.write}")
        return
    before = json.loads(args.against.read_text("utf-8"))
    now = json.loads(json.dumps(recorded, sort_keys=True))
    differing = 0
    for name in sorted(set(before) | set(now)):
        if before.get(name) != now.get(name):
            differing += 1
            old, new = before.get(name) or [], now.get(name) or []
            print(f"DIFFERS: {name}: {len(old)} entries before, {len(new)} now")
            for index, (a, b) in enumerate(zip(old, new, strict=False)):
                if a != b:
                    print(f"  first difference at entry {index}:\n    before {a}\n    now    {b}")
                    break
    findings = sum(len(entry) if isinstance(entry, list) else 1 for items in now.values() for entry in items)
    print(
        f"{len(now)} sets compared, {differing} differ "
        f"({sum(counts.values()):,} entries, {findings:,} findings or reports)"
    )
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
