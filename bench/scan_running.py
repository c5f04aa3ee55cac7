"""Times ``mcpward scan --processes`` and ``mcpward scan --containers`` on this machine, beside
the same command without the option (start-up and nothing to scan), medians of --repeat runs.

``--processes`` reads every process of /proc once; its time grows with the number of
processes, which is printed. ``--containers`` exports each image of the engine once to read its
layers; its time grows with the images' size, which is printed. Give the engine's socket with
DOCKER_HOST=unix://... (for Podman: ``podman system service --time=0 unix:///tmp/podman.sock``).
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


def median_seconds(command: list[str], repeat: int) -> tuple[float, float]:
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)  # warm-up
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-containers", action="store_true")
    args = parser.parse_args()
    mcpward = shutil.which("mcpward") or str(Path(sys.executable).with_name("mcpward"))
    base = [mcpward, "scan", "--only-paths", "--format", "json"]
    processes = sum(1 for entry in os.scandir("/proc") if entry.name.isdigit())
    rows = [("scan, nothing to scan (start-up)", base)]
    rows.append((f"scan --processes ({processes} processes)", [*base, "--processes"]))
    if not args.skip_containers:
        report = json.loads(
            subprocess.run([*base, "--containers"], capture_output=True, text=True, check=True).stdout
        )
        rows.append(
            (f"scan --containers ({report['summary']['servers']} MCP records)", [*base, "--containers"])
        )
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for label, command in rows:
        wall, cpu = median_seconds(command, args.repeat)
        print(f"{label:48s}{wall * 1000:8.1f} ms wall{cpu * 1000:8.1f} ms CPU")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
