"""What the attacks on the registry's fleet views share: a fleet filled through the registry's
own inventory upload, as a requester token's reports fill it, and the servers judged counted."""

from __future__ import annotations

from typing import Any

import pytest

from mcpward.registry import Registry
from mcpward.registry._matching import ApprovalIndex
from mcpward.registry.interface import InventoryUpload, ObservedServer


def fill_fleet(registry: Registry, machines: int, servers: int, first: str) -> None:
    """``machines`` machines (host names ``FIRST-000`` on), each with ``servers`` npm servers,
    reported by the requester ``mallory``."""
    for index in range(machines):
        registry.record_inventory(
            InventoryUpload(
                machine_id=f"{first}-{index:03}",
                hostname=f"{first}-{index:03}",
                home="/home/u",
                servers=tuple(
                    ObservedServer(
                        host="claude-code",
                        name=f"s{number}",
                        kind="package",
                        ecosystem="npm",
                        package=f"made-up-{number}",
                        version="1.0.0",
                    )
                    for number in range(servers)
                ),
            ),
            "mallory",
        )


def count_judged(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """An item for each server the approvals judge from now on (the costly step of a fleet view)."""
    judged: list[None] = []
    judge = ApprovalIndex.judge

    def counting(self: ApprovalIndex, *args: Any, **kwargs: Any) -> Any:
        judged.append(None)
        return judge(self, *args, **kwargs)

    monkeypatch.setattr(ApprovalIndex, "judge", counting)
    return judged
