"""``gateway serve``, MCP 2026-07-28: the upstream server processes its stateless requests go
to. A shared pool's processes are the gateway's, not the client that called last (counted as
that client's sessions, one call to a shared server used up its session quota and every other
server refused it); and a process that dies is replaced, not handed out dead until idle."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_gateway_modern import META, MODERN, SERVERS

from loopback import free_port, wait_for

TOKEN = "mcpg_test-token-for-the-shared-pool-quota-0123456789"
OTHER_TOKEN = "mcpg_second-client-of-the-pool-tests-9876543210"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("quota")
    port = free_port()
    config = folder / "gateway.toml"
    server = f'command = ["{sys.executable}", "{SERVERS / "header_server.py"}"]'
    config.write_text(
        f"""
call_timeout = 1
[serve]
port = {port}
max_sessions_per_client = 1
[[serve.clients]]
name = "laptop"
sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"
[[serve.clients]]
name = "desk"
sha256 = "{hashlib.sha256(OTHER_TOKEN.encode()).hexdigest()}"
[pins]
store = "{folder / "pins.json"}"
[servers.shared]
{server}
shared_pool = 1
[servers.own]
{server}
[servers.fragile]
command = ["{sys.executable}", "{SERVERS / "counting_server.py"}", "{folder / "calls.log"}", "{folder / "pid"}"]
shared_pool = 1
[servers.stalling]
command = ["{sys.executable}", "{SERVERS / "stalling_server.py"}"]
""",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "mcpward", "gateway", "serve", "--config", str(config)]
    command += ["--audit-log", str(folder / "audit.jsonl")]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    wait_for(port, process)
    yield f"http://127.0.0.1:{port}", folder
    process.terminate()
    process.wait(timeout=30)


def _call(base: str, server: str, token: str = TOKEN, tool: str = "run_query") -> httpx.Response:
    arguments = {"region": "eu", "query": "q"} if tool == "run_query" else {"text": "hello"}
    params: dict[str, Any] = {"name": tool, "arguments": arguments, "_meta": META}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
        **({"Mcp-Param-Region": "eu"} if tool == "run_query" else {}),
    }
    return httpx.post(f"{base}/servers/{server}/mcp", json=body, headers=headers, timeout=30)


def test_a_shared_pool_process_is_not_counted_as_the_callers_session(gateway: tuple[str, Path]) -> None:
    """One session per client: a call to the shared server, then one to a server of its own
    (its one session) and a second call to the shared one are all served."""
    gateway, _ = gateway
    shared = _call(gateway, "shared")
    assert shared.status_code == 200 and "result" in shared.json(), shared.text
    own = _call(gateway, "own")
    assert own.status_code == 200 and "result" in own.json(), own.text
    again = _call(gateway, "shared")
    assert again.status_code == 200 and "result" in again.json(), again.text


def test_a_pooled_server_that_dies_is_replaced_for_the_next_call(gateway: tuple[str, Path]) -> None:
    """A shared pool's process crashes (here SIGKILL; a client's input that crashes a server
    does the same): a stateless client has no session to drop and open again, so the gateway
    must not keep handing the dead process out, to every client, until it idles out."""
    base, folder = gateway
    first = _call(base, "fragile", tool="echo")
    assert first.status_code == 200 and first.json()["result"]["content"][0]["text"] == "hello", first.text
    pid = int((folder / "pid").read_text())
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):  # until the gateway has reaped it (bounded: 5 s)
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.05)
    after = _call(base, "fragile", token=OTHER_TOKEN, tool="echo")
    assert after.status_code == 200 and "result" in after.json(), after.text
    assert after.json()["result"]["content"][0]["text"] == "hello"
    assert int((folder / "pid").read_text()) != pid  # a new process


def test_a_round_trip_whose_server_stops_reading_ends_with_an_error_and_frees_its_process(
    gateway: tuple[str, Path],
) -> None:
    """The server asks, the client answers at length (300 kB), the server has stopped reading
    and asks again: the gateway cannot pass its refusal on. The retry gets a JSON-RPC error
    (not a 500 with a traceback in the gateway's log), and the hung process is ended, not left
    holding the client's one slot for this server until it idles out."""
    base, _ = gateway  # desk: its one session is this server's (the laptop's is "own")
    capabilities = {**META, "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}}
    params: dict[str, Any] = {"name": "ask", "arguments": {}, "_meta": capabilities}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    headers = {
        "Authorization": f"Bearer {OTHER_TOKEN}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "ask",
    }
    url = f"{base}/servers/stalling/mcp"
    interim = httpx.post(url, json=body, headers=headers, timeout=30).json()["result"]
    assert interim["resultType"] == "input_required", interim
    ((key, _question),) = interim["inputRequests"].items()
    answer = {"action": "accept", "content": {"note": "x" * 300_000}}
    retry = {
        **body,
        "params": {**params, "requestState": interim["requestState"], "inputResponses": {key: answer}},
    }
    failed = httpx.post(url, json=retry, headers=headers, timeout=30)
    assert failed.headers["content-type"].startswith("application/json"), failed.text
    assert "error" in failed.json() and failed.json()["id"] == 1, failed.text
    again = httpx.post(url, json=body, headers=headers, timeout=30)
    assert again.json()["result"]["resultType"] == "input_required", again.text  # a new process asks
