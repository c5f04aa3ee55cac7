"""``gateway serve`` behind a real authorization server on loopback (``oauth_kit``): the official
SDK client's OAuth flow end to end (protected-resource metadata, registration, PKCE, a token
for the resource), and policy per identity: two users of different groups, through one gateway,
see different tools and get different decisions, each recorded with its reason."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import orjson
import pytest

from loopback import serving
from mcpward.gateway import (
    AuditLog,
    GatewayConfig,
    Upstream,
    records,
    verify,
)
from oauth_kit import TOOL_SERVER, AuthServer, ec_key, oauth_gateway, rsa_key

MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "raw-test-client", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}
POLICY = {
    "rules": [
        {"name": "finance", "groups": ["finance"], "servers": ["ledger*"], "allow": ["read_ledger", "pay_invoice"],
         "constraints": [{"tool": "pay_invoice", "argument": "to", "domains": ["example.com"]}]},
        {"name": "staff-read", "groups": ["staff"], "allow": ["read_ledger"]},
    ]
}  # fmt: skip


@pytest.fixture(scope="module")
def idp() -> Iterator[AuthServer]:
    server = AuthServer(
        keys=[rsa_key("rsa-1"), ec_key("ec-1")], groups={"alice": ["finance"], "bob": ["staff"]}
    )
    with serving(lambda port: server.app(f"http://127.0.0.1:{port}")):
        yield server


@contextlib.contextmanager
def _gateway(tmp_path: Path, idp: AuthServer) -> Iterator[tuple[str, Path]]:
    settings = GatewayConfig.model_validate({
        "pins": {"enabled": False}, "baseline": {"enabled": False}, "dlp": {"enabled": False},
        "policy": POLICY,
        "auth": {"resource": "https://gateway.example", "issuers": [{"issuer": idp.issuer}], "scopes": ["mcp"]},
    })  # fmt: skip
    log_path = tmp_path / "audit.jsonl"
    log = AuditLog(log_path)
    command = (sys.executable, "-c", TOOL_SERVER)
    servers = {"ledger": Upstream(command=command), "ledger-pool": Upstream(command=command, shared_pool=1)}

    app_for = oauth_gateway(settings, servers, log)

    with serving(app_for) as base:
        yield base, log_path
    log.close()


class _Storage:
    def __init__(self) -> None:
        self.tokens: Any = None
        self.client: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, client_info: Any) -> None:
        self.client = client_info


async def _as_user(url: str) -> tuple[list[str], list[str]]:
    """The SDK's OAuth flow from a 401 to a token, then the tools listed and three calls."""
    from mcp import ClientSession
    from mcp.client.auth import OAuthClientProvider
    from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    redirected: dict[str, str] = {}

    async def redirect(authorize_url: str) -> None:  # the browser: the user signs in at once
        async with httpx.AsyncClient() as browser:
            location = (await browser.get(authorize_url)).headers["location"]
        redirected.update({k: v[0] for k, v in parse_qs(urlsplit(location).query).items()})

    async def callback() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(**redirected)

    metadata = OAuthClientMetadata.model_validate({
        "redirect_uris": ["http://127.0.0.1:9/callback"], "client_name": "test-agent",
        "grant_types": ["authorization_code"], "response_types": ["code"], "token_endpoint_auth_method": "none",
    })  # fmt: skip
    provider = OAuthClientProvider(
        url, metadata, _Storage(), redirect_handler=redirect, callback_handler=callback
    )
    client = create_mcp_http_client(auth=provider)
    outcomes = []
    calls = [("read_ledger", {}), ("pay_invoice", {"to": "ap@example.com", "amount": 5}),
             ("pay_invoice", {"to": "drop@evil.test", "amount": 5})]  # fmt: skip
    async with (
        client,
        streamable_http_client(url, http_client=client) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()
        names = [tool.name for tool in (await session.list_tools()).tools]
        for tool, arguments in calls:
            try:
                result = await session.call_tool(tool, arguments)
            except Exception as exc:  # noqa: BLE001 - the gateway's refusal, a JSON-RPC error
                outcomes.append(f"refused: {exc}")
                continue
            text = result.content[0].text  # type: ignore[union-attr]
            outcomes.append(("refused: " if result.is_error else "") + text)
    return names, outcomes


def test_two_users_through_the_sdk_oauth_flow_see_and_get_what_their_groups_allow(
    tmp_path: Path, idp: AuthServer
) -> None:
    with _gateway(tmp_path, idp) as (base, log):
        url = f"{base}/servers/ledger/mcp"
        idp.user = "alice"
        alice_tools, alice = anyio.run(_as_user, url)
        idp.user = "bob"
        bob_tools, bob = anyio.run(_as_user, url)
    assert alice_tools == ["read_ledger", "pay_invoice"] and bob_tools == ["read_ledger"]
    assert alice[0] == "read_ledger {}" and alice[1].startswith("pay_invoice")
    assert alice[2].startswith("refused") and "outside the allowed domains (example.com)" in alice[2]
    assert bob[0] == "read_ledger {}"
    assert bob[1].startswith("refused") and "no rule grants ledger.pay_invoice to bob" in bob[1]

    assert verify(log)[1] is None
    calls = [r for r in records(log) if r.get("stage") == "request" and r.get("tool")]
    assert {(r["subject"], r["tool"], r["decision"]) for r in calls} == {
        ("alice", "read_ledger", "allow"), ("alice", "pay_invoice", "allow"), ("alice", "pay_invoice", "block"),
        ("bob", "read_ledger", "allow"), ("bob", "pay_invoice", "block"),
    }  # fmt: skip
    for record in calls:
        assert record["issuer"] == idp.issuer and record["client_id"].startswith("client-")
        if record["decision"] == "allow":
            group = "finance" if record["subject"] == "alice" else "staff"
            assert (
                f"(group {group}) grants ledger.{record['tool']} to {record['subject']}"
                in record["authorized_by"]
            )
        else:
            assert record["reasons"] and "authorized_by" not in record
    # The token never lands in the log.
    assert "eyJ" not in log.read_text()


def _modern(base: str, token: str, body: dict[str, Any], name: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": MODERN, "Mcp-Method": body["method"]}  # fmt: skip
    if name:
        headers["Mcp-Name"] = name
    response = httpx.post(
        f"{base}/servers/ledger-pool/mcp", content=orjson.dumps(body), headers=headers, timeout=30
    )
    return response.json()


def test_one_shared_process_shows_each_identity_its_own_tools_in_the_2026_protocol(
    tmp_path: Path, idp: AuthServer
) -> None:
    with _gateway(tmp_path, idp) as (base, _log):
        resource = f"{base}/servers/ledger-pool/mcp"
        alice = idp.token(sub="alice", aud=resource, groups=["finance"])
        bob = idp.token(sub="bob", aud=resource, groups=["staff"])
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": META}}
        for token, expected in ((bob, ["read_ledger"]), (alice, ["read_ledger", "pay_invoice"]),
                                (bob, ["read_ledger"])):  # fmt: skip
            assert [t["name"] for t in _modern(base, token, listing)["result"]["tools"]] == expected
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "pay_invoice", "arguments": {"to": "ap@example.com"}, "_meta": META}}  # fmt: skip
        refused = _modern(base, bob, call, "pay_invoice")
        assert "no rule grants ledger-pool.pay_invoice to bob" in orjson.dumps(refused).decode()
        paid = _modern(base, alice, call, "pay_invoice")
        assert paid["result"]["content"][0]["text"].startswith("pay_invoice")


def test_auth_config_mistakes_are_refused_with_the_reason(cli: Any, tmp_path: Path, idp: AuthServer) -> None:
    """``gateway serve`` refuses an ``[auth]`` or a token exchange that would weaken it, with the
    place and the reason (a real process is not started: its wiring is the app's, tested above)."""
    config, resource = tmp_path / "gateway.toml", "https://gateway.example"
    for section, why in (
        (f'[[auth.issuers]]\nissuer = "{idp.issuer}"\n', "auth.resource"),
        (f'[auth]\nresource = "{resource}"\n[[auth.issuers]]\nissuer = "{idp.issuer}"\nalgorithms = ["HS256"]\n',
         "algorithms must be asymmetric"),
        (f'[auth]\nresource = "{resource}"\n[[auth.issuers]]\nissuer = "https://login.example"\n'
         'jwks_url = "http://login.example/jwks"\n', "jwks_url must be https://"),
        ('[servers.up]\nurl = "https://up.example/mcp"\nshared_pool = 2\n[servers.up.token_exchange]\n'
         'token_url = "https://idp.example/token"\nclient_id = "gw"\n', "token_exchange is for a remote server"),
    ):  # fmt: skip
        config.write_text(section + '[servers.x]\ncommand = ["srv"]\n', encoding="utf-8")
        result = cli("gateway", "serve", "--config", str(config))
        assert result.exit_code == 2 and why in result.stderr, result.stderr
