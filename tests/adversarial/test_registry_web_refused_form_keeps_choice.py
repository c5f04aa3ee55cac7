"""Attack: a decision the registry refuses (an approval that needs the admins' override, an
entry changed meanwhile) answered with the entry's page again, its form as new: the rationale
empty and the read-only ticks back at inspect's suggestion. A reviewer who had unticked a tool
inspect wrongly judged read-only (``list_inbox``, which leaks what it lists) ticked the
override, wrote the rationale again and approved: the tool they had unticked was confirmed
read-only for the probation. Now the page again keeps the ticks and the rationale as sent."""

from __future__ import annotations

import re

from mcpward.inspect import pin_record, signature
from mcpward.registry import DataScope, Identity, Registry, Role
from test_registry import package_request
from test_registry_web import Site, _sign_in, page_decision

TOOLS = [
    {"name": "read_file", "description": "Read a file.", "inputSchema": {"properties": {"path": {}}}},
    {"name": "list_inbox", "description": "List the messages in the inbox."},
]


def _unvetted_entry(registry: Registry) -> int:
    """A Tier-0 entry not vetted by mcpward: approving it needs an admin's override."""
    pins = pin_record([signature("", "tool", tool) for tool in TOOLS])
    identity = Identity(kind="package", ecosystem="npm", name="@acme/mail", version="1.0.0")
    request = package_request(
        name="mail", identity=identity, pins=pins, vet=None, scope=DataScope(shell=True)
    )
    return registry.request(request, "mallory").id


def _ticked(page: str) -> list[str]:
    return re.findall(r'name="read_only" value="([^"]*)" checked', page)


def test_a_refused_approval_keeps_the_reviewers_ticks_and_rationale(registry: Registry) -> None:
    site = Site(registry)
    entry_id = _unvetted_entry(registry)
    csrf = _sign_in(site, Role.ADMIN)
    assert sorted(_ticked(site.client.get(f"/entries/{entry_id}").text)) == ["list_inbox", "read_file"]
    answer = page_decision(
        site.client,
        registry,
        entry_id,
        csrf,
        "list_inbox leaks what it lists",
        read_only=["read_file"],  # list_inbox unticked; no override
    )
    assert answer.status_code == 422 and "override" in answer.text
    assert _ticked(answer.text) == ["read_file"]
    assert "list_inbox leaks what it lists</textarea>" in answer.text


def test_a_page_not_after_a_refusal_starts_from_inspects_suggestion(registry: Registry) -> None:
    """A clean case: the page as opened, and after a refused reject (no ticks sent), ticks
    inspect's suggestion as before."""
    site = Site(registry)
    entry_id = _unvetted_entry(registry)
    csrf = _sign_in(site, Role.REVIEWER)
    answer = site.client.post(
        f"/entries/{entry_id}/decide",
        data={"decision": "reject", "rationale": "x", "revision": "99", "csrf": csrf},
    )
    assert answer.status_code == 409
    assert sorted(_ticked(answer.text)) == ["list_inbox", "read_file"]
