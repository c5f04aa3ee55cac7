"""A package URL needs a name: the package library refuses one without, by raising. A config
that runs ``npx -y foo/`` (or ``@scope/``, ``uvx ''``, ``docker run -i ghcr.io/``: no package
anyone can install, so the server only fails to start) gave a package whose name part is empty,
and ``scan -f cyclonedx`` of the whole tree was an internal error, every other server's
component lost with it (a cloned repository's config lost every CI run its BOM). Such a package
is now a component without a package URL, named as the config names it. A lone surrogate in a
version or an image digest (``npx -y notes-mcp@\ud800`` in a JSON config) did the same: it is
written as U+FFFD, as one in a name already was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ODD = {
    "trailing-slash": ["npx", ["-y", "foo/"]],
    "empty-scope-name": ["npx", ["-y", "@acme/"]],
    "versioned-empty-name": ["npx", ["-y", "@acme/@1.0.0"]],
    "empty-pypi": ["uvx", [""]],
    "registry-only-image": ["docker", ["run", "-i", "ghcr.io/"]],
    "tag-only-image": ["docker", ["run", "-i", ":1.0"]],
    # A lone surrogate (JSON may spell one) in a version or a digest: a package URL is
    # percent-encoded UTF-8, which has none.
    "surrogate-version": ["npx", ["-y", "notes-mcp@\ud800"]],
    "surrogate-digest": ["docker", ["run", "-i", "ghcr.io/acme/server@sha256:\ud800"]],
}
CLEAN = {
    "files": ["npx", ["-y", "@acme/files@1.2.3"]],
    "fetch": ["uvx", ["mcp-server-fetch==2025.4.7"]],
    "image": ["docker", ["run", "-i", "ghcr.io/acme/server@sha256:" + "c" * 64]],
}


def bom_components(cli: Any, tmp_path: Path, servers: dict[str, Any]) -> list[dict[str, Any]]:
    """The components of ``scan -f cyclonedx`` of a tree whose one config has ``servers``,
    the BOM checked against the CycloneDX 1.6 schema."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".mcp.json").write_text(json.dumps({"mcpServers": servers}), "utf-8")
    home = tmp_path / "home"
    home.mkdir()
    result = cli("scan", "--home", str(home), "--only-paths", "--path", str(tree), "-f", "cyclonedx")
    assert result.exit_code == 0, result.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.stdout) is None
    components: list[dict[str, Any]] = json.loads(result.stdout)["components"]
    return components


def test_a_package_with_no_name_leaves_the_bom_whole(cli: Any, tmp_path: Path) -> None:
    servers = {name: {"command": command, "args": args} for name, (command, args) in {**ODD, **CLEAN}.items()}
    components = bom_components(cli, tmp_path, servers)
    assert len(components) == len(ODD) + len(CLEAN)
    purls = {c.get("purl") for c in components}
    assert {
        "pkg:npm/%40acme/files@1.2.3",
        "pkg:pypi/mcp-server-fetch@2025.4.7",
        "pkg:oci/server@sha256:" + "c" * 64 + "?repository_url=ghcr.io/acme/server",
    } <= purls
    assert all(c["name"] for c in components)
