"""A Tier-0 entry's first approver's read-only choice.

An approval starts a read-only probation: the reviewer confirms which tools are read-only, or
leaves inspect's suggestion. A Tier-0 entry needs two approvals from two persons, but the
choice was used only by the approval that made the entry approved; the first approver's was
stored nowhere. So a first reviewer who confirmed only ``read_file`` (judging ``list_inbox``
to leak what it lists) was overridden when the second approved with no choice (inspect's
suggestion: ``list_inbox`` and ``read_file``) or with a wider one (``send_email`` too): the
second alone decided what could run during the probation, which the four-eyes rule is there to
prevent. Now each approval's choice is stored with its review and the tools read-only during
the probation are those every approver of the round who chose confirmed (inspect's suggestion
only when none chose); the audit event says who chose.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from mcpward.inspect import pin_record, signature
from mcpward.registry import EntryRequest, Identity, InvalidInput, Registry, Role, Status
from mcpward.registry.web import create_app
from mcpward.registry.web._auth import SESSION_COOKIE
from test_registry_web import page_decision

MAIL_TOOLS = [
    {"name": "read_file", "description": "Read a file.", "inputSchema": {"properties": {"path": {}}}},
    {"name": "list_inbox", "description": "List the messages in the inbox."},
    {"name": "send_email", "description": "Send an e-mail.", "inputSchema": {"properties": {"to": {}}}},
]
#: What inspect suggests: the two tools whose names say they read.
SUGGESTED = ["list_inbox", "read_file"]


def _pins() -> dict[str, dict[str, str]]:
    return pin_record([signature("", "tool", tool) for tool in MAIL_TOOLS])


def _request(registry: Registry, name: str = "mail", tier: int | None = 0) -> int:
    request = EntryRequest(
        name=f"com.example/{name}",
        identity=Identity(kind="remote", url=f"https://mcp.example.com/{name}"),
        owner="team-mail",
        pins=_pins(),
        tier=tier,
    )
    return registry.request(request, "mallory").id


def _probation(registry: Registry, entry_id: int) -> dict[str, Any]:
    event = registry.audit(entry_id)[0]
    assert event.action == "approve"
    return dict(event.detail["probation"])


# -- the Python API -------------------------------------------------------------------------------


def test_the_second_approver_with_no_choice_keeps_the_first_approvers(registry: Registry) -> None:
    entry_id = _request(registry)
    registry.approve(entry_id, "bob", "read the code", read_only_tools=["read_file"])
    approved = registry.approve(entry_id, "carol", "read the code")
    # Before: inspect's suggestion, list_inbox with read_file, callable during the probation.
    assert approved.status is Status.APPROVED
    assert approved.read_only_tools == ("read_file",)
    assert not approved.may_call("list_inbox")
    probation = _probation(registry, entry_id)
    assert probation["read_only_tools"] == ["read_file"]
    assert (probation["read_only_from"], probation["read_only_chosen_by"]) == ("reviewer", ["bob"])
    assert [review.read_only_tools for review in approved.reviews] == [("read_file",), None]
    with registry.database.reading() as session:
        # No choice is SQL NULL (not JSON null): left out of the review's digest, as on older rows.
        stored = session.execute(text("SELECT read_only_tools IS NULL FROM reviews ORDER BY id")).scalars()
        assert [bool(missing) for missing in stored] == [False, True]
    assert registry.verify_audit() is None


def test_a_wider_second_choice_is_cut_to_what_both_confirmed(registry: Registry) -> None:
    entry_id = _request(registry)
    registry.approve(entry_id, "bob", "read the code", read_only_tools=["read_file", "list_inbox"])
    approved = registry.approve(
        entry_id, "carol", "read the code", read_only_tools=["read_file", "send_email"]
    )
    # Before: carol's set, send_email among the tools callable during the probation.
    assert approved.read_only_tools == ("read_file",)
    probation = _probation(registry, entry_id)
    assert (probation["read_only_from"], probation["read_only_chosen_by"]) == ("reviewers", ["bob", "carol"])
    assert registry.verify_audit() is None


def test_the_first_approvers_choice_is_checked_when_it_is_made(registry: Registry) -> None:
    entry_id = _request(registry)
    # Before: accepted, and never looked at again.
    with pytest.raises(InvalidInput, match="not a pinned tool"):
        registry.approve(entry_id, "bob", "read the code", read_only_tools=["read_file", "format_disk"])
    assert registry.get(entry_id).approvals == 0


# -- the HTTP API, the entry page and the CLI ----------------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _api_request(client: TestClient, token: str) -> int:
    body = {
        "name": "com.example/mail",
        "identity": {"kind": "remote", "url": "https://mcp.example.com/mail"},
        "owner": "team-mail",
        "pins": _pins(),
        "tier": 0,
    }
    answer = client.post("/api/entries", json=body, headers=_bearer(token))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _api_approve(client: TestClient, token: str, entry_id: int, **body: Any) -> dict[str, Any]:
    answer = client.post(
        f"/api/entries/{entry_id}/approve", json={"rationale": "read it"} | body, headers=_bearer(token)
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.mark.parametrize(
    ("second", "expected"),
    [({}, ["read_file"]), ({"read_only_tools": ["read_file", "list_inbox", "send_email"]}, ["read_file"])],
)
def test_through_the_http_api(registry: Registry, second: dict[str, Any], expected: list[str]) -> None:
    client = TestClient(create_app(registry, max_body=256 * 1024))
    mallory = registry.create_token("mallory", Role.REQUESTER, "setup")
    bob = registry.create_token("bob", Role.REVIEWER, "setup")
    carol = registry.create_token("carol", Role.REVIEWER, "setup")
    entry_id = _api_request(client, mallory)
    first = _api_approve(client, bob, entry_id, read_only_tools=["read_file"])
    assert first["status"] == "requested" and first["reviews"][0]["read_only_tools"] == ["read_file"]
    approved = _api_approve(client, carol, entry_id, **second)
    assert approved["status"] == "approved"
    assert approved["read_only_tools"] == expected


def test_the_entry_pages_ticks_of_the_first_approver_bind(registry: Registry) -> None:
    client = TestClient(create_app(registry, max_body=256 * 1024))
    mallory = registry.create_token("mallory", Role.REQUESTER, "setup")
    carol = registry.create_token("carol", Role.REVIEWER, "setup")
    entry_id = _api_request(client, mallory)
    session_id, csrf = registry.open_sso_session("bob@example.com", Role.REVIEWER)
    client.cookies.set(SESSION_COOKIE, session_id)
    answer = page_decision(
        client,
        registry,
        entry_id,
        csrf,
        "read it",
        read_only=["read_file"],  # list_inbox unticked
    )
    assert answer.status_code == 303, answer.text
    page = client.get(f"/entries/{entry_id}").text
    assert "confirmed read-only: read_file" in page  # what the second approver is shown
    client.cookies.clear()
    approved = _api_approve(client, carol, entry_id)
    assert approved["read_only_tools"] == ["read_file"]


def test_through_the_cli(registry: Registry, database_url: str, cli: Any) -> None:
    entry_id = _request(registry)
    first = cli("registry", "approve", str(entry_id), "-m", "read it", "--read-only", "read_file",
                "--as", "bob", "--database", database_url)  # fmt: skip
    assert first.exit_code == 0, first.stderr
    second = cli("registry", "approve", str(entry_id), "-m", "read it", "--as", "carol",
                 "--database", database_url)  # fmt: skip
    assert second.exit_code == 0, second.stderr
    assert registry.get(entry_id).read_only_tools == ("read_file",)
    shown = cli("registry", "show", str(entry_id), "--database", database_url)
    assert "by bob: read it · confirmed read-only: read_file" in shown.stdout


# -- what did not change --------------------------------------------------------------------------


@pytest.mark.parametrize("choice", [None, ["read_file"]])
def test_one_approval_below_tier_0_is_as_before(registry: Registry, choice: list[str] | None) -> None:
    entry_id = _request(registry, tier=None)
    assert registry.get(entry_id).tier > 0
    approved = registry.approve(entry_id, "bob", "read the code", read_only_tools=choice)
    assert approved.read_only_tools == tuple(choice or SUGGESTED)
    assert _probation(registry, entry_id) == {
        "probation_until": str(approved.probation_until),
        "read_only_tools": choice or SUGGESTED,
        "read_only_from": "inspect" if choice is None else "reviewer",
    }


def test_tier_0_where_neither_chose_uses_inspects_suggestion(registry: Registry) -> None:
    entry_id = _request(registry)
    registry.approve(entry_id, "bob", "read the code")
    approved = registry.approve(entry_id, "carol", "read the code")
    assert approved.read_only_tools == tuple(SUGGESTED)
    probation = _probation(registry, entry_id)
    assert (probation["read_only_from"], probation["read_only_chosen_by"]) == ("inspect", [])


@pytest.mark.parametrize("who", ["first", "second"])
def test_no_read_only_by_either_approver_leaves_nothing_read_only(registry: Registry, who: str) -> None:
    entry_id = _request(registry)
    registry.approve(entry_id, "bob", "read the code", read_only_tools=[] if who == "first" else None)
    approved = registry.approve(
        entry_id, "carol", "read the code", read_only_tools=[] if who == "second" else ["read_file"]
    )
    assert approved.read_only_tools == () and not approved.may_call("read_file")


def test_a_later_round_takes_only_its_own_approvers_choices(registry: Registry) -> None:
    """An expired approval approved again is a new round: the choices of the earlier round's
    approvers judged the server then, and do not bind the new round's two approvers."""
    entry_id = _request(registry)
    registry.approve(entry_id, "bob", "read the code", read_only_tools=["read_file"])
    registry.approve(entry_id, "carol", "read the code", read_only_tools=["read_file"])
    later = Registry(registry.database, clock=lambda: registry.now() + timedelta(days=100))
    assert later.expire_due() == 1 and later.get(entry_id).status is Status.EXPIRED
    later.approve(entry_id, "dave", "read it again")
    again = later.approve(entry_id, "erin", "read it again", read_only_tools=["list_inbox", "read_file"])
    assert again.status is Status.APPROVED and again.read_only_tools == ("list_inbox", "read_file")
    probation = _probation(later, entry_id)
    assert (probation["read_only_from"], probation["read_only_chosen_by"]) == ("reviewer", ["erin"])


def test_an_approval_from_before_migration_0009_counts_as_no_choice(registry: Registry) -> None:
    """Migration 0009 adds the column, NULL on every review: the trail still verifies, and a
    first approval given before it binds nothing (it made no recorded choice)."""
    from test_registry import migrated

    entry_id = _request(registry)
    registry.approve(entry_id, "bob", "read the code")
    migrated(registry, ("downgrade", "0008"), ("upgrade", "head"))
    assert registry.verify_audit() is None
    approved = registry.approve(entry_id, "carol", "read the code", read_only_tools=["read_file"])
    assert approved.read_only_tools == ("read_file",)
    assert registry.verify_audit() is None
