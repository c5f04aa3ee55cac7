"""An issuer whose metadata (RFC 8414) names a plain-http JWKS off this machine: the keys were
fetched from it, so anyone on the path of that cleartext answer could put in a key of their own
and sign tokens as anybody. A configured ``jwks_url`` must be https (plain http only to this
machine); a discovered one is now held to the same rule. Real servers: the issuer's metadata on
loopback, the cleartext JWKS on this machine's own non-loopback address (found without sending
a packet), so nothing leaves the machine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt

from loopback import handler_serving, own_address
from mcpward.gateway._oauth import IssuerSettings, IssuerUnavailable, ResourceServer, ResourceSettings
from oauth_kit import SigningKey, rsa_key

RESOURCE = "https://gateway.example"


@contextlib.contextmanager
def _serving(address: str, answer: dict[str, Any], hits: list[str]) -> Iterator[str]:
    """A server on ``address`` answering ``answer`` (JSON) to every GET; its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler, address) as url:
        yield url


def _signed(key: SigningKey, issuer: str) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "sub": "admin", "aud": RESOURCE, "iat": now, "exp": now + 300}
    return jwt.encode(claims, key.private, algorithm=key.alg, headers={"kid": key.kid})


def _identify(issuer: str, token: str) -> BaseException | None:
    server = ResourceServer(ResourceSettings(resource=RESOURCE, issuers=(IssuerSettings(issuer=issuer),)))

    async def identify() -> BaseException | None:
        try:
            await server.identify(token, "ledger")
        except Exception as exc:  # noqa: BLE001 - how it ended is the result
            return exc
        finally:
            await server.close()
        return None

    return asyncio.run(identify())


def test_a_discovered_plain_http_jwks_off_this_machine_is_not_used() -> None:
    forged = rsa_key("attacker")
    jwks_hits: list[str] = []
    with _serving(own_address(), {"keys": [forged.jwk()]}, jwks_hits) as cleartext:
        metadata: dict[str, Any] = {"jwks_uri": f"{cleartext}/jwks"}
        with _serving("127.0.0.1", metadata, []) as issuer:
            metadata["issuer"] = issuer
            ended = _identify(issuer, _signed(forged, issuer))
    assert isinstance(ended, IssuerUnavailable), ended
    assert jwks_hits == []


def test_a_discovered_jwks_on_this_machine_is_still_used() -> None:
    key = rsa_key("local")
    with _serving("127.0.0.1", {"keys": [key.jwk()]}, []) as jwks:
        metadata: dict[str, Any] = {"jwks_uri": f"{jwks}/jwks"}
        with _serving("127.0.0.1", metadata, []) as issuer:
            metadata["issuer"] = issuer
            assert _identify(issuer, _signed(key, issuer)) is None
