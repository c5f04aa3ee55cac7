"""The audit report reads at most a million fleet servers (memory), sorted by host name: one
enrolled machine uploading many servers under a host name that sorts first pushed every other
machine's servers out of the report's lists and counts without a word (found by an independent
review, 2026-12-04). Past the bound (lowered here) the report now says how many it did not
read, first among what to act on. A real registry database, the report's own builder."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from mcpward.registry import InventoryUpload, ObservedServer, Registry
from mcpward.report import audit


def test_fleet_servers_past_the_bound_are_said_not_silently_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    flood = tuple(
        ObservedServer(host="cursor", name=f"s{n}", kind="local", launch=f"node s{n}") for n in range(30)
    )
    registry.record_inventory(
        InventoryUpload(machine_id="m-flood", hostname="aaa-flood", servers=flood), "agent"
    )
    real = (ObservedServer(host="cursor", name="evil", kind="local", launch="npx -y evil-mcp@1.0.0"),)
    registry.record_inventory(
        InventoryUpload(machine_id="m-real", hostname="laptop-1", servers=real), "agent"
    )
    monkeypatch.setattr(audit, "MAX_FLEET_ROWS", 20)
    document = audit.build_audit(registry, since=timedelta(days=90))
    assert document["fleet_unread"] == 11
    first = document["act_on"][0]
    assert first["severity"] == "critical" and "11 fleet servers not read" in first["text"], document[
        "act_on"
    ]
    monkeypatch.setattr(audit, "MAX_FLEET_ROWS", 1000)
    whole = audit.build_audit(registry, since=timedelta(days=90))
    assert whole["fleet_unread"] == 0 and not any("not read" in item["text"] for item in whole["act_on"])
    registry.database.dispose()
