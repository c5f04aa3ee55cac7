"""``mcpward gateway serve``: streamable HTTP in front of stdio servers, for the official SDK
client, with bearer tokens and Host/Origin checks."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from loopback import Clock, free_port, serving, wait_for
from mcpward.gateway import verify

SERVER = Path(__file__).parent / "servers" / "mcp_test_server.py"
MCPWARD = [sys.executable, "-m", "mcpward"]
TOKEN = "mcpg_test-token-for-the-gateway-tests-0123456789"
SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def _serve_command(config: Path, log: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mcpward",
        "gateway",
        "serve",
        "--config",
        str(config),
        "--audit-log",
        str(log),
    ]


@pytest.fixture
def upstream() -> Iterator[str]:
    """The SDK test server over streamable HTTP: a remote upstream on loopback."""
    port = free_port()
    command = [sys.executable, str(SERVER), "http", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, process)
    yield f"http://127.0.0.1:{port}/mcp"
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def gateway(tmp_path: Path, upstream: str) -> Iterator[tuple[str, Path]]:
    port = free_port()
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""
max_message = 65536
[serve]
port = {port}
[[serve.clients]]
name = "laptop"
sha256 = "{digest}"
[pins]
store = "{tmp_path / "pins.json"}"
[servers.weather]
command = ["{sys.executable}", "{SERVER}", "stdio"]
[servers.remote]
url = "{upstream}"
headers_from_env = {{ Authorization = "UPSTREAM_AUTH" }}
""",
        encoding="utf-8",
    )
    log = tmp_path / "audit.jsonl"
    command = _serve_command(config, log)
    env = dict(os.environ, UPSTREAM_AUTH="Bearer upstream-token")
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, env=env)
    wait_for(port, process)
    yield f"http://127.0.0.1:{port}", log
    process.terminate()
    process.wait(timeout=30)


async def _session(url: str) -> tuple[list[str], str]:
    from mcp import ClientSession
    from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

    client = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
    async with client, streamable_http_client(url, http_client=client) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            names = [tool.name for tool in (await session.list_tools()).tools]
            result = await session.call_tool("get_weather", {"city": f"Oslo {SECRET}"})
            text = result.content[0].text  # type: ignore[union-attr]
            return names, text


def test_the_official_client_over_streamable_http(gateway: tuple[str, Path]) -> None:
    base, log = gateway
    names, text = anyio.run(_session, f"{base}/servers/weather/mcp")
    assert names == ["get_weather"] and text == "Sunny in Oslo ghp_****"
    count, problem = verify(log)
    assert problem is None and count >= 6 and SECRET not in log.read_text()
    assert '"client":"laptop"' in log.read_text()


async def _sse_session(url: str) -> tuple[list[str], str]:
    from mcp import ClientSession
    from mcp.client.sse import sse_client

    async with (
        sse_client(url, headers={"Authorization": f"Bearer {TOKEN}"}) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        names = [tool.name for tool in (await session.list_tools()).tools]
        result = await session.call_tool("get_weather", {"city": f"Bergen {SECRET}"})
        return names, result.content[0].text  # type: ignore[union-attr]


def test_the_legacy_sse_transport_for_older_clients(gateway: tuple[str, Path]) -> None:
    base, log = gateway
    names, text = anyio.run(_sse_session, f"{base}/servers/weather/sse")
    assert names == ["get_weather"] and text == "Sunny in Bergen ghp_****"
    assert verify(log)[1] is None
    assert httpx.get(f"{base}/servers/weather/sse").status_code == 401
    assert (
        httpx.post(
            f"{base}/servers/weather/messages?session_id=nope",
            json={},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).status_code
        == 404
    )


def test_a_remote_upstream_behind_the_gateway(gateway: tuple[str, Path]) -> None:
    base, log = gateway
    names, text = anyio.run(_session, f"{base}/servers/remote/mcp")
    assert names == ["get_weather"] and text == "Sunny in Oslo ghp_****"
    records = log.read_text()
    assert '"server":"remote"' in records and SECRET not in records and verify(log)[1] is None


def test_tokens_hosts_origins_and_sizes_are_checked(gateway: tuple[str, Path]) -> None:
    base, _ = gateway
    url = f"{base}/servers/weather/mcp"
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(url, json=body).status_code == 401
    assert httpx.post(url, json=body, headers={"Authorization": "Bearer mcpg_wrong"}).status_code == 401
    assert httpx.post(url, json=body, headers=auth | {"Host": "attacker.example:80"}).status_code == 421
    assert httpx.post(url, json=body, headers=auth | {"Origin": "http://attacker.example"}).status_code == 403
    assert httpx.post(f"{base}/servers/nope/mcp", json=body, headers=auth).status_code == 404
    assert httpx.post(url, content=b"x" * 70000, headers=auth).status_code == 413
    assert httpx.post(url, json=body, headers=auth | {"Mcp-Session-Id": "forged"}).status_code == 404
    garbage = httpx.post(url, content=b"{oops", headers=auth)
    assert garbage.status_code == 200 and garbage.json()["error"]["code"] == -32700


def test_config_errors_are_clear(cli: Any, tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text("[servers.x]\ncommand = []\n", encoding="utf-8")
    result = cli("gateway", "serve", "--config", str(config))
    assert result.exit_code == 2 and "give either command (a list) or url" in result.stderr
    config.write_text('[servers.x]\ncommand = ["srv"]\n', encoding="utf-8")
    result = cli("gateway", "serve", "--config", str(config))
    assert result.exit_code == 2 and "mcpward gateway token" in result.stderr
    token = cli("gateway", "token", "laptop")
    assert token.stdout.startswith("token: mcpg_") and "[[serve.clients]]" in token.stdout


def _children_running(script: Path) -> list[int]:
    """This process's children whose command line names ``script``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if (
            parent == os.getpid()
            and str(script).encode() in argv
            and stat.rsplit(")", 1)[1].split()[0] != "Z"
        ):
            found.append(int(entry.name))
    return found


def test_an_abandoned_session_is_ended_with_its_server() -> None:
    """Idleness is measured on the app's clock, which the test moves: a session used at time 0
    stays alive however slowly the machine answers, and one left idle past the timeout is ended
    with its server process. No fixed sleep: the reaper looks every 50 ms of real time."""
    from mcpward.gateway import Upstream, create_app

    clock = Clock()

    def app_for(port: int) -> Any:
        return create_app(
            {"weather": Upstream(command=(sys.executable, str(SERVER), "stdio"))},
            lambda _name, _upstream: [],
            token_hashes={hashlib.sha256(TOKEN.encode()).hexdigest(): "laptop"},
            allowed_hosts=(f"127.0.0.1:{port}",),
            max_message=65536,
            call_timeout=30,
            idle_timeout=60,
            clock=clock,
            reap_interval=0.05,
        )

    with serving(app_for) as base:
        url = f"{base}/servers/weather/mcp"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip
        first = httpx.post(url, json=body, headers=auth, timeout=30)
        session = first.headers["mcp-session-id"]
        assert first.json()["result"]["serverInfo"]["name"] == "weather-test"
        assert len(_children_running(SERVER)) == 1
        ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
        clock.now = 59.0  # just within the timeout: still alive, and the ping renews it
        alive = httpx.post(url, json=ping, headers=auth | {"Mcp-Session-Id": session}, timeout=30)
        assert alive.status_code == 200
        clock.now = 59.0 + 61.0
        deadline = time.monotonic() + 30
        while _children_running(SERVER) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _children_running(SERVER) == []
        gone = httpx.post(url, json=ping, headers=auth | {"Mcp-Session-Id": session}, timeout=30)
        assert gone.status_code == 404 and "initialize again" in gone.text


def test_a_new_client_token_is_random_and_its_config_line_holds_only_its_digest() -> None:
    import hashlib

    from mcpward.gateway import new_client_token

    (first, digest), (second, _) = new_client_token(), new_client_token()
    assert first != second and first.startswith("mcpg_") and len(first) > 40
    assert digest == hashlib.sha256(first.encode()).hexdigest() and first not in digest


@contextlib.asynccontextmanager
async def _streams(url: str) -> AsyncIterator[Any]:
    """Streamable HTTP to the gateway with the test's token."""
    from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

    client = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
    async with client, streamable_http_client(url, http_client=client) as streams:
        yield streams


async def _listed_through_stdio(command: list[str]) -> list[str]:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        return [tool.name for tool in (await session.list_tools()).tools]


def test_an_approval_is_told_to_a_client_over_http(tmp_path: Path) -> None:
    from approval_kit import shown_before_and_after_approval

    store = tmp_path / "pins.json"
    config = tmp_path / "pins.toml"
    config.write_text(f'[pins]\nstore = "{store}"\n', encoding="utf-8")
    first = [*MCPWARD, "gateway", "run", "--server", "weather", "--config", str(config)]
    first += ["--audit-log", str(tmp_path / "first.jsonl"), "--", sys.executable, str(SERVER), "stdio"]
    assert anyio.run(_listed_through_stdio, first) == ["get_weather"]  # pinned on first use
    port = free_port()
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    served = tmp_path / "gateway.toml"
    served.write_text(
        f'[serve]\nport = {port}\n[[serve.clients]]\nname = "laptop"\nsha256 = "{digest}"\n'
        f'[pins]\nstore = "{store}"\n[servers.weather]\n'
        f'command = ["{sys.executable}", "{SERVER}", "stdio", "--poisoned"]\n',
        encoding="utf-8",
    )
    process = subprocess.Popen(_serve_command(served, tmp_path / "audit.jsonl"), stderr=subprocess.DEVNULL)
    try:
        wait_for(port, process)
        streams = _streams(f"http://127.0.0.1:{port}/servers/weather/mcp")
        before, after = anyio.run(shown_before_and_after_approval, streams, store, "weather", "get_forecast")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert before == ["get_weather"] and after == ["get_weather", "get_forecast"]
