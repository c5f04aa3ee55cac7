"""``GET /api/fleet/servers?status=...`` read and judged every fleet server for each answer
(statuses are not stored, so the filter was applied after judging all of them), and
``GET /api/fleet/machines`` listed every (machine, home) record, each with a server count
grouped over the whole fleet, in one answer.

A fleet holds up to a million servers and 100,000 records per requester token (a token taken
from one machine fills its quota with made-up machines), so any viewer's request read, judged
and held them all: time and memory grew with the fleet, not with the answer. Now each answer
reads a bounded number of rows (the bound lowered here) and holds at most ``limit`` items (a
stated default and maximum), and a ``Link: <...>; rel="next"`` header names the cursor
(``after``) to read on from; the cursor is a position in the order records were made, so
records made meanwhile come after it and nothing read is read again or skipped.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fleet_kit import count_judged, fill_fleet
from sqlalchemy import event

from mcpward.registry import Registry, Role
from mcpward.registry._tables import FleetServerRow, MachineRow
from mcpward.registry.web import _api, create_app

READ = 40


def _fill(registry: Registry, machines: int, servers: int, first: str = "mmm") -> None:
    fill_fleet(registry, machines, servers, first)


class _Loads:
    """ORM rows of ``table`` read from the database (each load is one row held in memory)."""

    def __init__(self, table: type) -> None:
        self.count = 0
        self.table = table
        event.listen(table, "load", self._loaded)

    def _loaded(self, *_args: Any) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self.table, "load", self._loaded)


def _client(registry: Registry) -> tuple[TestClient, dict[str, str]]:
    token = registry.create_token("auditor", Role.VIEWER, "setup")
    return TestClient(create_app(registry)), {"Authorization": f"Bearer {token}"}


def _every_page(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> list[list[Any]]:
    pages = []
    answer = client.get(path, params=params, headers=headers)
    for _ in range(1000):  # bounded: a cursor that never ends is a failure, not a hang
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        following = answer.links.get("next")
        if following is None:
            return pages
        assert following["url"].startswith(path + "?")
        answer = client.get(following["url"], headers=headers)
    raise AssertionError("the cursor never ended")


def _server_key(item: dict[str, Any]) -> tuple[str, str]:
    return item["hostname"], item["server"]["name"]


def test_a_status_filter_reads_a_bounded_number_of_servers(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_api, "_FLEET_READ", READ, raising=False)
    _fill(registry, machines=10, servers=30)
    judged = count_judged(monkeypatch)
    loads = _Loads(FleetServerRow)
    client, headers = _client(registry)
    try:
        first = client.get(
            "/api/fleet/servers", params={"status": "unapproved", "limit": 5000}, headers=headers
        )
        assert first.status_code == 200
        assert len(judged) <= READ, f"{len(judged)} of 300 servers judged for one answer"
        assert loads.count <= READ + 1, f"{loads.count} of 300 server rows read for one answer"
        assert len(first.json()) <= READ and "next" in first.links
    finally:
        loads.close()
    # Followed to its end, the cursor gives every server once.
    pages = _every_page(client, headers, "/api/fleet/servers", status="unapproved", limit=7)
    listed = [_server_key(item) for page in pages for item in page]
    assert len(listed) == 300 and len(set(listed)) == 300
    assert all(len(page) <= 7 for page in pages)
    assert _every_page(client, headers, "/api/fleet/servers", status="approved") == [[]] * 8


def test_the_machine_list_is_paged(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_api, "_FLEET_READ", READ, raising=False)
    _fill(registry, machines=11, servers=2)
    loads = _Loads(MachineRow)
    client, headers = _client(registry)
    try:
        answer = client.get("/api/fleet/machines", params={"limit": 3}, headers=headers)
        assert answer.status_code == 200
        assert len(answer.json()) == 3 and loads.count <= 4, f"{loads.count} of 11 records read"
    finally:
        loads.close()
    pages = _every_page(client, headers, "/api/fleet/machines", limit=3)
    assert [len(page) for page in pages] == [3, 3, 3, 2]
    assert len({item["hostname"] for page in pages for item in page}) == 11
    assert all(item["servers"] == 2 for page in pages for item in page)
    # A stated default and maximum (a client that sends no limit gets a bounded answer).
    parameters = {
        (path, p["name"]): p["schema"]
        for path, methods in client.get("/openapi.json").json()["paths"].items()
        for p in methods.get("get", {}).get("parameters", [])
    }
    assert parameters["/api/fleet/machines", "limit"]["default"] == 1000
    assert parameters["/api/fleet/machines", "limit"]["maximum"] == 10_000
    assert parameters["/api/fleet/servers", "limit"]["default"] == 500
    assert parameters["/api/fleet/servers", "limit"]["maximum"] == 5000
    assert client.get("/api/fleet/machines", params={"limit": 10_001}, headers=headers).status_code == 422
    for cursor in ("x", "-1", "1.2.3", str(2**63), "1." + str(2**63)):
        for path in ("/api/fleet/machines", "/api/fleet/servers"):
            bad = client.get(path, params={"after": cursor}, headers=headers)
            assert bad.status_code == 422, (path, cursor, bad.status_code)


def test_the_stale_filter_reads_a_bounded_number_of_records(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_api, "_FLEET_READ", 4, raising=False)
    _fill(registry, machines=11, servers=1)
    loads = _Loads(MachineRow)
    client, headers = _client(registry)
    try:
        answer = client.get("/api/fleet/machines", params={"stale": "true"}, headers=headers)
        assert answer.status_code == 200 and answer.json() == []
        assert loads.count <= 4, f"{loads.count} of 11 records read"
        assert "next" in answer.links  # none stale among the first 4; more to read
    finally:
        loads.close()
    assert _every_page(client, headers, "/api/fleet/machines", stale="true") == [[], [], []]
    fresh = _every_page(client, headers, "/api/fleet/machines", stale="false")
    assert [len(page) for page in fresh] == [4, 4, 3]


def test_the_cursor_is_stable_under_inserts(registry: Registry) -> None:
    _fill(registry, machines=6, servers=3)
    client, headers = _client(registry)
    seen: list[tuple[str, str]] = []
    answer = client.get("/api/fleet/servers", params={"limit": 5}, headers=headers)
    seen += [_server_key(item) for item in answer.json()]
    # New records, named to sort first by host name, and a record reported again, arrive between
    # two pages: nothing already read comes again and nothing that was there is skipped.
    _fill(registry, machines=2, servers=3, first="aaa")
    _fill(registry, machines=1, servers=3)  # mmm-000 again, read on the first page
    for _ in range(100):
        following = answer.links.get("next")
        if following is None:
            break
        answer = client.get(following["url"], headers=headers)
        seen += [_server_key(item) for item in answer.json()]
    assert len(seen) == len(set(seen)) == 24
    machines: list[str] = []
    answer = client.get("/api/fleet/machines", params={"limit": 3}, headers=headers)
    machines += [item["hostname"] for item in answer.json()]
    _fill(registry, machines=1, servers=1, first="000")
    for _ in range(100):
        following = answer.links.get("next")
        if following is None:
            break
        answer = client.get(following["url"], headers=headers)
        machines += [item["hostname"] for item in answer.json()]
    assert len(machines) == len(set(machines)) == 9 and machines[-1] == "000-000"


def test_existing_clients_still_get_a_list(registry: Registry) -> None:
    _fill(registry, machines=3, servers=2)
    client, headers = _client(registry)
    servers = client.get("/api/fleet/servers", headers=headers)
    assert len(servers.json()) == 6 and "next" not in servers.links
    assert len(client.get("/api/fleet/servers", params={"offset": 4}, headers=headers).json()) == 2
    unapproved = client.get(
        "/api/fleet/servers", params={"status": "unapproved", "offset": 5}, headers=headers
    )
    assert len(unapproved.json()) == 1
    machines = client.get("/api/fleet/machines", headers=headers)
    assert len(machines.json()) == 3 and "next" not in machines.links
