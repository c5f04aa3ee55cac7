"""A short official scope is one letter from other real scopes: ``@clack`` (the prompts library
of many command-line tools) from ``@slack``, ``@sigma`` (sigma.js) from ``@figma``. Each was a
look-alike scope (critical), and an MCP server depending on ``@clack/prompts`` was
``dependency-impersonation`` (high) in vet. A scope of six letters or fewer is now matched one
edit away only by a letter added, dropped or swapped with its neighbour; a changed letter that
looks the same is still a look-alike (``@s1ack``, ``@flgma``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball, vet_json

from mcpward.identity import NameRiskKind, assess_name
from mcpward.model import Ecosystem


@pytest.mark.parametrize(
    "name",
    ["@clack/prompts", "@clack/core", "@sigma/node-image", "@sigma/edge-curve"],
)
def test_real_scopes_one_letter_from_a_short_official_scope_are_not_flagged(name: str) -> None:
    assert assess_name(Ecosystem.NPM, name) == []


@pytest.mark.parametrize(
    ("name", "official"),
    [
        ("@slackk/mcp", "@slack"),
        ("@slak/mcp", "@slack"),
        ("@salck/mcp", "@slack"),
        ("@s1ack/mcp", "@slack"),
        ("@flgma/mcp", "@figma"),
        ("@stripee/mcp", "@stripe"),
        ("@strpe/mcp", "@stripe"),
        ("@avvs/mcp", "@aws"),
        ("@awss/mcp", "@aws"),
        ("@modelcontextprotocl/sdk", "@modelcontextprotocol"),
        ("@upstach/context7-mcp", "@upstash"),
    ],
)
def test_look_alike_scopes_are_still_found(name: str, official: str) -> None:
    risks = assess_name(Ecosystem.NPM, name)
    assert [(r.kind, r.imitates) for r in risks] in (
        [(NameRiskKind.SCOPE_LOOKALIKE, official)],
        [(NameRiskKind.HOMOGLYPH, risks[0].imitates)],
    )
    assert risks[0].kind is NameRiskKind.HOMOGLYPH or risks[0].imitates == official


def test_a_server_depending_on_clack_prompts_has_no_dependency_finding(tmp_path: Path) -> None:
    manifest = {
        "name": "acme-notes-mcp",
        "version": "1.0.0",
        "main": "index.js",
        "dependencies": {"@clack/prompts": "0.7.0", "@modelcontextprotocol/sdk": "1.0.0"},
    }
    archive = npm_tarball(tmp_path / "package.tgz", manifest, {"index.js": "export const ok = 1;\n"})
    report = vet_json(str(archive))
    assert [f for f in report["findings"] if f["rule"] == "dependency-impersonation"] == []
