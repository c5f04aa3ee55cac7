"""A sibling subdomain could fix a reviewer's registry session.

Behind TLS the registry's session cookie was ``mcpward_session``: a plain name, which any host
of the same site may set for the parent domain (``Set-Cookie: mcpward_session=ID;
Domain=example.com`` from ``blog.example.com``, or from a plain-http answer a network attacker
forges for any name under it). The registry read whatever cookie of that name the browser sent,
so an attacker who signed in themselves and planted their session id in a reviewer's browser
had the reviewer working in the attacker's session (login fixation: what the reviewer did and
entered was the attacker's session's, the pages the attacker's), until 2026-12-05.

Now, where the cookies are Secure (see ``test_registry_session_cookie_secure``), they are named
with the ``__Host-`` prefix: a browser keeps such a cookie only when this host set it, Secure,
with ``Path=/`` and no ``Domain``, so no other host can set or shadow it. A request judged to be
https reads only that one, and the ``__Host-`` cookie wins wherever both are sent. A registry on
plain http (loopback) keeps the plain names, which are all its browsers would store. The single
sign-on's state cookie is named and scoped the same way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from loopback import serving
from mcpward.registry import Registry, Role
from mcpward.registry.web import OidcSettings, create_app
from oauth_kit import AuthServer, rsa_key

SITE = "https://registry.example"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    opened = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    yield opened
    opened.database.dispose()


def _tls_app(registry: Registry):  # type: ignore[no-untyped-def]
    oidc = OidcSettings(issuer="https://login.example", client_id="registry", public_url=SITE,
                        roles={"r": Role.REVIEWER})  # fmt: skip
    return create_app(registry, oidc=oidc)


def _sign_in(client: TestClient, token: str, origin: str) -> tuple[str, str]:
    """(name, value) of the session cookie a sign-in from a page of ``origin`` sets."""
    signed_in = client.post(
        "/login", data={"token": token, "next": "/queue"}, headers={"Origin": origin}, follow_redirects=False
    )
    assert signed_in.status_code == 303, signed_in.text
    header = signed_in.headers["set-cookie"]
    name, _, rest = header.partition("=")
    return name, rest.split(";", 1)[0]


def _who(client: TestClient, cookies: dict[str, str], origin: str | None = None) -> str | None:
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if origin:
        headers["Origin"] = origin
    client.cookies.clear()
    page = client.get("/queue", headers=headers, follow_redirects=False)
    if page.status_code != 200:
        return None
    return (
        "rita" if "rita (reviewer)" in page.text else "mallory" if "mallory (reviewer)" in page.text else "?"
    )


def test_behind_tls_the_session_cookie_is_a_host_cookie(registry: Registry) -> None:
    token = registry.create_token("rita", Role.REVIEWER, "admin")
    with TestClient(_tls_app(registry), base_url="http://registry.example") as client:
        signed_in = client.post("/login", data={"token": token, "next": "/queue"}, headers={"Origin": SITE},
                                follow_redirects=False)  # fmt: skip
    cookie = signed_in.headers["set-cookie"].lower()
    assert cookie.startswith("__host-mcpward_session=")
    assert "; secure" in cookie and "; path=/" in cookie and "domain=" not in cookie


def test_a_session_planted_for_the_parent_domain_signs_no_one_in(registry: Registry) -> None:
    mallory = registry.create_token("mallory", Role.REVIEWER, "admin")
    rita = registry.create_token("rita", Role.REVIEWER, "admin")
    with TestClient(_tls_app(registry), base_url="http://registry.example") as client:
        _name, planted = _sign_in(client, mallory, SITE)  # the attacker's own session
        # what a sibling host sets with Domain=example: the plain name, sent to the registry
        assert _who(client, {"mcpward_session": planted}) is None
        assert _who(client, {"mcpward_session": planted}, origin=SITE) is None
        # the reviewer signed in: their own __Host- cookie is the one read, whatever else is sent
        name, own = _sign_in(client, rita, SITE)
        assert _who(client, {"mcpward_session": planted, name: own}) == "rita"
        assert _who(client, {name: own, "mcpward_session": planted}, origin=SITE) == "rita"


def test_a_registry_on_plain_http_loopback_still_signs_in(registry: Registry) -> None:
    token = registry.create_token("rita", Role.REVIEWER, "admin")
    with TestClient(create_app(registry), base_url="http://127.0.0.1:8080") as client:
        name, value = _sign_in(client, token, "http://127.0.0.1:8080")
        assert name == "mcpward_session"
        assert _who(client, {name: value}) == "rita"
        client.cookies.set(name, value)
        form = client.get("/queue")
        assert form.status_code == 200 and "rita (reviewer)" in form.text


def test_the_sign_ins_state_cookie_is_a_host_cookie_behind_tls(registry: Registry) -> None:
    idp = AuthServer(keys=[rsa_key("rsa-1")])
    with serving(lambda port: idp.app(f"http://127.0.0.1:{port}")):
        oidc = OidcSettings(
            issuer=idp.issuer, client_id="registry", public_url=SITE, roles={"r": Role.REVIEWER}
        )
        with TestClient(create_app(registry, oidc=oidc), base_url="http://registry.example") as client:
            started = client.get("/login/sso", follow_redirects=False)
    assert started.status_code == 303, started.text
    cookie = started.headers["set-cookie"].lower()
    assert cookie.startswith("__host-mcpward_sso_state=")
    assert "; secure" in cookie and "; path=/;" in cookie + ";" and "domain=" not in cookie
