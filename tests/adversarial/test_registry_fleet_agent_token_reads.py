"""The fleet agent's token read every machine's and every home's inventory.

``mcpward agent`` reports each home of a machine to the registry with an API token installed on
that machine (``/etc/mcpward/agent.token``, a requester token as the README said). A fleet
shares one, or gives groups of machines theirs, so it sits on every laptop, readable by whoever
is root there: often the laptop's own user. A requester may do everything a viewer may, so with
it anyone root on one machine read ``/api/fleet/machines`` and ``/api/fleet/servers`` (every
other machine's host name, every person's home, each MCP server they run and its command line
and URL, its advisories: the fleet's map for an attack), the review queue and its pages, and
could request servers, until 2026-12-05. No role sent fleet reports and nothing else.

Now there is one: ``reporter``. Its token sends fleet reports (``POST /api/fleet/reports``, as
a requester's still may) and is refused everything else (403), opens no page, and maps no
single sign-on group to a session. The agent's documentation names it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mcpward.registry import Registry, Role
from mcpward.registry.web import create_app

SITE = "http://127.0.0.1:8080"
REPORT = {
    "machine_id": "m-1",
    "hostname": "laptop-1",
    "home": "/home/alice",
    "servers": [{"host": "cursor", "name": "files", "kind": "local", "launch": "npx -y files-mcp"}],
}


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    opened = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    yield opened
    opened.database.dispose()


def test_a_reporter_token_sends_fleet_reports_and_reads_nothing(registry: Registry) -> None:
    agent = registry.create_token("fleet-agent", Role.REPORTER, "setup")
    viewer = registry.create_token("auditor", Role.VIEWER, "setup")
    with TestClient(create_app(registry), base_url=SITE) as client:
        sent = client.post("/api/fleet/reports", json=REPORT, headers={"Authorization": f"Bearer {agent}"})
        assert sent.status_code == 201, sent.text
        for path in ("/api/fleet/machines", "/api/fleet/servers", "/api/entries", "/api/audit"):
            read = client.get(path, headers={"Authorization": f"Bearer {agent}"})
            assert read.status_code == 403, (path, read.status_code)
        asked = client.post("/api/entries", json={}, headers={"Authorization": f"Bearer {agent}"})
        assert asked.status_code == 403
        # A viewer still reads the fleet, and may not report to it.
        machines = client.get("/api/fleet/machines", headers={"Authorization": f"Bearer {viewer}"})
        assert machines.status_code == 200 and machines.json()[0]["home"] == "/home/alice"
        assert (
            client.post("/api/fleet/reports", json=REPORT, headers={"Authorization": f"Bearer {viewer}"})
        ).status_code == 403


def test_a_reporter_token_opens_no_page(registry: Registry) -> None:
    agent = registry.create_token("fleet-agent", Role.REPORTER, "setup")
    with TestClient(create_app(registry), base_url=SITE) as client:
        signed_in = client.post("/login", data={"token": agent, "next": "/fleet"}, headers={"Origin": SITE},
                                follow_redirects=False)  # fmt: skip
        assert signed_in.status_code == 403 and "set-cookie" not in signed_in.headers
        # Nor does a session opened for it some other way.
        session_id, _csrf = registry.open_session(agent) or ("", "")
        client.cookies.set("mcpward_session", session_id)
        page = client.get("/fleet", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_requester_token_still_reports(registry: Registry) -> None:
    agent = registry.create_token("fleet-agent", Role.REQUESTER, "setup")
    with TestClient(create_app(registry), base_url=SITE) as client:
        sent = client.post("/api/fleet/reports", json=REPORT, headers={"Authorization": f"Bearer {agent}"})
        assert sent.status_code == 201, sent.text
