"""Anyone could push every reviewer's single sign-on out of the registry's memory, with no token.

A sign-in started at ``/login/sso`` was remembered by the registry (its state, nonce and PKCE
verifier) until the provider sent the browser back, at most 1,000 at once, the oldest forgotten
first. ``/login/sso`` takes no token, so a client asking for it 1,000 times while a reviewer
typed their password at the provider made the registry forget the reviewer's sign-in: they came
back to "not started here or has expired; sign in again", and again for as long as the
requests went on (a few a second is enough for a slow sign-in), until 2026-12-05.

Now a sign-in under way is kept by the browser that started it: its state cookie holds it,
sealed (AES-GCM under a key of the registry process, so the browser can neither read nor change
the nonce and verifier), and the registry remembers only the sign-ins that were completed, to
take each once. Nothing an unsigned client does pushes out another's.

Each ``/login/sso`` also made a new HTTP client to read the provider's metadata, which it had
already: its TLS context (the CA certificates loaded) cost about 40 ms of CPU, so anyone could
keep a core of the registry busy with 25 unsigned requests a second (and the flood above took
43 s). The metadata is now read once, and a sign-in started makes no client."""

from __future__ import annotations

import ssl
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
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AuthServer]]:
    idp = AuthServer(keys=[rsa_key("rsa-1")], groups={"rita": ["mcp-reviewers"]}, user="rita")
    registry = Registry.open(f"sqlite:///{Path(tmp_path_factory.mktemp('sso')) / 'registry.db'}")
    with serving(lambda port: idp.app(f"http://127.0.0.1:{port}")):

        def app_for(port: int) -> Any:
            settings = OidcSettings(issuer=idp.issuer, client_id="registry", client_secret="registry-secret",
                                    public_url=f"http://127.0.0.1:{port}", roles={"mcp-reviewers": Role.REVIEWER})  # fmt: skip
            return create_app(registry, oidc=settings)

        with serving(app_for) as base:
            yield base, idp
    registry.database.dispose()


def _start(browser: httpx.Client, base: str) -> str:
    sent = browser.get(f"{base}/login/sso?next=/queue")
    assert sent.status_code == 303, sent.text
    return str(sent.headers["location"])


def test_a_flood_of_started_sign_ins_does_not_forget_a_reviewers(site: tuple[str, AuthServer]) -> None:
    base, _idp = site
    with httpx.Client(timeout=BROWSER_TIMEOUT) as reviewer:
        authorize = _start(reviewer, base)  # the reviewer is at the provider, typing
        with httpx.Client(timeout=BROWSER_TIMEOUT) as attacker:  # no token, no cookie kept
            for _ in range(1001):
                attacker.cookies.clear()
                assert attacker.get(f"{base}/login/sso").status_code == 303
        callback = httpx.get(authorize).headers["location"]
        landed = reviewer.get(callback)
        assert landed.status_code == 200, landed.text
        assert "mcpward_session" in reviewer.cookies


def test_a_completed_sign_in_is_taken_once(site: tuple[str, AuthServer]) -> None:
    base, _idp = site
    with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
        authorize = _start(browser, base)
        started = dict(browser.cookies.items())
        callback = httpx.get(authorize).headers["location"]
        assert browser.get(callback).status_code == 200
        # The same callback again, with the cookie the browser had before it (a replay).
        for name, value in started.items():
            browser.cookies.set(name, value, path="/login/sso")
        replayed = browser.get(callback)
        assert replayed.status_code == 400 and "not started here" in replayed.text


def test_a_state_cookie_altered_by_its_browser_is_refused(site: tuple[str, AuthServer]) -> None:
    base, _idp = site
    with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
        authorize = _start(browser, base)
        sealed = browser.cookies["mcpward_sso_state"]
        flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
        browser.cookies.clear()
        browser.cookies.set("mcpward_sso_state", flipped, path="/login/sso")
        callback = httpx.get(authorize).headers["location"]
        refused = browser.get(callback)
        assert refused.status_code == 400 and "mcpward_session" not in browser.cookies
        assert parse_qs(urlsplit(callback).query)["state"]


def test_starting_a_sign_in_makes_no_tls_context(
    site: tuple[str, AuthServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _idp = site
    made = []
    real = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(1)
        return real(*args, **kwargs)

    with httpx.Client(timeout=BROWSER_TIMEOUT) as attacker:
        attacker.get(f"{base}/login/sso")  # the metadata discovered, once
        monkeypatch.setattr(ssl, "create_default_context", counted)
        for _ in range(20):
            assert attacker.get(f"{base}/login/sso").status_code == 303
    assert made == []
