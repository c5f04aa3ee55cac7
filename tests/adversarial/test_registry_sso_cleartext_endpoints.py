"""The registry's single sign-on with a provider whose metadata names its token endpoint (or key
set, or sign-in page) over plain http off this machine: the issuer must be https (plain http only
to this machine), but what its metadata named was used as it came, so the registry posted the
code, the PKCE verifier and its client secret in cleartext, and took the ID token (and the keys
that verify it) from an answer anyone on the path could write. Real servers: the provider's
metadata and sign-in page on loopback, the cleartext endpoint on this machine's own non-loopback
address (found without sending a packet), so nothing leaves the machine."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from loopback import handler_serving, own_address, serving
from mcpward.registry import Registry, Role
from mcpward.registry.web import OidcSettings, create_app
from oauth_kit import BROWSER_TIMEOUT


class Cleartext(BaseHTTPRequestHandler):
    """Whatever a provider's endpoint over plain http receives, recorded (by what it carried)."""

    seen: ClassVar[list[str]] = []

    def _record(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        type(self).seen.append(
            f"{self.command} {self.path.split('?')[0]} "
            f"authorization={'Authorization' in self.headers} code_verifier={'code_verifier' in form}"
        )
        self.send_response(400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _record

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("cleartext", ["token_endpoint", "jwks_uri", "authorization_endpoint"])
def test_a_provider_endpoint_over_plain_http_off_this_machine_is_not_used(
    tmp_path: Path, cleartext: str
) -> None:
    handler = type("Seen", (Cleartext,), {"seen": []})
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")

    with handler_serving(handler, own_address()) as off_machine:
        provider: dict[str, str] = {}

        class Provider(BaseHTTPRequestHandler):
            """The provider's metadata, and a sign-in page that signs the person in at once."""

            def do_GET(self) -> None:
                issuer = provider["issuer"]
                if self.path.startswith("/.well-known/"):
                    document = {
                        "issuer": issuer, "authorization_endpoint": f"{issuer}/authorize",
                        "token_endpoint": f"{issuer}/token", "jwks_uri": f"{issuer}/jwks",
                        "code_challenge_methods_supported": ["S256"],
                    }  # fmt: skip
                    document[cleartext] = f"{off_machine}/{cleartext}"
                    body = json.dumps(document).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                asked = parse_qs(urlsplit(self.path).query)
                back = {"code": "the-code", "state": asked["state"][0], "iss": issuer}
                self.send_response(302)
                self.send_header("Location", f"{asked['redirect_uri'][0]}?{urlencode(back)}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        with handler_serving(Provider, "127.0.0.1") as issuer:
            provider["issuer"] = issuer

            def app_for(port: int) -> Any:
                settings = OidcSettings(issuer=issuer, client_id="registry", client_secret="registry-secret",
                                        public_url=f"http://127.0.0.1:{port}", roles={"admins": Role.ADMIN})  # fmt: skip
                return create_app(registry, oidc=settings)

            with serving(app_for) as base, httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
                started = browser.get(f"{base}/login/sso?next=/fleet")
                if started.status_code == 303:  # the browser follows the sign-in as far as it goes
                    location = started.headers["location"]
                    signed_in = httpx.get(location) if location.startswith(issuer) else None
                    if signed_in is not None and signed_in.status_code == 302:
                        browser.get(signed_in.headers["location"])
    registry.database.dispose()
    assert started.status_code == 503 and "plain http" in started.text, started.text
    assert handler.seen == []
