"""Attack: any site signs a reviewer out of the registry. ``POST /logout`` checked the form's
CSRF token only before ending the session in the database, and deleted the session cookie
whatever came: a cross-site form (``<form action="https://registry/logout" method=post>``,
auto-submitted) has no token and, the cookie being SameSite=Strict, no session, yet its answer
cleared the reviewer's cookie: signed out mid-review, as often as the page liked. Now a sign-out
from another site (its ``Origin``), or with a session but without its CSRF token, changes
nothing."""

from __future__ import annotations

import re

import httpx

from mcpward.registry import Registry, Role
from mcpward.registry.web._auth import SESSION_COOKIE


def _signed_in(live_server: str, registry: Registry) -> tuple[httpx.Client, str]:
    browser = httpx.Client(base_url=live_server, timeout=30)
    reviewer = registry.create_token("bob", Role.REVIEWER, "setup")
    assert browser.post("/login", data={"token": reviewer, "next": "/queue"}).status_code in (200, 303)
    found = re.search(r'name="csrf" value="([^"]+)"', browser.get("/queue").text)
    assert found
    return browser, found.group(1)


def _clears_the_cookie(response: httpx.Response) -> bool:
    return any(header.startswith(f"{SESSION_COOKIE}=") for header in response.headers.get_list("set-cookie"))


def test_another_site_cannot_sign_a_reviewer_out(registry: Registry, live_server: str) -> None:
    browser, _csrf = _signed_in(live_server, registry)
    cookie = browser.cookies[SESSION_COOKIE]
    # What the browser sends for the other site's form: its Origin, no cookie (SameSite).
    forged = httpx.post(
        f"{live_server}/logout",
        data={},
        headers={"Origin": "https://evil.example"},
        timeout=30,
        follow_redirects=False,
    )
    assert not _clears_the_cookie(forged)
    # And with the cookie but without the form's token, nothing either.
    tokenless = browser.post("/logout", data={}, follow_redirects=False)
    assert not _clears_the_cookie(tokenless)
    assert browser.cookies.get(SESSION_COOKIE) == cookie
    assert browser.get("/queue", follow_redirects=False).status_code == 200
    browser.close()


def test_the_sign_out_button_still_signs_out(registry: Registry, live_server: str) -> None:
    browser, csrf = _signed_in(live_server, registry)
    signed_out = browser.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert signed_out.status_code == 303
    assert _clears_the_cookie(signed_out)
    browser.cookies.clear()
    assert browser.get("/queue", follow_redirects=False).status_code == 303
    browser.close()
