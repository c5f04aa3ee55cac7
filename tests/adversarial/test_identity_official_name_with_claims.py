"""An official package's own name with words that claim to be it added: ``mcp-remote-official``,
``supergateway-official``, ``mcp-remote-js``, ``node-mcp-remote``, PyPI's
``mcp-server-fetch-official`` and ``python-mcp-server-fetch``. More than two edits from the
official name and carrying no brand, each had no identity finding and passed; they are now a
typo-squat of the name they carry (high), as a one-letter change is."""

from __future__ import annotations

import pytest

from mcpward.identity import NameRiskKind, assess_name
from mcpward.model import Ecosystem


@pytest.mark.parametrize(
    ("ecosystem", "name", "official"),
    [
        (Ecosystem.NPM, "mcp-remote-official", "mcp-remote"),
        (Ecosystem.NPM, "supergateway-official", "supergateway"),
        (Ecosystem.NPM, "mcp-remote-js", "mcp-remote"),
        (Ecosystem.NPM, "node-mcp-remote", "mcp-remote"),
        (Ecosystem.NPM, "official-mcp-framework-latest", "mcp-framework"),
        (Ecosystem.NPM, "mcp_remote.official", "mcp-remote"),
        (Ecosystem.PYPI, "mcp-server-fetch-official", "mcp-server-fetch"),
        (Ecosystem.PYPI, "Python_MCP_Server_Fetch", "mcp-server-fetch"),
        (Ecosystem.PYPI, "fastmcp-official", "fastmcp"),
    ],
)
def test_an_official_name_with_claims_added_is_a_typosquat(
    ecosystem: Ecosystem, name: str, official: str
) -> None:
    risks = assess_name(ecosystem, name)
    assert [(risk.kind, risk.imitates) for risk in risks] == [(NameRiskKind.TYPOSQUAT, official)]


@pytest.mark.parametrize(
    ("ecosystem", "name"),
    [
        (Ecosystem.NPM, "mcp-remote"),
        (Ecosystem.NPM, "mcp-remote-client"),  # other words: a different tool
        (Ecosystem.NPM, "mcp-proxy-server"),
        (Ecosystem.NPM, "@someone/mcp-remote-js"),  # under its author's scope
        (Ecosystem.PYPI, "mcp-python"),  # PyPI's mcp is too short a name to carry
        (Ecosystem.PYPI, "mcp-official"),
        (Ecosystem.PYPI, "mcp-server-fetch"),
        (Ecosystem.PYPI, "mcp-server-time-zone"),
        (Ecosystem.PYPI, "official"),
    ],
)
def test_other_words_and_short_names_are_not_claims(ecosystem: Ecosystem, name: str) -> None:
    assert assess_name(ecosystem, name) == []
