"""Attack: make the answered questionnaire (sent to customers as evidence) understate the fleet.
The audit model reads at most a million fleet servers, by host name; past that the audit report
says how many it did not read, first under "Act on", but `report questionnaire --answer`
answered MCP-8 ("Do you keep an inventory...") from the same model with the servers read alone:
one token's flood under early host names cut the other machines' servers, their unapproved and
malicious ones with them, out of the counts it gave as complete, with no word, until 2026-12-05.

Now its answer says how many fleet servers were not read into it. A real registry database,
the questionnaire's own builder (the bound lowered here)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from mcpward.registry import InventoryUpload, ObservedServer, Registry
from mcpward.report import audit
from mcpward.report.questionnaire import questionnaire


def test_the_inventory_answer_says_what_it_did_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    flood = tuple(
        ObservedServer(host="cursor", name=f"s{n}", kind="local", launch=f"node s{n}") for n in range(30)
    )
    registry.record_inventory(InventoryUpload(machine_id="m-flood", hostname="aaa", servers=flood), "mallory")
    real = (ObservedServer(host="cursor", name="evil", kind="local", launch="npx -y evil-mcp@1.0.0"),)
    registry.record_inventory(
        InventoryUpload(machine_id="m-real", hostname="laptop-1", servers=real), "agent"
    )
    monkeypatch.setattr(audit, "MAX_FLEET_ROWS", 20)
    document = audit.build_audit(registry, since=timedelta(days=90))
    registry.database.dispose()
    (answer,) = [q for q in questionnaire(document) if q.id == "MCP-8"]
    # Before: "Yes: 20 servers reported from 2 machines ..." and nothing else.
    assert "11 more fleet servers not read into this answer" in answer.answer, answer.answer
