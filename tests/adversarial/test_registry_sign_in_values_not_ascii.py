"""A CSRF token or a sign-in's state that was not ASCII made the registry's pages fail with 500.

The registry compares the CSRF token a form carries, the state a single sign-on's callback
brings back and the nonce of the provider's ID token with ``hmac.compare_digest`` (in constant
time, so a guesser learns nothing from how long a refusal takes). Given two strings, that
function takes ASCII only and raises ``TypeError`` otherwise, so a form whose ``csrf`` held an
accented letter (a sign-out, a decision), or a callback whose ``state`` did, was an internal
error (500, a traceback in the log) instead of the refusal it is, until 2026-12-05.

Now the values are compared as their UTF-8 bytes: still in constant time, and refused as any
other wrong value. The provider is the loopback authorization server of ``oauth_kit``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from loopback import serving
from mcpward.registry import Registry, Role
from mcpward.registry.web import OidcSettings, create_app
from oauth_kit import AuthServer, rsa_key

SITE = "http://127.0.0.1:8080"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    opened = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    yield opened
    opened.database.dispose()


def test_a_form_whose_csrf_token_is_not_ascii_is_refused_not_an_error(registry: Registry) -> None:
    token = registry.create_token("rita", Role.REVIEWER, "admin")
    with TestClient(create_app(registry), base_url=SITE, raise_server_exceptions=False) as client:
        signed_in = client.post("/login", data={"token": token, "next": "/queue"}, headers={"Origin": SITE},
                                follow_redirects=False)  # fmt: skip
        assert signed_in.status_code == 303
        out = client.post("/logout", data={"csrf": "é"}, headers={"Origin": SITE}, follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/queue"  # refused: still signed in
        assert "rita (reviewer)" in client.get("/queue").text


def test_a_sign_in_callback_whose_state_is_not_ascii_is_refused_not_an_error(registry: Registry) -> None:
    idp = AuthServer(keys=[rsa_key("rsa-1")])
    with serving(lambda port: idp.app(f"http://127.0.0.1:{port}")):
        oidc = OidcSettings(
            issuer=idp.issuer, client_id="registry", public_url=SITE, roles={"r": Role.REVIEWER}
        )
        app = create_app(registry, oidc=oidc)
        with TestClient(app, base_url=SITE, raise_server_exceptions=False) as client:
            started = client.get("/login/sso", follow_redirects=False)
            assert started.status_code == 303
            back = client.get("/login/sso/callback", params={"state": "é", "code": "x", "iss": idp.issuer})
    assert back.status_code == 400 and "another browser" in back.text
