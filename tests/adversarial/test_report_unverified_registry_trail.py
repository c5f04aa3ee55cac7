"""``mcpward report audit`` (and the questionnaire answered from it) states which fleet servers
are approved and counts the approved entries, from the registry's tables. It never checked the
registry's audit trail: someone who can write the database but not the registry host's files
(SECURITY.md's DBA) set a rejected entry's status to ``approved`` straight in SQL, and the report
showed the machines running it as approved, with nothing to act on, while ``mcpward registry
audit --verify`` names the change. Real database, real SQL edit, the real CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from cli_kit import decided, mcpward, npm

from mcpward.registry import InventoryUpload, ObservedServer, Registry


def _registry(tmp_path: Path) -> tuple[str, Path, int]:
    path = tmp_path / "registry.db"
    database = f"sqlite:///{path}"
    registry = Registry.open(database)
    rejected = decided(registry, "io.example/evil", npm("evil-mcp"), approve=False)
    decided(registry, "io.example/files", npm("files-mcp"))
    server = ObservedServer(host="cursor", name="evil", kind="package", ecosystem="npm", package="evil-mcp",
                            version="1.0.0")  # fmt: skip
    registry.record_inventory(
        InventoryUpload(machine_id="m1", hostname="laptop-1", servers=(server,)), "agent"
    )
    registry.database.dispose()
    return database, path, rejected


def _audit(tmp_path: Path, database: str, data: Path) -> dict[str, Any]:
    result = mcpward(
        "report", "audit", "--format", "json", "--database", database, MCPWARD_DATA_DIR=str(data)
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_an_intact_trail_is_reported_as_verified(tmp_path: Path, monkeypatch: Any) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("MCPWARD_DATA_DIR", str(data))
    database, _path, _ = _registry(tmp_path)
    document = _audit(tmp_path, database, data)
    assert document["registry_trail"] == {"verified": True, "problem": None}
    assert document["fleet"][0]["status"] == "unapproved"


def test_an_entry_approved_in_sql_is_not_reported_as_approved_in_silence(
    tmp_path: Path, monkeypatch: Any
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("MCPWARD_DATA_DIR", str(data))  # the registry's key lives here
    database, path, rejected = _registry(tmp_path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE entries SET status = 'approved' WHERE id = ?", (rejected,))
    assert (
        mcpward(
            "registry", "audit", "--verify", "--database", database, MCPWARD_DATA_DIR=str(data)
        ).returncode
        == 1
    )
    document = _audit(tmp_path, database, data)
    assert document["registry_trail"]["verified"] is False, document.get("registry_trail")
    assert "changed outside mcpward" in document["registry_trail"]["problem"]
    assert (
        document["act_on"][0]["section"] == "registry_trail"
        and document["act_on"][0]["severity"] == "critical"
    )
    markdown = mcpward("report", "audit", "--database", database, MCPWARD_DATA_DIR=str(data)).stdout
    assert "registry's audit trail does not verify" in markdown
    answered = mcpward(
        "report", "questionnaire", "--answer", "--database", database, MCPWARD_DATA_DIR=str(data)
    )
    assert answered.returncode == 1 and "audit trail" in answered.stderr, answered.stdout
