"""``gateway serve``, MCP 2026-07-28 and ``shared_pool``: a shared pool's server processes are
the gateway's, not the client that called last. Counted as that client's sessions, one call
to a shared server used up its session quota and every other server refused it."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loopback import free_port, wait_for

SERVERS = Path(__file__).parents[1] / "servers"
TOKEN = "mcpg_test-token-for-the-shared-pool-quota-0123456789"
MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "raw-test-client", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("quota")
    port = free_port()
    config = folder / "gateway.toml"
    server = f'command = ["{sys.executable}", "{SERVERS / "header_server.py"}"]'
    config.write_text(
        f"""
call_timeout = 3
[serve]
port = {port}
max_sessions_per_client = 1
[[serve.clients]]
name = "laptop"
sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"
[pins]
store = "{folder / "pins.json"}"
[servers.shared]
{server}
shared_pool = 1
[servers.own]
{server}
""",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "mcpward", "gateway", "serve", "--config", str(config)]
    command += ["--audit-log", str(folder / "audit.jsonl")]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    wait_for(port, process)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


def _call(base: str, server: str) -> httpx.Response:
    params: dict[str, Any] = {"name": "run_query", "arguments": {"region": "eu", "query": "q"}, "_meta": META}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "run_query",
        "Mcp-Param-Region": "eu",
    }
    return httpx.post(f"{base}/servers/{server}/mcp", json=body, headers=headers, timeout=30)


def test_a_shared_pool_process_is_not_counted_as_the_callers_session(gateway: str) -> None:
    """One session per client: a call to the shared server, then one to a server of its own
    (its one session) and a second call to the shared one are all served."""
    shared = _call(gateway, "shared")
    assert shared.status_code == 200 and "result" in shared.json(), shared.text
    own = _call(gateway, "own")
    assert own.status_code == 200 and "result" in own.json(), own.text
    again = _call(gateway, "shared")
    assert again.status_code == 200 and "result" in again.json(), again.text
