"""A vendor's bare brand as an npm scope the vendor does not publish under, for an MCP package:
``@notion/mcp`` (Notion publishes ``@notionhq/notion-mcp-server``), ``@anthropic/mcp-server``
(``@anthropic-ai``), ``@mongodb/mcp-server`` (``@mongodb-js``). Whoever creates a scope owns it;
these had no identity finding while ``notion-mcp`` was review. An MCP package under such a
scope is now the brand finding; the scope's other packages are not judged by it (a vendor may
own its bare name without the list saying so, as Twilio ``@twilio``)."""

from __future__ import annotations

import pytest

from mcpward.identity import NameRiskKind, assess_name
from mcpward.model import Ecosystem


@pytest.mark.parametrize(
    ("name", "brand"),
    [
        ("@notion/mcp", "notion"),
        ("@notion/notion-mcp", "notion"),
        ("@anthropic/mcp-server", "anthropic"),
        ("@mongodb/mcp-server", "mongodb"),
        ("@jira/mcp", "jira"),
    ],
)
def test_an_mcp_package_under_a_bare_brand_scope_needs_review(name: str, brand: str) -> None:
    risks = assess_name(Ecosystem.NPM, name)
    assert [(r.kind, r.imitates) for r in risks] == [(NameRiskKind.BRAND, brand)]


@pytest.mark.parametrize(
    "name",
    [
        "@twilio/voice-sdk",  # the vendor's own bare scope, not an MCP package
        "@notion/client-x",
        "@stripe/mcp",  # a listed scope
        "@slack/mcp-server",  # listed for slack
        "@modelcontextprotocol/server-slack",
        "@acme/notion-mcp",  # its author's scope, as before
    ],
)
def test_other_packages_and_listed_scopes_are_not_flagged(name: str) -> None:
    assert assess_name(Ecosystem.NPM, name) == []
