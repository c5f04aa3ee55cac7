"""The official package list and its refresh from an official MCP registry listing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpward.identity import NameRiskKind, assess_name, official_names
from mcpward.model import Ecosystem

LISTING = {
    "servers": [
        {
            "server": {
                "name": "io.github.acme/crm",
                "packages": [{"registryType": "npm", "identifier": "acme-crm-mcp"}],
                "repository": {"url": "https://github.com/acme/crm-mcp", "source": "github"},
            }
        },
        {
            "server": {
                "name": "io.github.acme/crm-py",
                "packages": [
                    {"registryType": "pypi", "identifier": "acme_crm_mcp"},
                    {"registryType": "oci", "identifier": "ghcr.io/acme/crm-mcp:1.2.0"},
                ],
            }
        },
        {"server": {"name": "broken", "packages": ["not-a-package", {"registryType": "npm"}]}},
    ],
    "metadata": {"count": 3},
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from mcpward.identity import _skeletons

    official_names.cache_clear()
    yield
    official_names.cache_clear()  # later tests must not see this test's refreshed list
    _skeletons.cache_clear()


def test_refresh_from_an_official_registry_listing(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    # Before: a near-miss of the new official name is only a plain community name.
    assert assess_name(Ecosystem.NPM, "acme-crm-mcq") == []
    listing = tmp_path / "servers.json"
    listing.write_text(json.dumps(LISTING))
    result = cli("identity", "update", "--source", str(listing))
    assert result.exit_code == 0 and "wrote 3 official packages" in result.stdout
    official = official_names()
    assert "acme-crm-mcp" in official.npm and "acme-crm-mcp" in official.pypi
    assert "ghcr.io/acme/crm-mcp" in official.oci
    assert "@modelcontextprotocol/server-filesystem" in official.npm  # the bundled list stays
    [risk] = assess_name(Ecosystem.NPM, "acme-crm-mcq")
    assert risk.kind is NameRiskKind.TYPOSQUAT and risk.imitates == "acme-crm-mcp"


def test_bad_sources_and_damaged_lists(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = cli("identity", "update", "--source", str(bad))
    assert result.exit_code == 2 and "not JSON" in result.stderr
    result = cli("identity", "update", "--source", str(tmp_path / "missing.json"))
    assert result.exit_code == 2 and "official list not updated" in result.stderr
    from mcpward.identity import user_official_path

    user_official_path().parent.mkdir(parents=True, exist_ok=True)
    user_official_path().write_text("{damaged")
    official_names.cache_clear()
    assert "@modelcontextprotocol/server-memory" in official_names().npm
