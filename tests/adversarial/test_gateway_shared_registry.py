"""Replicas of ``gateway serve`` share their approvals through the registry's PostgreSQL
database: a server approved once is served by every replica, and a revocation holds on every
replica within ``[registry] recheck_seconds``, for the clients already being served as well as
for new ones (the attacker here is a server whose approval was withdrawn while sessions to it
are open)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loopback import clients_toml, free_port, wait_for

SDK_SERVER = Path(__file__).parents[2] / "bench" / "sdk_echo_server.py"
TOKENS = {
    "laptop": "mcpg_shared-registry-laptop-0123456789abcdef",
    "desk": "mcpg_shared-registry-desk-0123456789abcdef",
}
MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}


@pytest.fixture
def upstream() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(SDK_SERVER), "http", str(port), "json"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    wait_for(port, process)
    yield f"http://127.0.0.1:{port}/mcp"
    process.terminate()
    process.wait(timeout=30)


def _replica(folder: Path, database: str, url: str) -> tuple[subprocess.Popen[bytes], int]:
    folder.mkdir()
    port = free_port()
    clients = clients_toml(TOKENS)
    config = folder / "gateway.toml"
    config.write_text(
        f'[serve]\nport = {port}\n{clients}[registry]\nenabled = true\nsource = "{database}"\n'
        f'recheck_seconds = 1\n[pins]\nstore = "{folder / "pins.json"}"\n'
        f'[baseline]\npath = "{folder / "baseline.json"}"\n[servers.echo]\nurl = "{url}"\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "mcpward", "gateway", "serve", "--config", str(config)]
    process = subprocess.Popen(
        [*command, "--audit-log", str(folder / "audit.jsonl")], stderr=subprocess.DEVNULL
    )
    wait_for(port, process)
    return process, port


def _call(port: int, client: str, text: str) -> dict[str, Any]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "echo", "arguments": {"text": text}, "_meta": meta}}  # fmt: skip
    headers = {"Authorization": f"Bearer {TOKENS[client]}", "MCP-Protocol-Version": MODERN,
               "Mcp-Method": "tools/call", "Mcp-Name": "echo"}  # fmt: skip
    answer = httpx.post(f"http://127.0.0.1:{port}/servers/echo/mcp", json=body, headers=headers, timeout=30)
    return answer.json()  # type: ignore[no-any-return]


def test_an_approval_and_its_revocation_hold_on_every_replica(
    cli: Any, tmp_path: Path, postgres_database: str, upstream: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPWARD_PROBATION_DAYS", "0")  # echo is called at once, with no read-only period
    requested = cli("registry", "request", upstream, "--owner", "platform", "--url", upstream,
                    "--as", "alice", "--database", postgres_database, "--format", "json")  # fmt: skip
    assert requested.exit_code == 0, requested.stderr
    entry = requested.json()
    approved = cli("registry", "approve", str(entry["id"]), "-m", "tools read", "--as", "bob",
                   "--database", postgres_database)  # fmt: skip
    assert approved.exit_code == 0, approved.stderr
    replicas = [_replica(tmp_path / f"replica{n}", postgres_database, upstream) for n in range(2)]
    try:
        for _, port in replicas:  # approved once, served by both
            answer = _call(port, "laptop", "hello")
            assert answer["result"]["content"][0]["text"] == "hello", answer
        revoked = cli("registry", "revoke", str(entry["id"]), "-m", "compromised", "--as", "carol",
                      "--database", postgres_database)  # fmt: skip
        assert revoked.exit_code == 0, revoked.stderr
        time.sleep(1.5)  # past recheck_seconds
        for _, port in replicas:
            for client in ("laptop", "desk"):  # the client being served, and a new one
                answer = _call(port, client, "after")
                assert "result" not in answer or answer["result"].get("isError"), answer
                assert "revoked" in str(answer), answer
            # Nor is a revoked server described: server/discover passes the same checks.
            discover = {"jsonrpc": "2.0", "id": 9, "method": "server/discover", "params": {"_meta": META}}
            headers = {"Authorization": f"Bearer {TOKENS['laptop']}", "MCP-Protocol-Version": MODERN,
                       "Mcp-Method": "server/discover"}  # fmt: skip
            described = httpx.post(
                f"http://127.0.0.1:{port}/servers/echo/mcp", json=discover, headers=headers, timeout=30
            )
            assert "revoked" in described.text and "supportedVersions" not in described.text, described.text
    finally:
        for process, _ in replicas:
            process.terminate()
            process.wait(timeout=30)
