"""Attack: a page served over plain http for the registry's own host signs a reviewer in as the
attacker (login CSRF). The sign-in form is refused from another site by its ``Origin``, which
was compared with the ``Host`` by host alone: ``http://registry.example`` passed for the
registry at ``https://registry.example``. Whoever answers the reviewer's plain-http request for
that host (a hotspot, anyone on the path: the registry sends no HSTS, and the proxy in front of
it need not) answers with a form that posts the attacker's own token to the https sign-in; the
answer set the ``__Host-`` session cookie, and the reviewer worked in the attacker's account
(what they requested, decided or read, the attacker's to see in its audit trail), until
2026-12-06. The same check guards every form (decisions, held results, sign-out).

Now a registry that is https (its public URL, or the request itself) takes a form only from an
https page of its host; a registry on plain http on purpose still takes its own pages' forms."""

from __future__ import annotations

from contextlib import AbstractContextManager

import httpx

from loopback import serving
from mcpward.registry import Registry, Role
from mcpward.registry.web import create_app
from mcpward.registry.web._auth import HOST_PREFIX, SESSION_COOKIE

HOST = "registry.example"


def _serving(registry: Registry, public_url: str) -> AbstractContextManager[str]:
    return serving(lambda _port: create_app(registry, public_url=public_url))


def _sign_in(address: str, token: str, origin: str) -> httpx.Response:
    # As the proxy that ends TLS hands it on: plain http, the browser's Host and Origin.
    return httpx.post(
        f"{address}/login",
        data={"token": token, "next": "/queue"},
        headers={"Host": HOST, "Origin": origin},
        follow_redirects=False,
        timeout=30,
    )


def _session_set(answer: httpx.Response) -> bool:
    return any(
        header.split("=", 1)[0] in (HOST_PREFIX + SESSION_COOKIE, SESSION_COOKIE)
        for header in answer.headers.get_list("set-cookie")
    )


def test_a_plain_http_page_of_the_host_signs_no_one_in(registry: Registry) -> None:
    mallory = registry.create_token("mallory", Role.VIEWER, "setup")
    with _serving(registry, f"https://{HOST}") as address:
        forged = _sign_in(address, mallory, f"http://{HOST}")
        assert forged.status_code == 403 and not _session_set(forged)
        # The registry's own https page still signs in.
        signed_in = _sign_in(address, mallory, f"https://{HOST}")
        assert signed_in.status_code == 303 and _session_set(signed_in)
        # A decision posted from the plain-http page, even with the session's form token, is
        # refused too.
        cookie = signed_in.headers["set-cookie"].split(";", 1)[0]
        reviewer = registry.create_token("bob", Role.REVIEWER, "setup")
        bob = _sign_in(address, reviewer, f"https://{HOST}").headers["set-cookie"].split(";", 1)[0]
        page = httpx.get(f"{address}/queue", headers={"Host": HOST, "Cookie": bob}, timeout=30)
        assert page.status_code == 200 and cookie != bob
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        out = httpx.post(
            f"{address}/logout",
            data={"csrf": csrf},
            headers={"Host": HOST, "Cookie": bob, "Origin": f"http://{HOST}"},
            follow_redirects=False,
            timeout=30,
        )
        assert not _session_set(out)
        assert (
            httpx.get(f"{address}/queue", headers={"Host": HOST, "Cookie": bob}, timeout=30).status_code
            == 200
        )


def test_a_registry_on_plain_http_on_purpose_still_signs_in(registry: Registry) -> None:
    alice = registry.create_token("alice", Role.VIEWER, "setup")
    with _serving(registry, f"http://{HOST}") as address:
        signed_in = _sign_in(address, alice, f"http://{HOST}")
        assert signed_in.status_code == 303 and _session_set(signed_in)
        # And another site's page still does not.
        assert _sign_in(address, alice, "http://evil.example").status_code == 403


#: A year: long enough that a reviewer's browser, once it has been to the registry, never asks
#: the plain-http page the attack above needs again.
HSTS = "max-age=31536000"


def test_an_https_registry_tells_browsers_never_to_use_plain_http(registry: Registry) -> None:
    # The sign-in form refused from a plain-http page is half of it: the browser still asked
    # for that page, and whoever answered it can show anything under the registry's name.
    # Strict-Transport-Security makes the browser ask over https only, after its first visit.
    with _serving(registry, f"https://{HOST}") as address:
        for path in ("/login", "/queue", "/static/style.css", "/api/entries", "/v0.1/servers"):
            answer = httpx.get(f"{address}{path}", headers={"Host": HOST}, timeout=30)
            assert answer.headers.get("strict-transport-security") == HSTS, (path, answer.headers)


def test_a_registry_on_plain_http_sends_no_hsts(registry: Registry) -> None:
    # On plain http on purpose (a laptop, a lab), the header would be ignored by browsers (it
    # counts only over https) and must not be sent (RFC 6797): nothing here changes for it.
    with _serving(registry, f"http://{HOST}") as address:
        answer = httpx.get(f"{address}/login", headers={"Host": HOST}, timeout=30)
        assert "strict-transport-security" not in answer.headers
