"""The server name in ``gateway serve``'s 401 challenge, written into the header as it came.

Without a token, a request to ``/servers/NAME/mcp`` is answered 401 with
``WWW-Authenticate: Bearer ..., resource_metadata="…/.well-known/oauth-protected-resource/servers/NAME/mcp"``
(RFC 9728), before the gateway looks whether it serves NAME (so that no one learns its server
names without a token). NAME is the request's path, percent-decoded, and went into the quoted
value as it was (until 2026-12-05):

- a quote and a comma in it closed the value and added parameters of the caller's choosing to
  the challenge an MCP client reads to find where to sign in and what to ask for
  (``/servers/x%22,%20scope=%22admin/mcp`` gave ``..., scope="admin/mcp"``);
- a character a header cannot carry (``/servers/%E4%B8%AD/mcp``) made the answer fail: a 500
  with a traceback in the gateway's log for every such request, and for a server configured
  under such a name every client without a token got a 500 instead of the way to sign in.

Now the name is percent-encoded in the metadata URL (which the gateway's route decodes again)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loopback import serving
from mcpward.gateway import (
    AuditLog,
    GatewayConfig,
    Upstream,
)
from oauth_kit import TOOL_SERVER, AuthServer, oauth_gateway, rsa_key

#: A configured server whose name is not ASCII.
CAFE = "café-中"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    idp = AuthServer(keys=[rsa_key("rsa-1")])
    with serving(lambda port: idp.app(f"http://127.0.0.1:{port}")):
        settings = GatewayConfig.model_validate({
            "pins": {"enabled": False}, "baseline": {"enabled": False}, "dlp": {"enabled": False},
            "auth": {"resource": "https://gateway.example", "issuers": [{"issuer": idp.issuer}]},
        })  # fmt: skip
        log = AuditLog(Path(tmp_path_factory.mktemp("challenge")) / "audit.jsonl")
        upstream = Upstream(command=(sys.executable, "-c", TOOL_SERVER))

        app_for = oauth_gateway(settings, {"ledger": upstream, CAFE: upstream}, log)

        with serving(app_for) as base:
            yield base
        log.close()


def _challenge(base: str, encoded_name: str) -> httpx.Response:
    return httpx.post(f"{base}/servers/{encoded_name}/mcp", json={}, timeout=30)


def _parameters(challenge: str) -> list[str]:
    """The names of the challenge's parameters, as a client parsing it reads them."""
    import re

    return re.findall(r'(?:^Bearer |, )([a-z_]+)="[^"]*"', challenge)


def test_a_quote_in_the_name_adds_no_parameter_to_the_challenge(served: str) -> None:
    response = _challenge(served, "x%22,%20scope=%22admin")
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert _parameters(challenge) == ["resource_metadata"], challenge
    assert 'scope="admin' not in challenge


def test_a_name_a_header_cannot_carry_is_a_401_not_a_500(served: str) -> None:
    response = _challenge(served, "%E4%B8%AD")
    assert response.status_code == 401, response.text
    assert "%E4%B8%AD" in response.headers["www-authenticate"]


def test_a_configured_server_with_such_a_name_is_challenged_and_its_metadata_found(served: str) -> None:
    response = _challenge(served, "caf%C3%A9-%E4%B8%AD")
    assert response.status_code == 401, response.text
    metadata_url = response.headers["www-authenticate"].split('resource_metadata="', 1)[1].rstrip('"')
    # The URL the challenge names is the one the gateway serves the server's metadata at.
    path = metadata_url.split("://", 1)[1].partition("/")[2]
    metadata = httpx.get(f"{served}/{path}", timeout=30)
    assert metadata.status_code == 200, metadata.text
    assert metadata.json()["resource"].endswith(f"/servers/{CAFE}/mcp")
