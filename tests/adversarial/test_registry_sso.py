"""The registry's pages signed in through an OpenID Connect provider (the loopback authorization
server of ``oauth_kit``), as a browser does it step by step: groups mapped to roles; and the
attacks on the sign-in: a callback not started in this browser (login CSRF), a replayed one, one
from another issuer (mix-up), an ID token for another sign-in (nonce), a person with no role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from loopback import serving
from mcpward.registry import Registry, Role
from mcpward.registry.web import OidcSettings, create_app
from oauth_kit import BROWSER_TIMEOUT, AuthServer, rsa_key


@pytest.fixture(scope="module")
def idp() -> Iterator[AuthServer]:
    server = AuthServer(keys=[rsa_key("rsa-1")], groups={"alice": ["mcp-admins", "staff"], "bob": ["mcp-reviewers"],
                                                         "carol": ["sales"], "dave": []})  # fmt: skip
    with serving(lambda port: server.app(f"http://127.0.0.1:{port}")):
        yield server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, idp: AuthServer) -> Iterator[tuple[str, Registry]]:
    registry = Registry.open(f"sqlite:///{tmp_path_factory.mktemp('sso') / 'registry.db'}")

    def app_for(port: int) -> Any:
        settings = OidcSettings(issuer=idp.issuer, client_id="registry", client_secret="registry-secret",
                                public_url=f"http://127.0.0.1:{port}",
                                roles={"mcp-admins": Role.ADMIN, "mcp-reviewers": Role.REVIEWER})  # fmt: skip
        return create_app(registry, oidc=settings)

    with serving(app_for) as base:
        yield base, registry
    registry.database.dispose()


def _start(browser: httpx.Client, base: str) -> str:
    """The browser asks to sign in; the registry sends it to the provider: its authorize URL."""
    sent = browser.get(f"{base}/login/sso?next=/fleet")
    assert sent.status_code == 303
    location = sent.headers["location"]
    asked = parse_qs(urlsplit(location).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["nonce"] and asked["state"]
    assert "openid" in asked["scope"][0].split()
    return location


def _authorize(location: str) -> str:
    """The provider signs the person in and sends the browser back: the callback URL."""
    back = httpx.get(location)
    assert back.status_code == 302
    return back.headers["location"]


def test_a_person_signs_in_through_the_provider_with_the_role_of_their_groups(
    site: tuple[str, Registry], idp: AuthServer
) -> None:
    base, registry = site
    for user, role in (("alice", Role.ADMIN), ("bob", Role.REVIEWER)):
        idp.user = user
        with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
            assert "Sign in with your organisation" in browser.get(f"{base}/login").text
            landed = browser.get(_authorize(_start(browser, base)))
            assert landed.status_code == 200 and 'url=/fleet"' in landed.text
            page = browser.get(f"{base}/fleet")
            assert page.status_code == 200 and f"sso:{user}@example.com" in page.text
        assert (f"sso:{user}@example.com", role, False) in [
            (n, r, revoked) for n, r, _, revoked in registry.tokens()
        ]
    # The JSON API still takes API tokens only: the session cookie is not one.
    idp.user = "alice"
    with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
        browser.get(_authorize(_start(browser, base)))
        assert browser.get(f"{base}/api/entries").status_code == 401


def test_a_changed_group_changes_the_role_at_the_next_sign_in(
    site: tuple[str, Registry], idp: AuthServer
) -> None:
    base, registry = site
    idp.user = "dave"
    for groups, role in ((["mcp-reviewers"], Role.REVIEWER), (["mcp-admins"], Role.ADMIN)):
        idp.groups["dave"] = groups
        with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
            browser.get(_authorize(_start(browser, base)))
        live = [(r, revoked) for n, r, _, revoked in registry.tokens() if n == "sso:dave@example.com"]
        assert live[-1] == (role, False)
    assert live == [(Role.REVIEWER, True), (Role.ADMIN, False)]
    assert registry.verify_audit() is None  # the role changes are in the chained audit trail


def test_sign_in_attacks_are_refused(site: tuple[str, Registry], idp: AuthServer) -> None:
    base, _registry = site
    idp.user = "alice"
    # Login CSRF: the attacker's own callback, opened in the victim's browser.
    with httpx.Client(timeout=BROWSER_TIMEOUT) as attacker:
        callback = _authorize(_start(attacker, base))
    with httpx.Client(timeout=BROWSER_TIMEOUT) as victim:
        refused = victim.get(callback)
        assert refused.status_code == 400 and "another browser" in refused.text
        assert "mcpward_session" not in victim.cookies
    # A replayed callback: the state is used once.
    with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
        callback = _authorize(_start(browser, base))
        assert browser.get(callback).status_code == 200
        browser.cookies.set(
            "mcpward_sso_state", parse_qs(urlsplit(callback).query)["state"][0], path="/login/sso"
        )
        assert "not started here" in browser.get(callback).text
    # Mix-up: the answer names another issuer.
    with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
        callback = _authorize(_start(browser, base)).replace("iss=http", "iss=https")
        refused = browser.get(callback)
        assert refused.status_code == 400 and "another identity provider" in refused.text
    # An ID token minted for another sign-in (its nonce).
    idp.nonce = "someone-elses-nonce"
    try:
        with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
            refused = browser.get(_authorize(_start(browser, base)))
            assert refused.status_code == 401 and "not for this sign-in" in refused.text
    finally:
        idp.nonce = None
    # A person the provider knows but whose groups have no role here.
    idp.user = "carol"
    with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
        refused = browser.get(_authorize(_start(browser, base)))
        assert refused.status_code == 403 and "no role" in refused.text
        assert "mcpward_session" not in browser.cookies


def test_a_bad_oidc_config_is_a_clear_error(cli: Any, tmp_path: Path) -> None:
    config = tmp_path / "sso.toml"
    for text, why in (
        ('issuer = "https://login.example"\npublic_url = "https://registry.example"\n', "client_id: Field required"),
        ('issuer = "https://login.example"\nclient_id = "r"\npublic_url = "https://registry.example"\n'
         'client_secret = "env:NO_SUCH_VARIABLE_HERE"\n', "the environment has no NO_SUCH_VARIABLE_HERE"),
        ('issuer = "https://login.example"\nclient_id = "r"\npublic_url = "https://registry.example"\n'
         '[roles]\nstaff = "owner"\n', "roles.staff"),
        ("issuer = [", "sso.toml"),
    ):  # fmt: skip
        config.write_text(text, encoding="utf-8")
        result = cli(
            "registry", "serve", "--oidc-config", str(config), "--database", f"sqlite:///{tmp_path / 'r.db'}"
        )
        assert result.exit_code == 2 and why in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_an_identity_provider_over_plain_http_elsewhere_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="https"):
        OidcSettings(issuer="http://login.example", client_id="r", public_url="https://registry.example")


@pytest.mark.parametrize("next_path", ["/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example"])
def test_after_sign_in_a_next_path_with_a_control_character_does_not_leave_the_registry(
    site: tuple[str, Registry], idp: AuthServer, next_path: str
) -> None:
    # A browser strips tabs and newlines from a URL: "/\t/evil.example" is "//evil.example",
    # another site, reached from the page that follows the sign-in.
    base, _ = site
    idp.user = "alice"
    with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
        sent = browser.get(f"{base}/login/sso?next={next_path}")
        landed = browser.get(_authorize(sent.headers["location"]))
        assert landed.status_code == 200
        target = landed.text.split("url=", 1)[1].split('"', 1)[0]
        stripped = "".join(c for c in target if c not in "\t\n\r")
        assert stripped.startswith("/") and not stripped.startswith(("//", "/\\")), target
        assert "evil.example" not in stripped


def test_an_unverified_email_does_not_name_the_person_it_claims(
    site: tuple[str, Registry], idp: AuthServer
) -> None:
    # Mallory, a reviewer, set her email at the provider to the admin's without verifying it:
    # signing in as "sso:alice@example.com" would replace alice's row and act in her name.
    base, registry = site
    idp.user, idp.groups["mallory"], idp.emails["mallory"] = "mallory", ["mcp-reviewers"], "alice@example.com"
    try:
        with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
            landed = browser.get(_authorize(_start(browser, base)))
            assert landed.status_code == 200
        names = [n for n, _, _, revoked in registry.tokens() if not revoked]
        assert "sso:sub:mallory" in names
        assert not any(
            n == "sso:alice@example.com" and r == Role.REVIEWER for n, r, _, _ in registry.tokens()
        )
    finally:
        idp.user = "alice"
        del idp.emails["mallory"]


def test_a_sign_in_page_whose_address_has_a_query_keeps_it(tmp_path: Path) -> None:
    """RFC 6749 3.1: the authorization endpoint may carry a query (some providers name a policy
    or tenant there), kept when the client adds its parameters; it got a second ``?``."""
    server = AuthServer(keys=[rsa_key("rsa-1")], groups={"alice": ["mcp-admins"]}, user="alice",
                        authorize_query="p=b2c_1_signin&tenant=example")  # fmt: skip
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    with serving(lambda port: server.app(f"http://127.0.0.1:{port}")):

        def app_for(port: int) -> Any:
            settings = OidcSettings(issuer=server.issuer, client_id="registry", client_secret="registry-secret",
                                    public_url=f"http://127.0.0.1:{port}", roles={"mcp-admins": Role.ADMIN})  # fmt: skip
            return create_app(registry, oidc=settings)

        with serving(app_for) as base, httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
            location = _start(browser, base)
            assert location.count("?") == 1
            landed = browser.get(_authorize(location))
            assert landed.status_code == 200 and 'url=/fleet"' in landed.text
    registry.database.dispose()
    assert server.authorize_seen["p"] == "b2c_1_signin" and server.authorize_seen["tenant"] == "example"
    assert server.authorize_seen["client_id"] == "registry"
