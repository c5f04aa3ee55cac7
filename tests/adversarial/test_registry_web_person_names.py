"""Attack: the registry's pages showed who did what (the signed-in person in the header, each
review's reviewer and rationale, who granted write, who requested) as stored, with nothing
escaped. A person signed in through single sign-on is named by their identity provider's claim
(``sso:preferred_username:NAME``), which at some providers the person edits themselves: a
``bob\\u200b`` read as ``bob`` among the reviews a Tier-0 entry's second approver reads, and a
rationale ending in a right-to-left override reversed the rest of its review's line, the tools
the reviewer confirmed as read-only included. Now they are shown as tool names and requesters'
fields are, with what a reader does not see escaped."""

from __future__ import annotations

import re
from html import unescape

from mcpward.inspect import pin_record, signature
from mcpward.registry import DataScope, Registry, Role
from mcpward.registry.web._auth import SESSION_COOKIE
from test_registry import package_request
from test_registry_web import Site, page_decision

TWIN = "preferred_username:bob\u200b"
UNSEEN = ("\u200b", "\u202e")


def _as_shown(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]*>", " ", html)))


def _entry_id(registry: Registry) -> int:
    tools = [{"name": "read_file", "description": "Read a file."}]
    pins = pin_record([signature("", "tool", tool) for tool in tools])
    scope = DataScope(reads=("files",), shell=True)
    return registry.request(package_request(name="files", pins=pins, scope=scope), "alice").id


def test_a_person_and_a_rationale_are_shown_with_their_unseen_characters(registry: Registry) -> None:
    site = Site(registry)
    entry_id = _entry_id(registry)
    session_id, csrf = registry.open_sso_session(TWIN, Role.REVIEWER)
    site.client.cookies.set(SESSION_COOKIE, session_id)
    answer = page_decision(
        site.client, registry, entry_id, csrf, "read the code \u202e", read_only=["read_file"]
    )
    assert answer.status_code == 303, answer.text
    page = site.client.get(f"/entries/{entry_id}").text
    shown = _as_shown(page)
    assert not any(char in shown for char in UNSEEN), [c for c in UNSEEN if c in shown]
    assert "by sso:preferred_username:bob\\u200b: read the code \\u202e" in shown
    assert "sso:preferred_username:bob\\u200b (reviewer)" in shown  # the header


def test_plain_names_are_shown_as_they_are(registry: Registry) -> None:
    """A clean case: an email and a rationale of several lines are shown as they were."""
    site = Site(registry)
    entry_id = _entry_id(registry)
    registry.approve(
        entry_id, "sso:bob@example.com", "Read the code.\nNo network.", read_only_tools=[], override=True
    )
    session_id, _csrf = registry.open_sso_session("carol@example.com", Role.VIEWER)
    site.client.cookies.set(SESSION_COOKIE, session_id)
    shown = _as_shown(site.client.get(f"/entries/{entry_id}").text)
    assert "by sso:bob@example.com: Read the code. No network." in shown
    assert "carol@example.com (viewer)" in shown
