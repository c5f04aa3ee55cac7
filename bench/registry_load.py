"""Load on the registry server, on loopback, bounded in count and time.

Fleet uploads from simulated machines (each a report of 20 servers) and reads of the official
``/v0/servers`` API, against ``mcpward registry serve`` on SQLite and on PostgreSQL, and against
a floor: a bare Starlette app on the same uvicorn answering the same requests with a constant
(what the framework and this client cost with no registry behind them). Prints requests per
second, p50 and p99 latency, and the ratios.

    python bench/registry_load.py [--machines 1000] [--reads 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
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
sys.path.insert(0, str(ROOT / "tests"))

from mcpward.registry import InventoryUpload, ObservedServer, Registry, Role  # noqa: E402
from mcpward.registry.interface import DataScope, EntryRequest, Identity, VetOutcome  # noqa: E402
from postgres_server import fresh_database, postgres_server  # noqa: E402

FLOOR_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def upload(request):
    await request.body()
    return JSONResponse({"stored": 20}, status_code=201)

async def servers(request):
    return JSONResponse({"servers": [], "metadata": {"nextCursor": None, "count": 0}})

app = Starlette(routes=[Route("/api/fleet/reports", upload, methods=["POST"]), Route("/v0/servers", servers)])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(url: str, entries: int) -> str:
    registry = Registry.open(url)
    for index in range(entries):
        entry = registry.request(
            EntryRequest(
                name=f"io.github.bench/server-{index}",
                identity=Identity(
                    kind="package", ecosystem="npm", name=f"bench-server-{index}", version="1.0.0"
                ),
                owner="team-bench",
                scope=DataScope(reads=("tickets",)),
                vet=VetOutcome(verdict="pass"),
            ),
            "requester",
        )
        registry.approve(entry.id, "reviewer", "benchmark seed")
    token = registry.create_token("bench-agent", Role.REQUESTER, "bench")
    registry.database.dispose()
    return token


def upload_body(machine: int, servers: int) -> bytes:
    observed = tuple(
        ObservedServer(
            host="cursor" if i % 2 else "claude-desktop",
            name=f"server-{i}",
            config_path=f"/home/user{machine}/.cursor/mcp.json",
            kind="package",
            ecosystem="npm",
            package=f"bench-server-{(machine + i) % 300}",
            version="1.0.0" if i % 5 else "0.9.0",
            launch=f"bench-server-{(machine + i) % 300}@1.0.0",
        )
        for i in range(servers)
    )
    upload = InventoryUpload(
        machine_id=f"machine-{machine:05d}", hostname=f"host-{machine}", os="linux", servers=observed
    )
    return upload.model_dump_json().encode()


def start(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(
                    process.stderr.read().decode() if process.stderr else "server exited"
                ) from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start within 60 s")


async def run_load(
    base: str, token: str, bodies: list[bytes], reads: int, concurrency: int
) -> dict[str, tuple[float, float, float, int]]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    results: dict[str, tuple[float, float, float, int]] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30.0, limits=limits) as client:

        async def phase(name: str, jobs: list[tuple[str, str, bytes | None]]) -> None:
            latencies: list[float] = []
            failures = 0
            queue = list(reversed(jobs))

            async def worker() -> None:
                nonlocal failures
                while queue:
                    method, path, body = queue.pop()
                    started = time.perf_counter()
                    response = await client.request(method, path, content=body, headers=headers)
                    latencies.append(time.perf_counter() - started)
                    if response.status_code >= 400:
                        failures += 1

            began = time.perf_counter()
            await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), timeout=900)
            elapsed = time.perf_counter() - began
            latencies.sort()
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            results[name] = (
                len(latencies) / elapsed,
                statistics.median(latencies) * 1000,
                p99 * 1000,
                failures,
            )

        await phase("uploads", [("POST", "/api/fleet/reports", body) for body in bodies])
        pages = [
            f"/v0/servers?limit=30&cursor={(i * 37) % 270}" if i % 3 else "/v0/servers?limit=30"
            for i in range(reads)
        ]
        await phase("reads", [("GET", path, None) for path in pages])
    return results


def measure(
    label: str,
    command: list[str],
    port: int,
    env: dict[str, str],
    token: str,
    args: argparse.Namespace,
    bodies: list[bytes],
) -> dict[str, tuple[float, float, float, int]]:
    process = start(command, port, env)
    try:
        results = asyncio.run(
            run_load(f"http://127.0.0.1:{port}", token, bodies, args.reads, args.concurrency)
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    for phase, (rps, p50, p99, failures) in results.items():
        print(
            f"{label:<12} {phase:<8} {rps:>8.0f} req/s  p50 {p50:>7.1f} ms  p99 {p99:>7.1f} ms  "
            f"failures {failures}"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--machines", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=20)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(
        f"{args.machines} machines x {args.servers} servers; {args.reads} reads of /v0/servers; "
        f"{args.entries} approved entries; {args.concurrency} concurrent clients"
    )
    bodies = [upload_body(machine, args.servers) for machine in range(args.machines)]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    results = {}
    with tempfile.TemporaryDirectory() as scratch, postgres_server() as server:
        port = free_port()
        floor = Path(scratch) / "floor_app.py"
        floor.write_text(FLOOR_APP, encoding="utf-8")
        floor_command = [sys.executable, "-m", "uvicorn", "--app-dir", scratch, "floor_app:app"]
        floor_command += ["--port", str(port), "--log-level", "warning"]
        results["floor"] = measure("floor", floor_command, port, env, "none", args, bodies)
        databases = {"sqlite": f"sqlite:///{Path(scratch) / 'registry.db'}"}
        if server:
            databases["postgresql"] = fresh_database(server, "mcpward_bench")
        for label, url in databases.items():
            token = seed(url, args.entries)
            port = free_port()
            command = [
                sys.executable,
                "-m",
                "mcpward",
                "registry",
                "serve",
                "--database",
                url,
                "--port",
                str(port),
            ]
            results[label] = measure(label, command, port, env, token, args, bodies)
    for label in ("sqlite", "postgresql"):
        if label in results:
            for phase in ("uploads", "reads"):
                ratio = results["floor"][phase][0] / results[label][phase][0]
                print(f"{label} {phase}: {ratio:.1f}x slower than the floor")


if __name__ == "__main__":
    main()
