"""Attack: a server on probation (read-only tools until write is granted) sets off a baseline
alert early in its period, then makes the gateway write many records of its own: requests to
the client (each one recorded), or calls its client is led to make, 10,000 of them by the
period's end.

``grant_quiet`` grants write at the end of a period in which the gateways recorded no baseline
alert; it read the server's newest 10,000 mirrored records only. Before (2026-12-05) the alert,
older than those, was not among them, so the period was judged quiet and write was granted by
``mcpward`` with nobody asked. A period with more records than are read is now left for a
reviewer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from mcpward.inspect import pin_record, signature
from mcpward.registry import Registry
from test_probation import NOTES_TOOLS, _request


def test_an_alert_pushed_out_of_the_records_read_keeps_write_for_a_reviewer(tmp_path: Path) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'r.db'}")
    pins = pin_record([signature("", "tool", tool) for tool in NOTES_TOOLS])
    entry = registry.approve(registry.request(_request(pins), "alice").id, "bob", "ok", read_only_tools=[])
    # The alert early in the period (which begins on the approval's day: an hour before it was
    # the day before, between midnight and one, and the test failed then), the flood after it.
    now = datetime.now(UTC)
    alert = {"at": now.isoformat(), "server": "io-github-acme-notes", "stage": "request",
             "decision": "alert", "hash": "a" * 64,
             "events": [{"kind": "new-destination", "message": "reached 203.0.113.9"}]}  # fmt: skip
    flood = [
        {
            "at": (now + timedelta(minutes=1)).isoformat(),
            "server": "io-github-acme-notes",
            "stage": "server-request",
            "method": "ping",
            "decision": "allow",
            "hash": f"{number:064x}",
        }
        for number in range(10_000)
    ]
    registry.record_gateway_events([alert])
    registry.record_gateway_events(flood)
    later = Registry(registry.database, clock=lambda: datetime.now(UTC) + timedelta(days=8))
    assert later.grant_quiet() == []
    assert later.get(entry.id).on_probation
    registry.database.dispose()
