"""The registry's session cookies were never Secure where the registry is served over https.

``registry serve`` speaks plain http: https is ended by a proxy in front of it, and the registry
reads no forwarding header (``proxy_headers=False``: a client could set one). The session cookie
(``mcpward_session``, for a token's sign-in and a single sign-on alike) and the sign-in's state
cookie were marked Secure only when the request the registry saw was https, which behind the
proxy it never is: with single sign-on set up for ``public_url = "https://registry.example"``,
every reviewer's session cookie was sent by their browser over plain http to that host too (a
typed ``registry.example``, an old ``http://`` bookmark, a redirect on a hostile network), where
anyone on the path reads it and has the reviewer's session, until 2026-12-05.

Now the cookies are Secure when the request was https, the browser's page is (the Origin a
browser sends with the sign-in form), or the registry's public URL (the single sign-on settings'
``public_url``) is https. A registry served over plain http still sets them without (its
browsers would not keep a Secure cookie from an http page)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mcpward.registry import Registry, Role
from mcpward.registry.web import OidcSettings, create_app


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    opened = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    yield opened
    opened.database.dispose()


def _settings(public_url: str) -> OidcSettings:
    return OidcSettings(
        issuer="https://login.example",
        client_id="registry",
        public_url=public_url,
        roles={"r": Role.REVIEWER},
    )


def _session_cookie(client: TestClient, token: str, origin: str | None = None) -> str:
    """The Set-Cookie of a token's sign-in, as the proxy forwards it (plain http), from a page
    of ``origin`` (a browser sends it with the form; None: a client that does not)."""
    headers = {"Origin": origin} if origin else {}
    data = {"token": token, "next": "/queue"}
    signed_in = client.post("/login", data=data, headers=headers, follow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text
    cookie = signed_in.headers["set-cookie"]
    # __Host- where Secure (test_registry_session_cookie_fixation.py)
    assert cookie.startswith(("mcpward_session=", "__Host-mcpward_session="))
    return cookie.lower()


def test_behind_a_tls_proxy_the_session_cookie_is_secure(registry: Registry) -> None:
    token = registry.create_token("rita", Role.REVIEWER, "admin")
    app = create_app(registry, oidc=_settings("https://registry.example"))
    with TestClient(app, base_url="http://registry.example") as client:
        assert "; secure" in _session_cookie(client, token)


def test_without_sso_a_sign_in_from_an_https_page_gets_a_secure_cookie(registry: Registry) -> None:
    token = registry.create_token("rita", Role.REVIEWER, "admin")
    with TestClient(create_app(registry), base_url="http://registry.example") as client:
        assert "; secure" in _session_cookie(client, token, origin="https://registry.example")


def test_a_registry_on_plain_http_still_signs_in(registry: Registry) -> None:
    # Its browsers would not keep a Secure cookie from an http page: set as the request came.
    token = registry.create_token("rita", Role.REVIEWER, "admin")
    for app in (create_app(registry, oidc=_settings("http://127.0.0.1:8080")), create_app(registry)):
        with TestClient(app, base_url="http://127.0.0.1:8080") as client:
            assert "; secure" not in _session_cookie(client, token, origin="http://127.0.0.1:8080")
