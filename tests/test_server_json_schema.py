"""``server.json`` at the newest released schema (2025-12-11): what it added since 2025-09-29 is
read (a remote's URL template variables, a package without a version where its identifier holds
it), what it still requires is refused (an npm package's version), and exports name it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mcpward.registry import (
    DataScope,
    Entry,
    Identity,
    InvalidInput,
    Status,
    export_server_json,
    parse_server_json,
    request_from_server_json,
)

OWNER = {"io.mcpward/registry": {"owner": "team"}}
DIGEST = "sha256:" + "ab" * 32


def test_a_remote_with_url_template_variables_is_read() -> None:
    document = {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
        "name": "io.example/tenant", "description": "Per-tenant server.", "version": "1.0.0",
        "remotes": [{"type": "streamable-http", "url": "https://{tenant_id}.api.example.com/mcp",
                     "variables": {"tenant_id": {"description": "Your tenant", "isRequired": True}}}],
        "_meta": OWNER,
    }  # fmt: skip
    request = request_from_server_json(parse_server_json(document))
    assert request.identity.url == "https://{tenant_id}.api.example.com/mcp"
    assert request.server_json is not None
    assert request.server_json["remotes"][0]["variables"]["tenant_id"]["isRequired"] is True


def test_an_oci_package_needs_no_version_and_an_npm_package_still_does() -> None:
    image = {"name": "io.example/image", "description": "An image.", "version": "2.0.0", "_meta": OWNER,
             "packages": [{"registryType": "oci", "identifier": f"ghcr.io/example/server@{DIGEST}",
                           "transport": {"type": "stdio"}}]}  # fmt: skip
    assert request_from_server_json(parse_server_json(image)).identity.digest == DIGEST
    npm = {"name": "io.example/npm", "description": "A package.", "version": "1.0.0", "_meta": OWNER,
           "packages": [{"registryType": "npm", "identifier": "@example/server", "transport": {"type": "stdio"}}]}  # fmt: skip
    with pytest.raises(InvalidInput, match="names no version"):
        request_from_server_json(parse_server_json(npm))


def test_an_export_names_the_newest_schema() -> None:
    entry = Entry(
        id=1, name="io.example/files", identity=Identity(kind="package", ecosystem="npm", name="@example/files",
        version="1.2.3"), scope=DataScope(), owner="team", tier=2, derived_tier=2, status=Status.APPROVED,
        revision=2, requested_by="alice", requested_at=datetime.now(UTC),
    )  # fmt: skip
    document = export_server_json(entry)
    assert document["$schema"].endswith("/2025-12-11/server.schema.json")
    assert parse_server_json(document).packages[0].version == "1.2.3"  # what we write, we read
