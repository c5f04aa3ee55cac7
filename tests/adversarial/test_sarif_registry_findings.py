"""``scan --registry SOURCE --format sarif`` is the CI check the README suggests: each server
judged against the approved registry, each one not approved an alert. The SARIF writer had a
rule title for every finding's category but the registry's, so the first server not approved
(a PR adding ``npx -y evil-mcp@1.0.0`` to the repository's ``.mcp.json``) made the whole log an
internal error (exit 70): no alert for it, and every other alert of the scan lost with it; an
``--enforcement`` drift did the same. Every category now has a rule title."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mcpward.model import Category
from mcpward.output.sarif import CATEGORY_TITLES
from mcpward.registry import Registry
from test_registry import package_request

SCHEMA = Path(__file__).parents[1] / "data" / "sarif-2.1.0-rtm.5.json"


def _scan(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str) -> dict[str, Any]:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    entry = registry.request(package_request(), "alice")  # npm:@acme/files@1.2.3
    registry.approve(entry.id, "bob", "ok")
    registry.database.dispose()
    repo = tmp_path / "repo"
    repo.mkdir()
    config = {"mcpServers": {"server": {"command": "npx", "args": ["-y", package]}}}
    (repo / ".mcp.json").write_text(json.dumps(config), "utf-8")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(repo)
    result = cli(
        "scan", "--home", str(home), "--only-paths", "--path", ".", "--registry", database, "-f", "sarif"
    )
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(document, json.loads(SCHEMA.read_text("utf-8")), cls=jsonschema.Draft4Validator)
    return document


def test_a_server_not_approved_is_an_alert_of_the_scans_sarif(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = _scan(cli, tmp_path, monkeypatch, "evil-mcp@1.0.0")
    results = document["runs"][0]["results"]
    assert [r["ruleId"] for r in results if r["properties"]["category"] == "registry"] == ["unapproved"]


def test_an_approved_server_is_no_alert(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = _scan(cli, tmp_path, monkeypatch, "@acme/files@1.2.3")
    assert not [r for r in document["runs"][0]["results"] if r["properties"]["category"] == "registry"]


def test_every_category_has_a_rule_title() -> None:
    assert [category for category in Category if category not in CATEGORY_TITLES] == []
