"""What the gateway adds to a tool call: the same client making the same ``tools/call``
sequence (4 KB arguments, 4 KB results) to a small stdio MCP server directly and through
``mcpward gateway run`` with every interceptor on (pins, policy, DLP on arguments and results
with injection checks, the audit log), and through a byte relay that checks nothing (the
floor: ``bench/byte_relay.py``). Prints calls per second, latency p50/p99 and CPU per call of
each, and what the gateway adds; ``--busy 1`` keeps one core busy the whole run.

    python bench/gateway_overhead.py [--calls 3000] [--server sdk] [--busy 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: A server that answers in a loop of ten lines without the SDK: the worst case for the gateway.
SERVER = ROOT / "tests" / "servers" / "counting_server.py"
#: A small server written with the official SDK, as real ones are.
SDK_SERVER = ROOT / "bench" / "sdk_echo_server.py"
#: The floor: a relay process that copies bytes and checks nothing.
BYTE_RELAY = ROOT / "bench" / "byte_relay.py"
# Realistic text: an email thread and a log excerpt, no secret, ~4 KB.
TEXT = (
    "Hi team, following up on the deployment review from Tuesday. The build for release 4.2 passed "
    "integration tests on staging; latency on the search endpoint is back under 120 ms at p95. "
    "Open items: rotate the on-call schedule, update the runbook for the cache warm-up, and confirm "
    "with the vendor that the new rate limits apply from the first of the month. "
) * 12


def run(command: list[str], calls: int, warmup: int = 0) -> tuple[float, list[float], tuple[float, float]]:
    """Calls per second, the sorted latencies, and the CPU seconds per measured call of the
    process started (the server, or the gateway) and of its children (the gateway's server)."""
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None

    def ask(message: dict[str, object]) -> bytes:
        process.stdin.write(json.dumps(message).encode() + b"\n")  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]
        return process.stdout.readline()  # type: ignore[union-attr]

    ask({"jsonrpc": "2.0", "id": 0, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "1"}}})  # fmt: skip
    process.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    ask({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
    for number in range(2, warmup + 2):
        message = {"jsonrpc": "2.0", "id": number, "method": "tools/call",
                   "params": {"name": "echo", "arguments": {"text": TEXT}}}  # fmt: skip
        ask(message)
    latencies = []
    # The CPU of the measured calls alone: the process's own clock read at both ends (its
    # start-up and warm-up excluded).
    cpu_before = _cpu_seconds(process.pid)
    began = time.perf_counter()
    for number in range(warmup + 2, warmup + calls + 2):
        message = {"jsonrpc": "2.0", "id": number, "method": "tools/call",
                   "params": {"name": "echo", "arguments": {"text": TEXT}}}  # fmt: skip
        started = time.perf_counter()
        answer = ask(message)
        latencies.append(time.perf_counter() - started)
        assert b'"result"' in answer, answer[:200]
    elapsed = time.perf_counter() - began
    own, children = _cpu_seconds(process.pid)
    cpu = (own - cpu_before[0]) / calls, (children - cpu_before[1]) / calls
    process.stdin.close()
    process.wait(timeout=30)
    return calls / elapsed, sorted(latencies), cpu


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds so far of a process and of its direct children (the gateway's server), read
    from /proc while they run: the scheduler's own count of the time each thread ran
    (``schedstat``, in nanoseconds; ``stat``'s ticks are sampled and miss short bursts)."""

    def threads(each: int) -> int:
        total = 0
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{each}/task").iterdir():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    total += int((task / "schedstat").read_text().split()[0])
        return total

    children: list[int] = []
    with contextlib.suppress(OSError, ValueError):
        children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return threads(pid) / 1e9, sum(map(threads, children)) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    # The gateway compiles its whole-pattern index in the background for about a second after
    # start; the warm-up calls (not measured) cover that, for both paths alike.
    parser.add_argument("--warmup", type=int, default=1500)
    parser.add_argument("--server", choices=["minimal", "sdk", "both"], default="both")
    # A loaded machine, made the same way each time: this many processes spinning on the CPU
    # for the whole run (1 on this 2-core machine: one core busy, as with a build running).
    parser.add_argument("--busy", type=int, default=0, metavar="N")
    args = parser.parse_args()
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        measure(args)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def measure(args: argparse.Namespace) -> None:
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.calls} sequential calls after {args.warmup} unmeasured, "
          f"{len(TEXT.encode())} B arguments and results, {args.busy} busy process(es)")  # fmt: skip
    for name in ("minimal", "sdk") if args.server == "both" else (args.server,):
        with tempfile.TemporaryDirectory() as scratch:
            if name == "minimal":
                server = [sys.executable, str(SERVER), f"{scratch}/received", f"{scratch}/pid"]
            else:
                server = [sys.executable, str(SDK_SERVER)]
            compare(name, server, Path(scratch), args.calls, args.warmup)


def compare(name: str, server: list[str], scratch: Path, calls: int, warmup: int) -> None:
    config = scratch / "gateway.toml"
    # Every state file in the scratch folder: a baseline left by an earlier run (the user's
    # default one) would see this run's calls as a spike.
    config.write_text(
        f'[pins]\nstore = "{scratch}/pins.json"\n[dlp]\ninjection = "alert"\n'
        f'[baseline]\npath = "{scratch}/baseline.json"\n',
        encoding="utf-8",
    )
    gateway = [sys.executable, "-m", "mcpward", "gateway", "run", "--server", "bench"]
    gateway += ["--config", str(config), "--audit-log", f"{scratch}/audit.jsonl", "--", *server]
    results = {}
    print(f"{name} server:")
    floor = [sys.executable, str(BYTE_RELAY), *server]
    for label, command in (("direct", server), ("relay", floor), ("gateway", gateway)):
        rate, latencies, cpu = run(command, calls, warmup)
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99)] * 1000
        results[label] = (rate, p50, p99, cpu[0] * 1e6)
        server_cpu = f" (its server {cpu[1] * 1e6:.0f} us)" if cpu[1] else ""
        print(f"  {label:<8} {rate:>7.0f} calls/s  p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  "
              f"CPU per call {cpu[0] * 1e6:4.0f} us{server_cpu}")  # fmt: skip
    direct, relay, through = results["direct"], results["relay"], results["gateway"]
    print(f"  the byte relay (floor) adds: p50 {relay[1] - direct[1]:.3f} ms; "
          f"its CPU {relay[3]:.0f} us per call")  # fmt: skip
    added = f"p50 {through[1] - direct[1]:.3f} ms, p99 {through[2] - direct[2]:.3f} ms"
    print(f"  the gateway adds: {added}; throughput {through[0] / direct[0]:.0%} of direct; "
          f"its CPU {through[3]:.0f} us per call")  # fmt: skip


if __name__ == "__main__":
    main()
