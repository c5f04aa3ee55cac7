"""The CycloneDX library refuses a URI holding a ``%`` not followed by two hex digits, or two
``#``, by raising; and a URI holding ``|``, ``^``, a backtick or a backslash fails the 1.6 schema
(``iri-reference``), so a consumer that validates the BOM refuses it whole. A config's remote
server at ``https://mcp.example/b%`` made ``scan -f cyclonedx`` of the whole tree an internal
error (a cloned repository's config lost every CI run its BOM), and an approved entry's URL or
repository with one made ``report sbom`` one. Each link is now percent-encoded into a URI the
library and the schema take: the escapes it held kept, a stray ``%`` or a second ``#`` escaped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcpward.registry import Identity, Registry
from test_registry import package_request

ODD = {
    "stray-percent": "https://mcp.example/a%zz",
    "last-percent": "https://mcp.example/token=%",
    "two-fragments": "https://mcp.example/mcp#a#b",
    "pipes": "https://mcp.example/a|b^c`d\\e",
}
CLEAN = "https://mcp.example/mcp?q=%41%2F&x=1#top"


def _valid(text: str) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


def test_a_configs_url_leaves_the_scans_bom_whole(cli: Any, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    servers = {name: {"url": url} for name, url in {**ODD, "clean": CLEAN}.items()}
    (tree / ".mcp.json").write_text(json.dumps({"mcpServers": servers}), "utf-8")
    home = tmp_path / "home"
    home.mkdir()
    result = cli("scan", "--home", str(home), "--only-paths", "--path", str(tree), "-f", "cyclonedx")
    assert result.exit_code == 0, result.stderr
    _valid(result.stdout)
    endpoints = {s["name"]: s["endpoints"] for s in json.loads(result.stdout)["services"]}
    assert set(endpoints) == {*ODD, "clean"}
    assert endpoints["clean"] == [CLEAN]  # its escapes and its fragment as they were
    assert endpoints["stray-percent"] == ["https://mcp.example/a%25zz"]


def test_an_approved_entrys_url_or_repository_leaves_the_sbom_whole(cli: Any, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    for name, url in {**ODD, "clean": CLEAN}.items():
        entry = registry.request(
            package_request(name=name, identity=Identity(kind="remote", url=url), vet=None), "alice"
        )
        registry.approve(entry.id, "bob", "ok")
    for name, repository in (
        ("files", "https://github.com/acme/files%"),
        ("notes", "https://github.com/acme/notes"),
    ):
        entry = registry.request(package_request(name=name, repository=repository), "alice")
        registry.approve(entry.id, "bob", "ok")
    registry.database.dispose()
    result = cli("report", "sbom", "--database", database)
    assert result.exit_code == 0, result.stderr
    _valid(result.stdout)
    bom = json.loads(result.stdout)
    endpoints = {s["name"]: s["endpoints"] for s in bom["services"]}
    assert len(endpoints) == len(ODD) + 1 and endpoints["io.github.acme/clean"] == [CLEAN]
    references = {c["name"]: [r["url"] for r in c["externalReferences"]] for c in bom["components"]}
    assert references == {
        "@acme/files": ["https://github.com/acme/files%25"],
        "@acme/notes": ["https://github.com/acme/notes"],
    }
