"""What the attacks on the registry's fleet views share: a fleet filled through the registry's
own inventory upload, as a requester token's reports fill it, and the servers judged counted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mcpward.agent import AgentConfig
from mcpward.registry import Registry, Role
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


def configure_cursor(home: Path, servers: dict[str, object], padding: int = 0) -> Path:
    """``home``'s Cursor config naming ``servers`` (``padding`` spaces after the JSON)."""
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"mcpServers": servers}) + " " * padding)
    return config


def agent_reporting_to(registry: Registry, base: str, folder: Path) -> AgentConfig:
    """An agent reporting the homes under ``folder/homes`` to the registry served at ``base``,
    with a requester token of its own (``folder/token``, 0600) and its spool in ``folder``."""
    token = folder / "token"
    token.write_text(registry.create_token("fleet-agent", Role.REQUESTER, "setup") + "\n")
    token.chmod(0o600)
    return AgentConfig(registry=base, token_file=str(token), spool=str(folder / "spool"),
                       homes_under=(str(folder / "homes"),))  # fmt: skip
