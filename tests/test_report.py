"""Reports built from a registry with known content, checked against it."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from mcpward.registry import DataScope, Identity, Registry, VetOutcome
from test_registry import package_request


def test_the_sbom_lists_exactly_the_approved_servers_and_validates(cli: Any, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    sri = "sha512-" + base64.b64encode(hashlib.sha512(b"tarball").digest()).decode()
    npm = registry.request(
        package_request(
            identity=Identity(
                kind="package", ecosystem="npm", name="@acme/files", version="1.2.3", integrity=sri
            ),
            repository="https://github.com/acme/files",
            scope=DataScope(reads=("project files",), credentials=("ACME_TOKEN",), network=("api.acme.com",)),
        ),
        "alice",
    )
    image = registry.request(
        package_request(
            name="img",
            identity=Identity(
                kind="oci", name="ghcr.io/acme/img", version="1.0", digest="sha256:" + "c" * 64
            ),
        ),
        "alice",
    )
    remote = registry.request(
        package_request(
            name="remote", identity=Identity(kind="remote", url="https://mcp.acme.com/mcp"), vet=None
        ),
        "alice",
    )
    pending = registry.request(package_request(name="pending"), "alice")
    rejected = registry.request(package_request(name="nope", vet=VetOutcome(verdict="pass")), "alice")
    for entry in (npm, image, remote):
        registry.approve(entry.id, "bob", "ok")
    registry.reject(rejected.id, "bob", "no")
    result = cli("report", "sbom", "--database", database)
    assert result.exit_code == 0, result.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.stdout) is None
    bom = json.loads(result.stdout)
    components = {c["name"]: c for c in bom["components"]}
    assert set(components) == {"@acme/files", "ghcr.io/acme/img"}
    files = components["@acme/files"]
    assert files["purl"] == "pkg:npm/%40acme/files@1.2.3"
    assert files["hashes"] == [{"alg": "SHA-512", "content": hashlib.sha512(b"tarball").hexdigest()}]
    properties = {p["name"]: p["value"] for p in files["properties"]}
    assert (
        properties["mcpward:owner"] == "team-platform" and properties["mcpward:credentials"] == "ACME_TOKEN"
    )
    assert files["externalReferences"] == [{"type": "vcs", "url": "https://github.com/acme/files"}]
    assert components["ghcr.io/acme/img"]["purl"].startswith("pkg:oci/img@sha256:")
    assert [s["endpoints"] for s in bom["services"]] == [["https://mcp.acme.com/mcp"]]
    assert pending.name not in result.stdout and rejected.name not in result.stdout
