"""A write grant after a "quiet" probation period that was not quiet.

Attack: the registry grants write on its own once a probation period ends with the server seen
in use and no baseline alert from the gateways. It judged the period from the newest 10,000
gateway records of the server only, so an alert followed by 10,000 ordinary records (a call
spike raises one ``call-spike`` alert and the spike's own calls follow it; or whoever runs a
gateway makes 10,000 harmless calls) fell out of what was read: write was granted over the alert
until 2026-12-05. Now every record of the period is counted, every one that is not a plain
``allow`` (an alert makes a record at least ``alert``) is read for alerts, and a period with more
such records than one scan reads is left to a reviewer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome, _probation

SERVER = "io-github-acme-files"


def _on_probation(registry: Registry) -> int:
    identity = Identity(kind="package", ecosystem="npm", name="@acme/files", version="1.0.0")
    request = EntryRequest(name="io.github.acme/files", identity=identity, owner="team",
                           scope=DataScope(), vet=VetOutcome(verdict="pass"))  # fmt: skip
    entry = registry.approve(registry.request(request, "alice").id, "bob", "ok", read_only_tools=[])
    assert entry.on_probation and entry.tier > 0
    return entry.id


def _records(count: int, start: datetime, **fields: Any) -> list[dict[str, Any]]:
    return [
        {"at": (start + timedelta(seconds=i)).isoformat(), "server": SERVER, "method": "tools/call",
         "tool": "read_file", "stage": "request", "decision": "allow"} | fields
        for i in range(count)
    ]  # fmt: skip


def test_an_alert_followed_by_many_quiet_records_keeps_write_for_a_reviewer(registry: Registry) -> None:
    entry = _on_probation(registry)
    start = datetime.now(UTC)
    spike = {"decision": "alert", "events": [{"kind": "call-spike", "message": "read_file: 900 calls"}]}
    registry.record_gateway_events(_records(1, start, **spike))
    # The spike's own calls, after its one alert: more than the newest records once read.
    registry.record_gateway_events(_records(10_000, start + timedelta(minutes=1)))
    later = Registry(registry.database, clock=lambda: datetime.now(UTC) + timedelta(days=8))
    assert later.grant_quiet() == []  # was [entry]: the alert was not among the newest 10,000
    assert later.get(entry).on_probation


def test_a_period_with_more_flagged_records_than_a_scan_reads_is_left_to_a_reviewer(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_probation, "_QUIET_SCAN", 5)
    entry = _on_probation(registry)
    start = datetime.now(UTC)
    alert = {"decision": "block", "events": [{"kind": "new-destination", "message": "x"}]}
    registry.record_gateway_events(_records(1, start, **alert))
    registry.record_gateway_events(_records(5, start + timedelta(minutes=1), decision="redact"))
    later = Registry(registry.database, clock=lambda: datetime.now(UTC) + timedelta(days=8))
    assert later.grant_quiet() == []
    assert later.get(entry).on_probation


def test_a_quiet_period_with_many_records_is_still_granted(registry: Registry) -> None:
    entry = _on_probation(registry)
    registry.record_gateway_events(_records(10_500, datetime.now(UTC)))
    later = Registry(registry.database, clock=lambda: datetime.now(UTC) + timedelta(days=8))
    assert later.grant_quiet() == [entry]
    assert later.audit(entry)[0].detail["gateway_records"] == 10_500
