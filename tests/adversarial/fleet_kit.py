"""What the attacks on the registry's fleet views share: a fleet filled through the registry's
own inventory upload, as a requester token's reports fill it."""

from __future__ import annotations

from mcpward.registry import Registry
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
