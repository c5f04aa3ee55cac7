"""The /fleet page read and judged every fleet server at each view (for its list of servers
with advisories, and again for a status filter) and listed every (machine, home) record.

A fleet holds up to a million servers and 100,000 records per requester token (a token taken
from one machine can fill its quota with made-up machines), so any viewer's page view matched
all of them against the approvals and the advisories, in one answer. Now it judges at most a
bound of them and lists at most a bound of records, and says how many it did not read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fleet_kit import count_judged, fill_fleet

from mcpward.registry import Registry, Role
from mcpward.registry._fleet import STALE_DAYS
from mcpward.registry.web import _pages, create_app
from mcpward.registry.web._auth import SESSION_COOKIE

READ = 40
SHOWN = 3


def _fill(registry: Registry, machines: int, servers: int, first: str = "aaa") -> None:
    fill_fleet(registry, machines, servers, first)


def test_the_fleet_page_reads_a_bounded_number_of_servers(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pages, "_FLEET_READ", READ, raising=False)
    monkeypatch.setattr(_pages, "_HOMES_SHOWN", SHOWN, raising=False)
    now = registry.now()
    registry._clock = lambda: now - timedelta(days=STALE_DAYS + 1)
    _fill(registry, machines=1, servers=1, first="zzz")  # stopped reporting; sorts last
    registry._clock = lambda: now
    _fill(registry, machines=10, servers=30)
    judged = count_judged(monkeypatch)
    listed: list[int] = []
    machines = registry.machines

    def listing(*args: Any, **kwargs: Any) -> Any:
        found = machines(*args, **kwargs)
        listed.append(len(found))
        return found

    monkeypatch.setattr(registry, "machines", listing)
    opened = registry.open_session(registry.create_token("auditor", Role.VIEWER, "setup"))
    assert opened is not None
    session_id, _csrf = opened
    client = TestClient(create_app(registry))
    client.cookies.set(SESSION_COOKIE, session_id)

    page = client.get("/fleet", params={"status": "unapproved"})
    assert page.status_code == 200
    assert len(judged) <= 2 * READ, f"{len(judged)} of 301 servers judged for one view"
    assert max(listed) <= SHOWN, f"{max(listed)} of 11 records listed"
    assert "301 servers" in page.text and "were not read here" in page.text
    assert "11 homes" in page.text and f"the first {SHOWN} of 11" in page.text
    # The record that stopped reporting sorts after those listed, and is still named.
    assert "Stopped reporting (1)" in page.text and "zzz-000" in page.text
