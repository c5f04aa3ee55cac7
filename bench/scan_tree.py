"""Benchmark: ``mcpward scan --path`` over a large tree, beside ``find`` walking the same tree.

Builds (once, then reuses) a tree of 2,000 projects with 50 files each (100,000 files): source
files, READMEs, package manifests and lock files, and in one project in ten an MCP config of
some host. No directory in it is one the scan skips by default, so both tools walk exactly the
same directories. Each command runs ``--repeat`` times after one warm-up run (page cache warm
for both); the median wall and CPU times and their ratios to ``find`` are printed (on a shared
machine the CPU times are the steadier figure).

    python bench/scan_tree.py [--root /tmp/mcpward-bench-tree] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECTS = 2_000
FILES_PER_PROJECT = 50
MARKER = ".mcpward-bench-tree-v1"


def build_tree(root: Path) -> int:
    if (root / MARKER).exists():
        return sum(1 for _ in root.rglob("*") if _.is_file()) - 1
    if root.exists():
        shutil.rmtree(root)
    configs = [
        (
            ".mcp.json",
            {
                "mcpServers": {
                    "memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]}
                }
            },
        ),
        (
            ".cursor/mcp.json",
            {
                "mcpServers": {
                    "gh": {
                        "command": "docker",
                        "args": ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"],
                    }
                }
            },
        ),
        (".vscode/mcp.json", {"servers": {"fetch": {"command": "uvx", "args": ["mcp-server-fetch"]}}}),
        (".gemini/settings.json", {"mcpServers": {"remote": {"httpUrl": "https://mcp.example.com/mcp"}}}),
    ]
    files = 0
    for index in range(PROJECTS):
        project = root / f"team{index % 40:02d}" / f"project{index:04d}"
        written = 0

        def put(relative: str, text: str, project: Path = project) -> None:
            nonlocal written, files
            path = project / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written += 1
            files += 1

        deps = {"express": "^4.19.0"}
        if index % 5 == 0:
            deps["@modelcontextprotocol/sdk"] = "^1.17.0"
        put("package.json", json.dumps({"name": f"project{index}", "version": "1.0.0", "dependencies": deps}))
        put("README.md", f"# project {index}\n")
        if index % 10 == 0:
            relative, data = configs[(index // 10) % len(configs)]
            put(relative, json.dumps(data))
        if index % 7 == 0:
            put("pyproject.toml", f'[project]\nname = "p{index}"\ndependencies = ["httpx"]\n')
        module = 0
        while written < FILES_PER_PROJECT:
            put(f"src/pkg{module // 12}/module{module}.js", "export const x = 1;\n")
            module += 1
    (root / MARKER).write_text("")
    return files


# A pip install compiles mcpward to bytecode; an editable install with PYTHONDONTWRITEBYTECODE
# set (as on some CI images) would recompile it at every start. Measure what users run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(command: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user and system, the command's children included)."""
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=ENV)  # warm-up
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=ENV)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=Path("/tmp/mcpward-bench-tree"))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    files = build_tree(args.root)
    mcpward = shutil.which("mcpward") or str(Path(sys.executable).with_name("mcpward"))
    scan = [mcpward, "scan", "--only-paths", "--path", str(args.root), "--format", "json"]
    find = ["find", str(args.root)]
    report = json.loads(subprocess.run(scan, capture_output=True, text=True, check=True).stdout)

    empty = args.root.parent / "mcpward-bench-empty"
    empty.mkdir(exist_ok=True)
    find_time, find_cpu = median_seconds(find, args.repeat)
    scan_time, scan_cpu = median_seconds(scan, args.repeat)
    startup, startup_cpu = median_seconds([*scan[:4], str(empty), *scan[5:]], args.repeat)
    work, work_cpu = scan_time - startup, scan_cpu - startup_cpu
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (wall times grow with it; CPU times less)")
    print(
        f"tree: {files} files in {PROJECTS} projects; scan found {report['summary']['servers']} servers, "
        f"{report['summary']['findings']} findings"
    )
    print(f"{'':32s}{'wall':>10s}{'ratio':>8s}{'CPU':>10s}{'ratio':>8s}")
    rows = [
        ("find (baseline)", find_time, find_cpu),
        ("mcpward scan --path", scan_time, scan_cpu),
        ("  start-up (same, empty tree)", startup, startup_cpu),
        ("  the tree itself", work, work_cpu),
    ]
    for label, wall, cpu in rows:
        print(
            f"{label:32s}{wall * 1000:7.1f} ms{wall / find_time:7.2f}x"
            f"{cpu * 1000:7.1f} ms{cpu / find_cpu:7.2f}x"
        )


if __name__ == "__main__":
    main()
