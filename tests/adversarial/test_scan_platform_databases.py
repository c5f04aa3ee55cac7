"""Files named as an automation platform's database (n8n's ``database.sqlite``, LangFlow's
``langflow.db``) in a tree the scan walks: anyone's, like every file there.

Before, such a file was handed to SQLite as it was, and SQLite opens without O_NONBLOCK: a FIFO
named ``database.sqlite`` held ``scan --path`` forever, with no report. Now a platform database
must be a regular file (checked on a descriptor opened without blocking), else it is that
file's error line and the rest of the inventory is kept. The same held SQLite at a FIFO in
place of the database's rollback journal (``database.sqlite-journal``), which SQLite opens to
check for a hot journal: now, when a journal, WAL or shared-memory file beside the database is
not a regular file, the database is read as it is on disk (``immutable``), none of them opened.

Also kept here, as they held: databases of the right names with a hostile content (the
platform's table as a view, a column of the wrong type, a flow nested 100,000 levels deep, a row
past the size cap) give an error line or nothing, never the end of the scan."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

KEPT = {"mcpServers": {"kept": {"command": "npx", "args": ["-y", "kept-mcp@1.0.0"]}}}
MCP_NODE = {
    "type": "@n8n/n8n-nodes-langchain.mcpClientTool",
    "name": "tool",
    "parameters": {"sseEndpoint": "https://mcp.example.com/sse"},
}


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    (tree / ".cursor").mkdir(parents=True)
    (tree / ".cursor" / "mcp.json").write_text(json.dumps(KEPT), encoding="utf-8")
    return tree


def _scan(tmp_path: Path, tree: Path) -> dict[str, list[dict[str, object]]]:
    started = time.monotonic()
    done = mcpward_in_home(tmp_path, "scan", "--only-paths", "--path", str(tree), "-f", "json", timeout=30)
    assert done.returncode == 0, done.stderr[-500:]
    assert time.monotonic() - started < 25
    assert "Traceback" not in done.stderr
    report: dict[str, list[dict[str, object]]] = json.loads(done.stdout)
    return report


@pytest.mark.parametrize("name", ["database.sqlite", "langflow.db"])
def test_a_fifo_named_as_a_platform_database_does_not_hold_the_scan(tmp_path: Path, name: str) -> None:
    tree = _tree(tmp_path)
    os.mkfifo(tree / name)
    report = _scan(tmp_path, tree)
    assert [s["name"] for s in report["servers"]] == ["kept"]
    errors = [e["message"] for e in report["errors"] if str(e["path"]).endswith(name)]
    assert errors == ["not a regular file"], report["errors"]


def _n8n(path: Path, schema: str, rows: list[tuple[object, ...]]) -> None:
    with sqlite3.connect(path) as connection:
        connection.executescript(schema)
        connection.executemany("INSERT INTO nodes_source VALUES (?, ?, ?)", rows)
    connection.close()


HOSTILE_DATABASES = {
    "the table is a view": (
        "CREATE TABLE nodes_source (name, active, nodes);"
        "CREATE VIEW workflow_entity AS SELECT * FROM nodes_source;",
        [("w", 1, json.dumps([MCP_NODE]))],
    ),
    "nodes of the wrong type": (
        "CREATE TABLE nodes_source (name, active, nodes); CREATE TABLE workflow_entity (name, active, nodes);"
        "CREATE TRIGGER t AFTER INSERT ON nodes_source BEGIN INSERT INTO workflow_entity VALUES "
        "(new.name, new.active, new.nodes); END;",
        [("w", 1, 42), ("x", 1, b"\xff\xfe"), (None, None, None), ("y", 1, '{"nodes": 1}')],
    ),
    "a flow nested 100,000 deep": (
        "CREATE TABLE nodes_source (name, active, nodes); CREATE TABLE workflow_entity (name, active, nodes);"
        "CREATE TRIGGER t AFTER INSERT ON nodes_source BEGIN INSERT INTO workflow_entity VALUES "
        "(new.name, new.active, new.nodes); END;",
        [("w", 1, "[" * 100_000 + "]" * 100_000)],
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE_DATABASES))
def test_a_hostile_platform_database_costs_only_its_own_servers(tmp_path: Path, case: str) -> None:
    tree = _tree(tmp_path)
    schema, rows = HOSTILE_DATABASES[case]
    _n8n(tree / "database.sqlite", schema, rows)
    report = _scan(tmp_path, tree)
    assert [s["name"] for s in report["servers"]] == ["kept"]


@pytest.mark.parametrize(
    ("journal_mode", "beside"),
    [("DELETE", "-journal"), ("WAL", "-wal"), ("WAL", "-shm")],
)
def test_a_fifo_beside_a_database_does_not_hold_the_scan(
    tmp_path: Path, journal_mode: str, beside: str
) -> None:
    tree = _tree(tmp_path)
    database = tree / "database.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute(f"PRAGMA journal_mode={journal_mode}")
        connection.execute("CREATE TABLE workflow_entity (name, active, nodes)")
        connection.execute("INSERT INTO workflow_entity VALUES ('w', 1, ?)", (json.dumps([MCP_NODE]),))
    connection.close()  # the last connection of a WAL database checkpoints it, removing -wal and -shm
    os.mkfifo(tree / f"database.sqlite{beside}")
    report = _scan(tmp_path, tree)
    assert sorted(s["name"] for s in report["servers"]) == ["kept", "w / tool"]
