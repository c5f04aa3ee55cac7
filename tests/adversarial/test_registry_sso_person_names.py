"""Attack: a person is named by the first of ``email`` (verified), ``preferred_username``,
``sub`` their ID token holds, and every claim's value was put in one namespace, ``sso:VALUE``. An
account whose username or subject is another person's email (at many providers a user picks
their username; ``alice@example.com`` is free as a username when alice signed up as ``alice``),
with its own email unverified, signed in as ``sso:alice@example.com``: alice's row, her role
replaced by the intruder's (her sessions ended), every later decision recorded in her name.
Now a name taken from a claim other than a verified email says which claim it came from
(``sso:sub:…``, ``sso:preferred_username:…``), so no claim's value poses as another's."""

from __future__ import annotations

import httpx
from test_registry_sso import _authorize, _start, idp, site

from mcpward.registry import Registry, Role
from oauth_kit import BROWSER_TIMEOUT, AuthServer

__all__ = ["idp", "site"]  # the fixtures, shared with test_registry_sso


def test_a_username_that_is_another_persons_email_is_not_that_person(
    site: tuple[str, Registry], idp: AuthServer
) -> None:
    base, registry = site
    with httpx.Client(
        timeout=BROWSER_TIMEOUT
    ) as browser:  # alice, an admin, signs in: her verified email names her
        assert browser.get(_authorize(_start(browser, base))).status_code == 200
    assert ("sso:alice@example.com", Role.ADMIN) in [
        (n, r) for n, r, _, revoked in registry.tokens() if not revoked
    ]

    intruder = "alice@example.com"  # a username (here the subject) spelled as alice's email
    idp.user, idp.groups[intruder], idp.emails[intruder] = intruder, ["mcp-reviewers"], "mallory@example.org"
    try:
        with httpx.Client(timeout=BROWSER_TIMEOUT) as browser:
            assert browser.get(_authorize(_start(browser, base))).status_code == 200
    finally:
        idp.user = "alice"
        del idp.groups[intruder], idp.emails[intruder]
    live = [(n, r) for n, r, _, revoked in registry.tokens() if not revoked]
    assert ("sso:alice@example.com", Role.ADMIN) in live, "alice's row was replaced by another account's"
    assert ("sso:sub:alice@example.com", Role.REVIEWER) in live
