"""Detection quality and speed of ``mcpward inspect`` on the shared corpora.

    python bench/inspect_corpora.py [--corpora ../shared/corpora]

Recall on the malicious tools and false-positive rate on the benign tools of
``tool_descriptions_cisco_remote.jsonl``, false-positive rate on
``tool_descriptions_docker_registry_benign.jsonl`` (a tool counts as flagged when it has a
finding of at least medium severity), and tools per second on a tools file of 10,000 tools.
These are in-corpus figures; the headline, measured on sources left out, is
``bench/inspect_generalisation.py``'s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from mcpward.inspect import ServerSurface, inspect_servers
from mcpward.inspect._surface import tool_item
from mcpward.model import Severity

ROOT = Path(__file__).resolve().parents[1]


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _tool(row: dict[str, Any]) -> dict[str, Any]:
    schema = row.get("inputSchema") or {
        "type": "object",
        "properties": {name: {"type": "string"} for name in row.get("params", [])},
    }
    return {"name": row["tool_name"], "description": row.get("description", ""), "inputSchema": schema}


def flagged(rows: list[dict[str, Any]], threshold: Severity, *, use_scorer: bool = True) -> list[bool]:
    """Inspect the rows grouped by their server (source file), as a client would list them."""
    servers: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for index, row in enumerate(rows):
        servers[row.get("server") or row["source"]].append((index, _tool(row)))
    surfaces = [
        ServerSurface(name, name, [tool_item(name, tool) for _, tool in tools])
        for name, tools in servers.items()
    ]
    findings = inspect_servers(surfaces, use_scorer=use_scorer)
    hit = {(f.server, f.tool) for f in findings if f.severity.rank >= threshold.rank}
    result = [False] * len(rows)
    for name, tools in servers.items():
        for index, tool in tools:
            result[index] = (name, tool["name"]) in hit
    return result


def cisco_flags(scanner: str, rows: list[dict[str, Any]], scratch: Path) -> tuple[list[bool], float]:
    """Cisco mcp-scanner's offline YARA analyzer on the same tools: (flagged per row, seconds)."""
    tools = [_tool(row) | {"name": f"{row['tool_name']}__{index}"} for index, row in enumerate(rows)]
    path = scratch / "cisco-tools.json"
    path.write_text(json.dumps({"tools": tools}))
    started = time.perf_counter()
    done = subprocess.run(
        [scanner, "--analyzers", "yara", "--format", "raw", "static", "--tools", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    unsafe = {r["tool_name"] for r in json.loads(done.stdout)["scan_results"] if r.get("is_safe") is False}
    return [tool["name"] in unsafe for tool in tools], elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument(
        "--speed-only", action="store_true", help="time the 10,000 tools only (no detection figures)"
    )
    parser.add_argument("--show-misses", action="store_true", help="print undetected malicious tools")
    parser.add_argument(
        "--cisco",
        metavar="MCP_SCANNER",
        help="path of Cisco's mcp-scanner, to compare with its offline YARA analyzer on the same files",
    )
    args = parser.parse_args()
    cisco = _rows(args.corpora / "tool_descriptions_cisco_remote.jsonl")
    docker = _rows(args.corpora / "tool_descriptions_docker_registry_benign.jsonl")
    if args.speed_only:
        _speed(docker)
        return
    print(
        "Rules alone, in-corpus (figures on sources left out, scorer included, are "
        "bench/inspect_generalisation.py's):"
    )
    for threshold in (Severity.MEDIUM, Severity.HIGH):
        marks = flagged(cisco, threshold, use_scorer=False)
        malicious = [m for m, r in zip(marks, cisco, strict=True) if r["label"] == "malicious"]
        benign = [m for m, r in zip(marks, cisco, strict=True) if r["label"] == "benign"]
        docker_marks = flagged(docker, threshold, use_scorer=False)
        print(
            f"threshold {threshold.value}+: cisco recall {sum(malicious)}/{len(malicious)} = "
            f"{sum(malicious) / len(malicious):.1%}, cisco benign FPR {sum(benign)}/{len(benign)} = "
            f"{sum(benign) / len(benign):.1%}, docker benign FPR {sum(docker_marks)}/{len(docker_marks)} = "
            f"{sum(docker_marks) / len(docker_marks):.1%}"
        )
    if args.cisco:
        with tempfile.TemporaryDirectory() as scratch:
            cisco_marks, _ = cisco_flags(args.cisco, cisco, Path(scratch))
            docker_cisco, seconds = cisco_flags(args.cisco, docker, Path(scratch))
            _rates("Cisco mcp-scanner YARA (same files)", cisco_marks, cisco, docker_cisco)
            print(
                f"  Cisco mcp-scanner YARA: {len(docker)} tools in {seconds:.2f} s as a command, "
                f"{len(docker) / seconds:,.0f} tools per second"
            )
    if args.show_misses:
        marks = flagged(cisco, Severity.MEDIUM)
        for mark, row in zip(marks, cisco, strict=True):
            if not mark and row["label"] == "malicious":
                print("  missed:", row["description"][:120])
    _speed(docker)


def _speed(docker: list[dict[str, Any]]) -> None:
    tools = [
        _tool(docker[i % len(docker)]) | {"name": f"{docker[i % len(docker)]['tool_name']}_{i}"}
        for i in range(10_000)
    ]
    started = time.perf_counter()
    inspect_servers([ServerSurface("big", "big", [tool_item("big", tool) for tool in tools])])
    elapsed = time.perf_counter() - started
    print(
        f"10,000 tools inspected in {elapsed * 1000:.0f} ms: "
        f"{10_000 / elapsed:,.0f} tools per second (in-process)"
    )
    fleet = [
        ServerSurface(f"server{n}", f"server{n}", [tool_item(f"server{n}", t) for t in tools[n::20]])
        for n in range(20)
    ]
    started = time.perf_counter()
    inspect_servers(fleet)
    elapsed = time.perf_counter() - started
    print(
        f"the same 10,000 tools as 20 servers (cross-server checks: look-alike names, shadowing) "
        f"in {elapsed * 1000:.0f} ms: {10_000 / elapsed:,.0f} tools per second (in-process)"
    )
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        tools_file = folder / "tools.json"
        tools_file.write_text(json.dumps({"tools": tools}))
        fleet_files = []
        for n in range(20):
            fleet_files += ["--tools-file", str(folder / f"server{n}.json")]
            (folder / f"server{n}.json").write_text(json.dumps({"tools": tools[n::20]}))
        pins = str(folder / "pins.json")
        single = ["--tools-file", str(tools_file), "--pins", pins]
        _time_command("10,000 tools, first look", single)
        _time_command("10,000 tools as 20 files (servers), first look", [*fleet_files, "--pins", pins])
        _command([*single, "--pin"])  # approve them: later runs compare every signature
        _time_command("10,000 tools, against their pins", single)


def _command(arguments: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the command and its forked workers)."""
    mcpward = shutil.which("mcpward") or str(Path(sys.executable).with_name("mcpward"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([mcpward, "inspect", *arguments, "-f", "json", "-o", os.devnull], check=True, env=env)
    elapsed = time.perf_counter() - started
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (now.ru_utime - used.ru_utime) + (now.ru_stime - used.ru_stime)


def _time_command(title: str, arguments: list[str]) -> None:
    """The median of five runs of the whole command (after one warm-up): one run on a 2-core
    machine is noisy. CPU seconds beside wall time: on a shared machine the wall time carries
    the other jobs' load, the CPU time much less so."""
    _command(arguments)
    runs = [_command(arguments) for _ in range(5)]
    walls = sorted(wall for wall, _ in runs)
    cpus = sorted(cpu for _, cpu in runs)
    print(
        f"mcpward inspect, {title} (whole command): median {walls[2] * 1000:.0f} ms, "
        f"{10_000 / walls[2]:,.0f} tools per second "
        f"(fastest {walls[0] * 1000:.0f} ms, slowest {walls[-1] * 1000:.0f} ms, of 5 runs); "
        f"CPU user+system median {cpus[2] * 1000:.0f} ms (least {cpus[0] * 1000:.0f} ms); "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def _rates(title: str, marks: list[bool], cisco: list[dict[str, Any]], docker_marks: list[bool]) -> None:
    malicious = [m for m, r in zip(marks, cisco, strict=True) if r["label"] == "malicious"]
    benign = [m for m, r in zip(marks, cisco, strict=True) if r["label"] == "benign"]
    print(
        f"  {title}: cisco recall {sum(malicious) / len(malicious):.1%}, cisco benign FPR "
        f"{sum(benign) / len(benign):.1%}, docker benign FPR {sum(docker_marks) / len(docker_marks):.1%}"
    )


if __name__ == "__main__":
    main()
