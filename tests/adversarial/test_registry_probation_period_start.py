"""Attack: a quiet-period grant that reads only part of the period.

The registry grants write once a probation period has ended with no baseline alert. It took the
period's start as its end less the days configured *now* (``MCPWARD_PROBATION_DAYS``), not the
approval that started it: once the days were lowered (14 to 1, to let new approvals through
sooner; or 0, no probation for new ones), every entry already on probation was judged on its
last day alone (or on nothing before its end), so an alert raised on its first days was not seen
and write was granted over it, until 2026-12-05. Now the period starts at the approval.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome


@pytest.mark.parametrize("lowered", ["1", "0"])
def test_an_alert_early_in_the_period_is_seen_after_the_days_are_lowered(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, lowered: str
) -> None:
    monkeypatch.setenv("MCPWARD_PROBATION_DAYS", "7")
    request = EntryRequest(name="io.github.acme/files", owner="team", scope=DataScope(),
                           identity=Identity(kind="package", ecosystem="npm", name="@acme/files", version="1.0.0"),
                           vet=VetOutcome(verdict="pass"))  # fmt: skip
    entry = registry.approve(registry.request(request, "alice").id, "bob", "ok", read_only_tools=[])
    assert entry.probation_until is not None and entry.tier > 0
    day_one = datetime.now(UTC) + timedelta(hours=1)
    alert = {"decision": "alert", "events": [{"kind": "new-destination", "message": "sends to evil.example"}]}
    last_day = datetime.combine(entry.probation_until, datetime.min.time(), UTC) - timedelta(hours=2)
    registry.record_gateway_events(
        [
            {"at": day_one.isoformat(), "server": "io-github-acme-files", "stage": "request"} | alert,
            {"at": last_day.isoformat(), "server": "io-github-acme-files", "stage": "request",
             "decision": "allow"},
            {"at": (last_day + timedelta(days=2)).isoformat(), "server": "io-github-acme-files",
             "stage": "request", "decision": "allow"},
        ]
    )  # fmt: skip
    monkeypatch.setenv("MCPWARD_PROBATION_DAYS", lowered)
    later = Registry(registry.database, clock=lambda: datetime.now(UTC) + timedelta(days=9))
    assert later.grant_quiet() == []  # was [entry]: only the period's last day(s) were read
    assert later.get(entry.id).on_probation
