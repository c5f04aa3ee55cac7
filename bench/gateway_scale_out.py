"""Capacity of ``mcpward gateway serve`` for stateless MCP 2026-07-28 clients: many concurrent
clients making ``tools/call``s (1 KB each way) for a fixed time, against

- the official SDK's echo server serving streamable HTTP itself (JSON responses): the floor,
  what the server costs with no gateway;
- one ``gateway serve`` replica in front of the same server over stdio (``shared_pool = 2``),
  every check on (pins, DLP both ways with the result check, the baseline, the audit log);
- two replicas behind HAProxy (Debian's), each with its own pool.

For each: calls per second, p50/p99 latency, calls per second per core (calls over the CPU
seconds of every serving process: HAProxy, the gateways, their servers, or the SDK server
alone), and the resident memory of the serving processes per concurrent client.

    python bench/gateway_scale_out.py [--clients 10 50] [--seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from gateway_http import free_port, wait_for  # this folder's: the same loopback helpers

ROOT = Path(__file__).resolve().parents[1]
SDK_SERVER = ROOT / "bench" / "sdk_echo_server.py"
TOKEN = "mcpg_bench-token-scale-out-0123456789abcdef0123456789"
MODERN = "2026-07-28"
TEXT = ("Status of the nightly build: all suites passed; the cache warm-up finished in 41 s. ") * 12
TICKS = os.sysconf("SC_CLK_TCK")


def tree(roots: list[int]) -> list[int]:
    """The processes ``roots`` and their descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(roots), list(roots)
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found.add(child)
                frontier.append(child)
    return sorted(found)


def cpu_and_rss(pids: list[int]) -> tuple[float, int]:
    """CPU seconds (user + system) and resident bytes of these processes."""
    seconds, rss = 0.0, 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / TICKS
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return seconds, rss


def request(number: int) -> tuple[dict[str, object], dict[str, str]]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {"jsonrpc": "2.0", "id": number, "method": "tools/call",
            "params": {"name": "echo", "arguments": {"text": TEXT}, "_meta": meta}}  # fmt: skip
    headers = {"Authorization": f"Bearer {TOKEN}", "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call",
               "Mcp-Name": "echo", "Accept": "application/json, text/event-stream"}  # fmt: skip
    return body, headers


async def load(url: str, clients: int, seconds: float, warmup: float) -> tuple[int, list[float], int]:
    """Calls answered in the measured window, their latencies, and errors."""
    latencies: list[float] = []
    errors = [0]
    began = time.monotonic()
    measure_from, stop = began + warmup, began + warmup + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def client() -> None:
            number = 0
            while (now := time.monotonic()) < stop:
                number += 1
                body, headers = request(number)
                try:
                    answer = await http.post(url, json=body, headers=headers)
                    ok = answer.status_code == 200 and "result" in answer.json()
                except (httpx.HTTPError, ValueError):
                    ok = False
                if now >= measure_from:
                    if ok:
                        latencies.append(time.monotonic() - now)
                    else:
                        errors[0] += 1

        await asyncio.gather(*(client() for _ in range(clients)))
    return len(latencies), latencies, errors[0]


def measure(label: str, url: str, roots: list[int], clients: int, seconds: float) -> None:
    warmup = 1.5
    before: tuple[float, int] | None = None

    async def run() -> tuple[int, list[float], int]:
        nonlocal before
        task = asyncio.create_task(load(url, clients, seconds, warmup))
        await asyncio.sleep(warmup)
        before = cpu_and_rss(tree(roots))
        return await task

    calls, latencies, errors = asyncio.run(run())
    assert before is not None
    cpu, rss = cpu_and_rss(tree(roots))
    cpu -= before[0]
    latencies.sort()
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else float("nan")
    print(
        f"| {label} | {clients} | {calls / seconds:,.0f} | {p50:.1f} ms | {p99:.1f} ms | "
        f"{calls / cpu if cpu else float('nan'):,.0f} | {rss / clients / 2**20:.1f} MB | {errors} |"
    )


def gateway_config(folder: Path, port: int, front: int | None) -> Path:
    hosts = f'allowed_hosts = ["127.0.0.1:{front}", "127.0.0.1:{port}"]\n' if front else ""
    config = folder / "gateway.toml"
    config.write_text(
        f"[serve]\nport = {port}\n{hosts}requests_per_second = 100000\nrequest_burst = 100000\n"
        f'max_sessions = 512\n[[serve.clients]]\nname = "bench"\n'
        f'sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"\n'
        f'[pins]\nstore = "{folder}/pins.json"\n[dlp]\ninjection = "alert"\n'
        f'[baseline]\npath = "{folder}/baseline.json"\n'
        f'[servers.echo]\ncommand = ["{sys.executable}", "{SDK_SERVER}"]\nshared_pool = 2\n',
        encoding="utf-8",
    )
    return config


def start_gateway(folder: Path, port: int, front: int | None = None) -> subprocess.Popen[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    config = gateway_config(folder, port, front)
    command = [sys.executable, "-m", "mcpward", "gateway", "serve", "--config", str(config)]
    command += ["--audit-log", str(folder / "audit.jsonl")]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    wait_for(port, process)
    return process


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--haproxy", default=shutil.which("haproxy") or "/usr/sbin/haproxy")
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.seconds:g} s per run after 1.5 s, 1 KB each way, MCP {MODERN}")  # fmt: skip
    print("| target | clients | calls/s | p50 | p99 | calls per CPU second | memory per client | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for clients in args.clients:
            port = free_port()
            floor = subprocess.Popen([sys.executable, str(SDK_SERVER), "http", str(port), "json"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            wait_for(port, floor)
            try:
                measure(
                    "SDK server, JSON (floor)",
                    f"http://127.0.0.1:{port}/mcp",
                    [floor.pid],
                    clients,
                    args.seconds,
                )
            finally:
                floor.terminate()
                floor.wait()

            port = free_port()
            one = start_gateway(folder / f"one-{clients}", port)
            try:
                url = f"http://127.0.0.1:{port}/servers/echo/mcp"
                measure("`gateway serve`, one replica", url, [one.pid], clients, args.seconds)
            finally:
                one.terminate()
                one.wait()

            front, ports = free_port(), [free_port(), free_port()]
            replicas = [start_gateway(folder / f"r{n}-{clients}", p, front) for n, p in enumerate(ports)]
            servers = "\n".join(f"    server r{n} 127.0.0.1:{p} check inter 500" for n, p in enumerate(ports))
            config = folder / f"haproxy-{clients}.cfg"
            config.write_text(
                f"global\n    maxconn 2048\ndefaults\n    mode http\n    timeout connect 2s\n"
                f"    timeout client 60s\n    timeout server 60s\nfrontend mcp\n    bind 127.0.0.1:{front}\n"
                f"    default_backend gateways\nbackend gateways\n    balance roundrobin\n{servers}\n",
                encoding="utf-8",
            )
            balancer = subprocess.Popen([args.haproxy, "-f", str(config), "-db"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            wait_for(front, balancer)
            try:
                url = f"http://127.0.0.1:{front}/servers/echo/mcp"
                pids = [balancer.pid, *(r.pid for r in replicas)]
                measure("two replicas behind HAProxy", url, pids, clients, args.seconds)
            finally:
                for process in [balancer, *replicas]:
                    process.terminate()
                    process.wait()


if __name__ == "__main__":
    main()
