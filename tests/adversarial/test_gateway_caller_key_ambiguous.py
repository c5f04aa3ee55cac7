"""Two callers whose (issuer, subject, client) joined with NUL read the same were one caller.

``gateway serve`` keys an access token's caller (its sessions, limits and share of the judge)
by the sha256 of issuer, subject and client joined with a NUL character. Claims are JSON
strings and may hold NUL, so the join was ambiguous: the subject ``alice\\0`` of client ``x``
and the subject ``alice`` of client ``\\0x`` gave one key, and each reached the other's
sessions (a session id of the one answered the other's token) and shared their limits, until
2026-12-05. It takes an issuer that signs such a subject or client id (one whose client ids a
registering client chooses, or whose subjects are user-chosen names), so it is a hardening
more than a hole: now the key is of the three as a JSON array, which no two different triples
share."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gateway_attack_kit import INITIALIZE

from loopback import serving
from mcpward.gateway import (
    AuditLog,
    GatewayConfig,
    Upstream,
)
from oauth_kit import TOOL_SERVER, AuthServer, oauth_gateway, rsa_key


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AuthServer]]:
    idp = AuthServer(keys=[rsa_key("rsa-1")])
    with serving(lambda port: idp.app(f"http://127.0.0.1:{port}")):
        settings = GatewayConfig.model_validate({
            "pins": {"enabled": False}, "baseline": {"enabled": False}, "dlp": {"enabled": False},
            "auth": {"resource": "https://gateway.example", "issuers": [{"issuer": idp.issuer}]},
        })  # fmt: skip
        log = AuditLog(Path(tmp_path_factory.mktemp("key")) / "audit.jsonl")

        app_for = oauth_gateway(
            settings, {"ledger": Upstream(command=(sys.executable, "-c", TOOL_SERVER))}, log
        )

        with serving(app_for) as base:
            yield base, idp
        log.close()


def test_a_subject_and_client_that_join_alike_do_not_share_sessions(served: tuple[str, AuthServer]) -> None:
    base, idp = served
    url = f"{base}/servers/ledger/mcp"
    opener = idp.token(aud=base, sub="alice\x00", azp="x")
    opened = httpx.post(url, json=INITIALIZE, headers={"Authorization": f"Bearer {opener}"}, timeout=30)
    assert opened.status_code == 200, opened.text
    session = opened.headers["mcp-session-id"]
    other = idp.token(aud=base, sub="alice", azp="\x00x")
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    headers = {"Authorization": f"Bearer {other}", "Mcp-Session-Id": session}
    assert httpx.post(url, json=ping, headers=headers, timeout=30).status_code == 404
    # The one who opened it still reaches it.
    headers["Authorization"] = f"Bearer {opener}"
    assert httpx.post(url, json=ping, headers=headers, timeout=30).json()["id"] == 2
