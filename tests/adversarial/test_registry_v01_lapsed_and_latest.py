"""What the read API (``/v0.1``) tells a client of approvals that have ended or been replaced.

Attacks, each on the real app and database:

- An approval whose re-review date has passed, or whose grace period after a newer version's
  approval has ended, is no longer approved: the default listing leaves it out. Until someone
  opened the review queue or ran ``registry list`` (which record the change), the listing a
  syncing client asks for (``include_deleted``, ``updated_since``) served it as ``active`` (or
  ``deprecated``), and ``updated_since`` never listed it at all, so the client kept an expired
  approval as current until 2026-12-05.
- ``isLatest`` (and ``/versions/latest``) was the newest *request* of a name among its current
  approvals, not the approval reviewers made current: when 2.0.0 was requested before 1.0.0 and
  approved after it (so 1.0.0 was superseded, in its grace period), clients asking for the latest
  version were sent to the superseded 1.0.0 until 2026-12-05.
- ``version=1.0.0`` on ``/servers`` was ignored (every version listed, the asked one or not) and
  unbounded in length (a page cache key); it now keeps that exact version, at most 200 characters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome
from mcpward.registry.web import create_app

OFFICIAL = "io.modelcontextprotocol.registry/official"
NAME = "io.github.acme/files"


def _request(registry: Registry, version: str) -> int:
    identity = Identity(kind="package", ecosystem="npm", name="@acme/files", version=version)
    request = EntryRequest(name=NAME, identity=identity, owner="team", scope=DataScope(),
                           vet=VetOutcome(verdict="pass"))  # fmt: skip
    return registry.request(request, "alice").id


def _statuses(client: TestClient, **params: str) -> dict[str, dict[str, Any]]:
    answer = client.get("/v0.1/servers", params=params)
    assert answer.status_code == 200, answer.text
    return {item["server"]["version"]: item["_meta"][OFFICIAL] for item in answer.json()["servers"]}


def test_an_approval_past_its_review_date_is_not_served_as_active(registry: Registry) -> None:
    entry = _request(registry, "1.0.0")
    registry.approve(entry, "bob", "reviewed")
    client = TestClient(create_app(registry))
    since = _statuses(client)["1.0.0"]["updatedAt"]
    due = registry.get(entry).review_due
    assert due is not None
    # The day after the re-review date, before anything recorded the expiry.
    later = Registry(registry.database, clock=lambda: datetime.combine(due, datetime.min.time(), UTC)
                     + timedelta(days=1, hours=12))  # fmt: skip
    client = TestClient(create_app(later))
    assert _statuses(client) == {}  # the default listing already left it out
    shown = _statuses(client, include_deleted="true")["1.0.0"]
    assert shown["status"] == "deleted", shown  # was "active"
    assert shown["statusMessage"].startswith("approval expired")
    assert not shown["isLatest"]
    # A client syncing with updated_since learns of it (it was not listed: nothing was written).
    changed = _statuses(client, updated_since=since)
    assert changed["1.0.0"]["status"] == "deleted", changed
    whole = client.get(
        f"/v0.1/servers/{NAME.replace('/', '%2F')}/versions", params={"include_deleted": "true"}
    )
    assert whole.json()["servers"][0]["_meta"][OFFICIAL]["status"] == "deleted"


def test_a_superseded_approval_past_its_grace_period_is_deleted(registry: Registry) -> None:
    old = _request(registry, "1.0.0")
    registry.approve(old, "bob", "reviewed")
    registry.approve(_request(registry, "1.1.0"), "bob", "reviewed")
    ends = registry.get(old).superseded_on
    assert ends is not None
    later = Registry(registry.database, clock=lambda: datetime.combine(ends, datetime.min.time(), UTC)
                     + timedelta(hours=12))  # fmt: skip
    client = TestClient(create_app(later))
    assert list(_statuses(client)) == ["1.1.0"]
    shown = _statuses(client, include_deleted="true")
    assert shown["1.0.0"]["status"] == "deleted", shown  # was "deprecated", its approval ended
    assert shown["1.0.0"]["statusMessage"].startswith("superseded")
    assert shown["1.1.0"]["status"] == "active" and shown["1.1.0"]["isLatest"]


def test_latest_is_the_approval_reviewers_made_current_not_the_newest_request(registry: Registry) -> None:
    newer = _request(registry, "2.0.0")  # requested first
    older = _request(registry, "1.0.0")
    registry.approve(older, "bob", "reviewed")
    registry.approve(newer, "bob", "reviewed")  # 2.0.0 is current; 1.0.0 in its grace period
    client = TestClient(create_app(registry))
    latest = client.get(f"/v0.1/servers/{NAME.replace('/', '%2F')}/versions/latest")
    assert latest.status_code == 200
    assert latest.json()["server"]["version"] == "2.0.0"  # was 1.0.0, the superseded one
    shown = _statuses(client)
    assert shown["2.0.0"]["isLatest"] and not shown["1.0.0"]["isLatest"]
    assert list(_statuses(client, version="latest")) == ["2.0.0"]


def test_a_version_asked_for_is_the_only_one_listed(registry: Registry) -> None:
    registry.approve(_request(registry, "1.0.0"), "bob", "reviewed")
    registry.approve(_request(registry, "1.1.0"), "bob", "reviewed")
    client = TestClient(create_app(registry))
    assert list(_statuses(client, version="1.0.0")) == ["1.0.0"]  # was both
    assert client.get("/v0.1/servers", params={"version": "1" * 201}).status_code == 422
