"""What ``mcpward gateway serve`` costs per call over streamable HTTP, beside the official SDK's
own HTTP transport as the floor: the same client making the same sequential ``tools/call``s
(4 KB arguments and results) in one session to

- the SDK's small echo server (bench/sdk_echo_server.py) serving streamable HTTP itself, in JSON
  mode and in SSE mode (the floors: what a server costs with no gateway), and
- ``mcpward gateway serve`` in front of the same server over stdio, with every check on (pins,
  policy, DLP both ways with the injection check, the baseline, the audit log).

For each: calls per second, p50/p99 latency, and the CPU seconds per call of the serving
processes (the gateway and its server, or the SDK server alone), read from /proc.

    python bench/gateway_http.py [--calls 2000] [--warmup 500]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SDK_SERVER = ROOT / "bench" / "sdk_echo_server.py"
TOKEN = "mcpg_bench-token-0123456789abcdef0123456789abcdef"
TEXT = (
    "Hi team, following up on the deployment review from Tuesday. The build for release 4.2 passed "
    "integration tests on staging; latency on the search endpoint is back under 120 ms at p95. "
    "Open items: rotate the on-call schedule, update the runbook for the cache warm-up, and confirm "
    "with the vendor that the new rate limits apply from the first of the month. "
) * 12
ACCEPT = {"Accept": "application/json, text/event-stream"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("a server did not start") from None
            time.sleep(0.05)


def cpu_seconds(root: int) -> float:
    """User and system CPU of ``root`` and its live descendants, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += (int(stats[pid][11]) + int(stats[pid][12])) / tick
        todo += children.get(pid, [])
    return total


def answer_text(response: httpx.Response) -> str:
    """The JSON-RPC answer of a POST, from a JSON body or from an SSE stream's data line."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return next(line[5:] for line in response.text.splitlines() if line.startswith("data:"))
    return response.text


def measure(
    url: str, headers: dict[str, str], serving: int, calls: int, warmup: int
) -> tuple[float, float, float, float]:
    with httpx.Client(timeout=60, headers=ACCEPT | headers) as client:
        init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "bench", "version": "1"}}}  # fmt: skip
        first = client.post(url, json=init)
        first.raise_for_status()
        session = {"Mcp-Session-Id": first.headers["mcp-session-id"]}
        client.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)
        client.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=session)

        def call(number: int) -> None:
            message = {"jsonrpc": "2.0", "id": number, "method": "tools/call",
                       "params": {"name": "echo", "arguments": {"text": TEXT}}}  # fmt: skip
            answer = answer_text(client.post(url, json=message, headers=session))
            assert '"result"' in answer, answer[:200]

        for number in range(2, warmup + 2):
            call(number)
        cpu_before, latencies = cpu_seconds(serving), []
        began = time.perf_counter()
        for number in range(warmup + 2, warmup + calls + 2):
            started = time.perf_counter()
            call(number)
            latencies.append(time.perf_counter() - started)
        elapsed = time.perf_counter() - began
        cpu = (cpu_seconds(serving) - cpu_before) / calls
    latencies.sort()
    return (
        calls / elapsed,
        statistics.median(latencies) * 1000,
        latencies[int(calls * 0.99)] * 1000,
        cpu * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=500)
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.calls} sequential calls in one session after {args.warmup} unmeasured, "
          f"{len(TEXT.encode())} B arguments and results")  # fmt: skip
    print(f"{'target':<34} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/call':>12}")
    results = {}
    for mode in ("json", "sse"):
        port = free_port()
        server = subprocess.Popen([sys.executable, str(SDK_SERVER), "http", str(port), mode],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            wait_for(port, server)
            results[f"SDK server, {mode} (floor)"] = measure(
                f"http://127.0.0.1:{port}/mcp", {}, server.pid, args.calls, args.warmup
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    with tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        config = Path(scratch) / "gateway.toml"
        config.write_text(
            f"[serve]\nport = {port}\nrequests_per_second = 1000000.0\nrequest_burst = 1000000\n"
            f'[[serve.clients]]\nname = "bench"\nsha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"\n'
            f'[pins]\nstore = "{scratch}/pins.json"\n[dlp]\ninjection = "alert"\n'
            f'[baseline]\npath = "{scratch}/baseline.json"\n'
            f'[servers.echo]\ncommand = ["{sys.executable}", "{SDK_SERVER}"]\n',
            encoding="utf-8",
        )
        gateway = subprocess.Popen(
            [sys.executable, "-m", "mcpward", "gateway", "serve", "--config", str(config),
             "--audit-log", f"{scratch}/audit.jsonl"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for(port, gateway)
            results["gateway serve (every check on)"] = measure(
                f"http://127.0.0.1:{port}/servers/echo/mcp",
                {"Authorization": f"Bearer {TOKEN}"},
                gateway.pid,
                args.calls,
                args.warmup,
            )
        finally:
            gateway.terminate()
            gateway.wait(timeout=30)
    for label, (rate, p50, p99, cpu) in results.items():
        print(f"{label:<34} {rate:>8.0f} {p50:>8.3f} {p99:>8.3f} {cpu:>12.3f}")
    json_floor, sse_floor = results["SDK server, json (floor)"], results["SDK server, sse (floor)"]
    through = results["gateway serve (every check on)"]
    print(f"gateway serve: {through[0] / json_floor[0]:.2f}x the JSON floor's calls/s, "
          f"{through[0] / sse_floor[0]:.2f}x the SSE floor's")  # fmt: skip


if __name__ == "__main__":
    main()
