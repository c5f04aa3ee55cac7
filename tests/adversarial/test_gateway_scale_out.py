"""Several ``gateway serve`` replicas behind HAProxy (Debian's), sharing pins, the baseline and
the audit mirror in one PostgreSQL registry, serving stateless MCP 2026-07-28 clients: one
replica is killed in the middle of the load. Calls in flight on it fail, no other call does,
the clients carry on through the other replica, every answered call has its record in a whole
audit chain, and the registry ends up holding every record of both chains."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loopback import free_port, serve_gateway, wait_for
from mcpward.gateway import verify

SERVER = Path(__file__).parents[1] / "servers" / "header_server.py"
SLOW_SERVER = Path(__file__).parents[1] / "servers" / "slow_server.py"
TOKEN = "mcpg_test-token-for-the-scale-out-0123456789abcdef"
MODERN = "2026-07-28"
CLIENTS = 8
CALLS = 24


def _replica(folder: Path, port: int, front: int, database: str) -> subprocess.Popen[bytes]:
    config = folder / "gateway.toml"
    config.write_text(
        f"""
[serve]
port = {port}
replica = "{folder.name}"
task_after_seconds = 0.2
allowed_hosts = ["127.0.0.1:{front}"]
requests_per_second = 500
request_burst = 500
[[serve.clients]]
name = "load"
sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"
[audit]
registry = "{database}"
[pins]
store = "{folder / "pins.json"}"
database = "{database}"
[baseline]
path = "{folder / "baseline.json"}"
database = "{database}"
[servers.query]
command = ["{sys.executable}", "{SERVER}"]
[servers.slow]
command = ["{sys.executable}", "{SLOW_SERVER}"]
""",
        encoding="utf-8",
    )
    return serve_gateway(config, folder / "audit.jsonl", port)


@pytest.fixture
def balanced(
    tmp_path: Path, postgres_database: str
) -> Iterator[tuple[str, list[subprocess.Popen[bytes]], list[Path], str]]:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        from needs import missing

        missing("haproxy", "HAProxy is not installed (Debian package haproxy)")
    folders = [tmp_path / f"replica{number}" for number in range(2)]
    ports = [free_port() for _ in folders]
    front = free_port()
    replicas = []
    for folder, port in zip(folders, ports, strict=True):
        folder.mkdir()
        replicas.append(_replica(folder, port, front, postgres_database))
    servers = "\n".join(
        f"    server replica{number} 127.0.0.1:{port} check inter 200 fall 1 rise 1"
        for number, port in enumerate(ports)
    )
    # A task's requests go to the replica that holds it: its id (the Mcp-Name header of
    # tasks/get, update and cancel) begins with the replica's name.
    routes = "\n".join(
        f"    use-server replica{number} if {{ req.hdr(Mcp-Name) -m beg replica{number}~ }}"
        for number in range(len(ports))
    )
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        f"""
global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend mcp
    bind 127.0.0.1:{front}
    default_backend gateways
backend gateways
    balance roundrobin
    # A request that could not be sent (the replica is gone) goes to another one: safe for a
    # POST, since it never left. One already sent is not retried: its caller gets the error.
    retries 2
    option redispatch 1
    retry-on conn-failure
    # A fresh connection per request: an idle one kept to the killed replica, reused in the
    # moment before HAProxy read its reset, carried a call that was sent (not refused) and so
    # not retried; a run on a loaded machine failed a call sent 18 us after the kill that way.
    http-reuse never
{routes}
{servers}
""",
        encoding="utf-8",
    )
    balancer = subprocess.Popen(
        [haproxy, "-f", str(config), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(front, balancer)
    try:
        logs = [f / "audit.jsonl" for f in folders]
        yield f"http://127.0.0.1:{front}/servers/query/mcp", replicas, logs, postgres_database
    finally:
        for process in [balancer, *replicas]:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def _request(client: int, call: int) -> tuple[dict[str, Any], dict[str, str]]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": f"load-{client}", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    arguments = {"region": "eu-west1", "query": f"client {client} call {call}"}
    body = {"jsonrpc": "2.0", "id": call, "method": "tools/call",
            "params": {"name": "run_query", "arguments": arguments, "_meta": meta}}  # fmt: skip
    headers = {"Authorization": f"Bearer {TOKEN}", "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call",
               "Mcp-Name": "run_query", "Mcp-Param-Region": "eu-west1"}  # fmt: skip
    return body, headers


async def _load(url: str, kill: Any) -> list[tuple[int, int, float, float, bool]]:
    """Every call: (client, call, sent, answered, succeeded)."""
    outcomes: list[tuple[int, int, float, float, bool]] = []
    async with httpx.AsyncClient(timeout=30) as http:

        async def client(number: int) -> None:
            for call in range(CALLS):
                body, headers = _request(number, call)
                sent = time.monotonic()
                try:
                    answer = await http.post(url, json=body, headers=headers)
                    text = answer.json()["result"]["content"][0]["text"] if answer.status_code == 200 else ""
                    succeeded = f"client {number} call {call}" in text
                except (httpx.HTTPError, ValueError, KeyError):
                    succeeded = False
                outcomes.append((number, call, sent, time.monotonic(), succeeded))
                if number == 0 and call == CALLS // 3:
                    kill()

        await asyncio.gather(*(client(number) for number in range(CLIENTS)))
    return outcomes


def test_a_replica_killed_under_load_loses_only_its_calls_in_flight(
    balanced: tuple[str, list[subprocess.Popen[bytes]], list[Path], str], cli: Any
) -> None:
    url, replicas, logs, database = balanced
    killed_at: list[float] = []

    def kill() -> None:
        replicas[1].send_signal(signal.SIGKILL)
        replicas[1].wait(timeout=10)  # a few ms: the loop's other clients wait that long
        killed_at.append(time.monotonic())

    outcomes = asyncio.run(_load(url, kill))
    assert len(outcomes) == CLIENTS * CALLS and killed_at
    failed = [o for o in outcomes if not o[4]]
    # Only calls in flight when the replica died (at most one per client): one sent after it
    # was gone is redispatched by the balancer (its connection is refused before it is sent),
    # so the clients carry on through the other replica.
    assert len(failed) <= CLIENTS, failed
    assert all(sent <= killed_at[0] for _, _, sent, _, _ in failed), (killed_at, failed)
    late = [o for o in outcomes if o[2] > killed_at[0]]
    assert len(late) >= CLIENTS and all(o[4] for o in late), late
    # Every answered call has its answer recorded, in a chain that holds on each replica (the
    # killed one's last line may be cut: verify skips a cut line, as the writers do).
    answered = 0
    for log in logs:
        problem = verify(log)[1]
        assert problem is None, (log, problem)
        records = [json.loads(line) for line in log.read_text().splitlines() if line.strip().endswith("}")]
        answered += sum(
            1 for r in records if r.get("method") == "tools/call" and r.get("stage") == "response"
        )
    assert answered >= sum(1 for o in outcomes if o[4])
    # The registry holds every record of both chains: the survivor's mirror wrote its own; what
    # the killed replica had written but not yet mirrored is added from its log (as its restart
    # would), and nothing is added twice.
    replicas[0].terminate()
    replicas[0].wait(timeout=30)  # its mirror drains before it exits
    mirrored = cli("audit", "mirror", str(logs[1]), "--database", database)
    assert mirrored.exit_code == 0, mirrored.stderr
    again = cli("audit", "mirror", str(logs[1]), "--database", database)
    assert again.exit_code == 0 and " 0 record(s) added" in again.stdout, again.stdout
    from mcpward.registry import Registry

    registry = Registry.open(database)
    try:
        stored = [event["hash"] for event in registry.gateway_events(limit=100_000)]
    finally:
        registry.database.dispose()
    written = [
        json.loads(line)["hash"]
        for log in logs
        for line in log.read_text().splitlines()
        if line.strip().endswith("}")
    ]
    assert sorted(stored) == sorted(written)


def test_a_tasks_requests_reach_the_replica_that_holds_it(
    balanced: tuple[str, list[subprocess.Popen[bytes]], list[Path], str],
) -> None:
    url = balanced[0].replace("/servers/query/", "/servers/slow/")
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}},
    }

    def post(method: str, params: dict[str, Any], name: str) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}}
        headers = {"Authorization": f"Bearer {TOKEN}", "MCP-Protocol-Version": MODERN, "Mcp-Method": method,
                   "Mcp-Name": name}  # fmt: skip
        return httpx.post(url, json=body, headers=headers, timeout=30).json()  # type: ignore[no-any-return]

    # Round robin spreads the calls, so the tasks are held by both replicas.
    tasks = [
        post("tools/call", {"name": "build", "arguments": {"seconds": 0.6}}, "build")["result"]["taskId"]
        for _ in range(4)
    ]
    assert {task.split("~", 1)[0] for task in tasks} == {"replica0", "replica1"}, tasks
    for _ in range(3):  # every poll finds its task (round robin alone would miss half)
        for task in tasks:
            answer = post("tasks/get", {"taskId": task}, task)
            assert answer["result"]["taskId"] == task, answer
    for task in tasks:
        for _ in range(40):  # 10 s at most
            answer = post("tasks/get", {"taskId": task}, task)
            if answer["result"]["status"] == "completed":
                break
            time.sleep(0.25)
        assert "build ok" in json.dumps(answer["result"]["result"]), answer
