"""What ``mcpward identity update`` takes from an official MCP registry listing.

Anyone may publish a server to the registry (the namespace proves a GitHub account, not a
vendor), and every package of a listing was made official: a name the list holds is never
reported. The impersonator published ``io.github.evil/postmark`` with the package
``postmark-mcp``, the user refreshed the list from the registry, and ``postmark-mcp`` (and
``@postmarkhq/mcp``, ``mcp-server-fetchh``) had no identity finding from then on. A listed name
that the check takes for an imitation is now left out and named in the output.

A source that names no package at all (an error document, ``[]``, a string) replaced the
user's list with an empty one, dropping the vendors the user had added; it is now refused and
the list in place kept. A listing of more names than any real one is refused before they are
judged one by one (bounded time)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpward.identity import NameRiskKind, assess_name, official_names, user_official_path
from mcpward.model import Ecosystem

IMPERSONATIONS = {
    "servers": [
        {
            "server": {
                "name": "io.github.evil/postmark",
                "packages": [
                    {"registryType": "npm", "identifier": "postmark-mcp"},
                    {"registryType": "npm", "identifier": "@postmarkhq/mcp"},
                    {"registryType": "pypi", "identifier": "mcp-server-fetchh"},
                ],
            }
        },
        {
            "server": {
                "name": "io.github.acme/crm",
                "packages": [
                    {"registryType": "npm", "identifier": "acme-crm-mcp"},
                    {"registryType": "pypi", "identifier": "acme_crm_mcp"},
                ],
            }
        },
    ]
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from mcpward.identity import _skeletons

    official_names.cache_clear()
    _skeletons.cache_clear()
    yield
    official_names.cache_clear()
    _skeletons.cache_clear()


def test_a_listed_impersonation_is_not_made_official(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    listing = tmp_path / "servers.json"
    listing.write_text(json.dumps(IMPERSONATIONS))
    result = cli("identity", "update", "--source", str(listing))
    assert result.exit_code == 0, result.stderr
    assert "wrote 2 official packages" in result.stdout
    assert "postmark-mcp" in result.stderr and "@postmarkhq/mcp" in result.stderr
    official_names.cache_clear()
    assert [r.kind for r in assess_name(Ecosystem.NPM, "postmark-mcp")] == [NameRiskKind.BRAND]
    assert [r.kind for r in assess_name(Ecosystem.NPM, "@postmarkhq/mcp")] == [NameRiskKind.BRAND]
    assert [r.kind for r in assess_name(Ecosystem.PYPI, "mcp-server-fetchh")] == [NameRiskKind.TYPOSQUAT]
    # the clean servers of the same listing are taken
    assert "acme-crm-mcp" in official_names().npm and "acme-crm-mcp" in official_names().pypi


def test_a_list_of_our_own_format_is_taken_as_written(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    # The user's (or their organisation's) own file is their decision, as documented.
    own = tmp_path / "own.json"
    own.write_text(json.dumps({"npm": {"known_community": ["postmark-mcp-helper"]}}))
    result = cli("identity", "update", "--source", str(own))
    assert result.exit_code == 0, result.stderr
    official_names.cache_clear()
    assert assess_name(Ecosystem.NPM, "postmark-mcp-helper") == []


@pytest.mark.parametrize(
    "document",
    ['{"error": "rate limited"}', "[]", '"servers"', '{"servers": 5}', '{"servers": [{"server": {}}]}'],
)
def test_a_source_naming_nothing_keeps_the_list_in_place(
    tmp_path: Path,
    cli,  # type: ignore[no-untyped-def]
    document: str,
) -> None:
    first = tmp_path / "first.json"
    first.write_text(json.dumps(IMPERSONATIONS))
    assert cli("identity", "update", "--source", str(first)).exit_code == 0
    before = user_official_path().read_bytes()
    empty = tmp_path / "empty.json"
    empty.write_text(document)
    result = cli("identity", "update", "--source", str(empty))
    assert result.exit_code == 2
    assert "names no package" in result.stderr and "Traceback" not in result.stderr
    assert user_official_path().read_bytes() == before


def test_a_listing_of_too_many_names_is_refused_in_bounded_time(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    import time

    servers = [
        {"server": {"packages": [{"registryType": "npm", "identifier": f"tool-{i}-mcp"}]}}
        for i in range(120_000)
    ]
    listing = tmp_path / "huge.json"
    listing.write_text(json.dumps({"servers": servers}))
    started = time.perf_counter()
    result = cli("identity", "update", "--source", str(listing))
    assert time.perf_counter() - started < 10
    assert result.exit_code == 2 and "more than" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_listing_of_huge_names_is_read_in_bounded_time(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    import time

    # No registry's name is this long (npm's limit is 214): judging each took seconds.
    long_name = "-".join(f"w{j}" for j in range(300_000))
    servers = [
        {"server": {"packages": [{"registryType": "npm", "identifier": f"{i}-{long_name}"}]}}
        for i in range(8)
    ]
    servers.append({"server": {"packages": [{"registryType": "npm", "identifier": "acme-crm-mcp"}]}})
    listing = tmp_path / "long.json"
    listing.write_text(json.dumps({"servers": servers}))
    started = time.perf_counter()
    result = cli("identity", "update", "--source", str(listing))
    assert time.perf_counter() - started < 5
    assert result.exit_code == 0 and "wrote 1 official packages" in result.stdout
