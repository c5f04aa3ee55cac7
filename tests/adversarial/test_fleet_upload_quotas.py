"""Attack: one requester token (the fleet's agent token, or one taken from a machine) uploads fleet
reports without end: a new machine id or home label in each upload made a new (machine, home)
record of up to 5,000 servers, as fast as the server answered. Before 2026-12-05 nothing bounded
the records a token made or the uploads it sent, so one token filled the registry's database
and held its writers from every other machine's reports.

Now a token holder is the last reporter of at most ``records_per_token`` (machine, home) records
and ``servers_per_token`` servers in them (a report past either is 409, nothing of it stored; its
own records are still replaced), and sends at most ``uploads_per_minute`` reports (then 429 with
Retry-After); all are ``registry serve`` options, and another holder is not held by them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mcpward.registry import Registry, Role
from mcpward.registry.web import FleetLimits, create_app
from mcpward.registry.web._limits import UploadRate


@pytest.fixture
def registry(tmp_path: Any) -> Iterator[Registry]:
    opened = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")
    yield opened
    opened.database.dispose()


def _report(client: TestClient, token: str, machine: str, home: str = "/home/u", servers: int = 1) -> Any:
    body = {
        "machine_id": machine,
        "hostname": "laptop",
        "home": home,
        "servers": [
            {"host": "cursor", "name": f"s{i}", "kind": "remote", "package": f"https://s{i}.example.com/mcp"}
            for i in range(servers)
        ],
    }
    return client.post("/api/fleet/reports", json=body, headers={"Authorization": f"Bearer {token}"})


def test_one_token_makes_at_most_its_quota_of_records(registry: Registry) -> None:
    client = TestClient(create_app(registry, fleet=FleetLimits(records_per_token=3, uploads_per_minute=1000)))
    mallory = registry.create_token("mallory", Role.REQUESTER, "setup")
    fleet = registry.create_token("fleet-agent", Role.REQUESTER, "setup")
    for index in range(3):
        assert _report(client, mallory, f"fake-{index}").status_code == 201
    # A new machine id, or a new home of a known one, past the quota: refused, nothing stored.
    for machine, home in (("fake-3", "/home/u"), ("fake-0", "/home/other")):
        refused = _report(client, mallory, machine, home)
        assert refused.status_code == 409, refused.text
        assert "3 (machine, home) records" in refused.json()["detail"]
    assert registry.home_count() == 3
    # Its own records are still replaced (a machine's next report is no new record).
    assert _report(client, mallory, "fake-1", servers=2).status_code == 201
    # Another holder is not crowded out by it.
    assert _report(client, fleet, "real-laptop").status_code == 201
    # Taking over another holder's record counts against the one that takes it.
    assert _report(client, mallory, "real-laptop").status_code == 409
    assert {machine.reported_by for machine in registry.machines()} == {"mallory", "fleet-agent"}
    assert registry.home_count() == 4


def test_one_token_fills_at_most_its_quota_of_servers(registry: Registry) -> None:
    limits = FleetLimits(uploads_per_minute=1000, servers_per_token=10)
    client = TestClient(create_app(registry, fleet=limits))
    mallory = registry.create_token("mallory", Role.REQUESTER, "setup")
    fleet = registry.create_token("fleet-agent", Role.REQUESTER, "setup")
    assert _report(client, mallory, "fake-0", servers=6).status_code == 201
    refused = _report(client, mallory, "fake-1", servers=5)  # 11 in all
    assert refused.status_code == 409, refused.text
    assert "more than 10 servers" in refused.json()["detail"]
    assert _report(client, mallory, "fake-1", servers=4).status_code == 201  # 10 in all
    # A record's next report replaces its servers: growing it counts only what it adds.
    assert _report(client, mallory, "fake-0", servers=7).status_code == 409
    assert _report(client, mallory, "fake-0", servers=3).status_code == 201
    assert _report(client, mallory, "fake-1", servers=7).status_code == 201  # 3 + 7
    assert _report(client, fleet, "real-laptop", servers=10).status_code == 201
    assert sum(machine.servers for machine in registry.machines()) == 20


def test_uploads_past_the_rate_get_429_with_retry_after(registry: Registry) -> None:
    client = TestClient(create_app(registry, fleet=FleetLimits(uploads_per_minute=5)))
    mallory = registry.create_token("mallory", Role.REQUESTER, "setup")
    fleet = registry.create_token("fleet-agent", Role.REQUESTER, "setup")
    for _ in range(5):
        assert _report(client, mallory, "m").status_code == 201
    throttled = _report(client, mallory, "m")
    assert throttled.status_code == 429, throttled.text
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    assert "5 fleet reports a minute" in throttled.json()["detail"]
    # The rate is the holder's: the fleet's own token still reports.
    assert _report(client, fleet, "real-laptop").status_code == 201


def test_the_rate_frees_up_as_the_minute_passes_and_its_memory_is_bounded() -> None:
    now = [1000.0]
    rate = UploadRate(per_minute=2, max_holders=3, clock=lambda: now[0])
    assert rate.take("a") == 0 and rate.take("a") == 0
    assert rate.take("a") == 60
    now[0] += 30
    assert rate.take("a") == 30
    now[0] += 30.5
    assert rate.take("a") == 0
    for holder in ("b", "c", "d", "e"):
        rate.take(holder)
    assert rate.tracked() == 3


def test_the_default_limits_are_stated() -> None:
    limits = FleetLimits()
    assert limits.uploads_per_minute == 1200
    assert limits.records_per_token == 100_000
    assert limits.servers_per_token == 1_000_000


def test_registry_serve_takes_the_limits(cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import uvicorn

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **_: served.append(application))
    database = f"sqlite:///{tmp_path / 'r.db'}"
    result = cli("registry", "serve", "--database", database, "--fleet-uploads-per-minute", "7")
    assert result.exit_code == 0, result.stderr
    assert served[0].state.fleet_limits == FleetLimits(uploads_per_minute=7)
    assert served[0].state.fleet_rate.per_minute == 7
    assert cli("registry", "serve", "--database", database, "--fleet-records-per-token", "0").exit_code == 2
