"""Behind a proxy that ends TLS, a planted session cookie still opened the registry's pages.

``registry serve`` speaks plain http; its cookies are Secure, named ``__Host-``, and read only
in that form when a request is judged https: it came over https, the browser's page is https
(its Origin), or single sign-on's ``public_url`` is https. A registry signing in with tokens
alone behind such a proxy had none of these on a page's GET (a GET carries no Origin), so
there the plain ``mcpward_session`` was read too: a session id the attacker planted for the
parent domain (from a sibling host, or a forged plain-http answer) opened the queue, entries
and fleet pages to a reviewer as the attacker, who saw what the reviewer was shown to be
theirs (login fixation; forms were refused, every post being judged by its Origin). The
registry could not tell, and no setting told it (until 2026-12-05).

Now ``registry serve --public-url URL`` says where browsers reach it: with https, every request
is judged https, so only the ``__Host-`` cookie is read. And a registry listening on an address
other machines reach must say it (https behind the proxy, or http to serve plain http on
purpose): started without, it refuses to serve, rather than guess. On loopback (a proxy on the
same machine) it is not required, and the threat model says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mcpward.registry import Registry, Role

SITE = "https://registry.example"
#: Every address (nothing listens: uvicorn.run is replaced).
EVERYWHERE = "0.0.0.0"  # noqa: S104


def _served(cli: Any, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, list[Any]]:
    import uvicorn

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **_: served.append(application))
    return cli("registry", "serve", *args), served


def test_a_registry_off_loopback_without_a_public_url_is_not_served(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'r.db'}"
    for host in (EVERYWHERE, "192.0.2.10", "::"):
        result, served = _served(cli, monkeypatch, "--database", database, "--host", host)
        assert result.exit_code == 2 and not served
        assert "--public-url" in result.stderr
    result, served = _served(cli, monkeypatch, "--database", database, "--host", EVERYWHERE,
                             "--public-url", "http://registry.lan:8080")  # fmt: skip
    assert result.exit_code == 0 and served  # plain http, said on purpose
    result, served = _served(cli, monkeypatch, "--database", database)  # loopback: as before
    assert result.exit_code == 0 and served
    result, served = _served(cli, monkeypatch, "--database", database, "--public-url", "registry.example")
    assert result.exit_code == 2 and not served


def test_with_an_https_public_url_a_planted_plain_cookie_opens_no_page(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'r.db'}"
    registry = Registry.open(database)
    mallory = registry.create_token("mallory", Role.REVIEWER, "admin")
    rita = registry.create_token("rita", Role.REVIEWER, "admin")
    registry.database.dispose()
    result, served = _served(cli, monkeypatch, "--database", database, "--host", EVERYWHERE,
                             "--public-url", SITE)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    with TestClient(served[0], base_url="http://registry.example") as client:
        # The attacker signs in with no Origin (not from a browser): still a __Host- cookie.
        signed_in = client.post("/login", data={"token": mallory, "next": "/queue"}, follow_redirects=False)
        assert signed_in.status_code == 303
        name, _, rest = signed_in.headers["set-cookie"].partition("=")
        assert name == "__Host-mcpward_session"
        planted = rest.split(";", 1)[0]
        client.cookies.clear()
        # The reviewer's browser, the attacker's id planted under the plain name: a GET through
        # the proxy (plain http to the registry, no Origin) is not signed in.
        page = client.get("/queue", headers={"Cookie": f"mcpward_session={planted}"}, follow_redirects=False)
        assert "mallory (reviewer)" not in page.text
        # The reviewer's own sign-in is what their pages read.
        client.cookies.clear()
        own = client.post("/login", data={"token": rita, "next": "/queue"}, headers={"Origin": SITE},
                          follow_redirects=False)  # fmt: skip
        value = own.headers["set-cookie"].partition("=")[2].split(";", 1)[0]
        client.cookies.clear()
        cookies = f"mcpward_session={planted}; __Host-mcpward_session={value}"
        page = client.get("/queue", headers={"Cookie": cookies})
        assert page.status_code == 200 and "rita (reviewer)" in page.text
