"""A scope made to look like a vendor's MCP scope: ``@stripe-mcp/server``,
``@postmark-mcp/server``, ``@notionhq-mcp/notion-mcp-server``,
``@modelcontextprotocol-servers/server-filesystem``. Whoever creates a scope owns it, so the
name says nothing of the vendor; the unscoped ``stripe-mcp`` was a brand finding (review) while
these, more official-looking, had no identity finding at all and passed. A scope that joins a
brand or an official scope to ``mcp`` is now the same brand finding (scan shares the check)."""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball, severities, vet_json

from mcpward.identity import assess_name
from mcpward.model import Ecosystem

CODE = {"index.js": "export const ok = 1;\n"}


@pytest.mark.parametrize(
    "name",
    [
        "@stripe-mcp/server",
        "@postmark-mcp/server",
        "@mcp-stripe/agent-toolkit",
        "@notionhq-mcp/notion-mcp-server",
        "@modelcontextprotocol-servers/server-filesystem",
        "@anthropic-ai-mcp/sdk",
    ],
)
def test_a_brand_joined_to_mcp_in_a_scope_needs_review(tmp_path: Path, name: str) -> None:
    manifest = {"name": name, "version": "1.0.0", "main": "index.js"}
    archive = npm_tarball(tmp_path / "package.tgz", manifest, CODE)
    report = vet_json(str(archive))
    assert severities(report, "impersonation-brand") == ["medium"]
    assert report["verdict"] == "review"


@pytest.mark.parametrize(
    "name",
    [
        "@stripe/mcp",  # the vendor's own scope
        "@someone/stripe-mcp",  # a community package under its author's scope
        "@aws-sdk/client-s3",  # a vendor's scope with no mcp in it
        "@mcp-tools/server",  # mcp with no brand
        "@modelcontextprotocol/server-filesystem",
    ],
)
def test_own_and_ordinary_scopes_are_not_flagged(name: str) -> None:
    assert assess_name(Ecosystem.NPM, name) == []
