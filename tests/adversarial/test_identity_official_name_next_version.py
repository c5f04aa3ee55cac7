"""An official name presented as its next version: ``mcp-remote2``, ``mcp-remote-v2``,
``supergateway-v3``, ``firecrawl-mcp-2``, PyPI's ``mcp-server-fetch-v2``. A version-like
suffix was excused as "not a different name", so each had no identity finding; a new major
version of an official package comes under its own name, and a name claiming to be one is now
a typo-squat of it (high)."""

from __future__ import annotations

import pytest

from mcpward.identity import NameRiskKind, assess_name
from mcpward.model import Ecosystem


@pytest.mark.parametrize(
    ("ecosystem", "name", "official"),
    [
        (Ecosystem.NPM, "mcp-remote2", "mcp-remote"),
        (Ecosystem.NPM, "mcp-remote-v2", "mcp-remote"),
        (Ecosystem.NPM, "supergateway-v3", "supergateway"),
        (Ecosystem.NPM, "mcp-framework-v1", "mcp-framework"),
        (Ecosystem.NPM, "mongodb-mcp-server-2", "mongodb-mcp-server"),
        (Ecosystem.PYPI, "mcp-server-fetch-v2", "mcp-server-fetch"),
        (Ecosystem.PYPI, "fastmcp-v10", "fastmcp"),
    ],
)
def test_an_official_name_as_its_next_version_is_a_typosquat(
    ecosystem: Ecosystem, name: str, official: str
) -> None:
    risks = assess_name(ecosystem, name)
    assert [(r.kind, r.imitates) for r in risks] == [(NameRiskKind.TYPOSQUAT, official)]


@pytest.mark.parametrize(
    ("ecosystem", "name"),
    [
        (Ecosystem.PYPI, "mcp2"),  # PyPI's mcp is too short a name to carry
        (Ecosystem.PYPI, "mcp-v2"),
        (Ecosystem.NPM, "mcp-remote"),
        (Ecosystem.NPM, "mcp-remote-v2-client"),  # another tool's words
        (Ecosystem.NPM, "@acme/mcp-remote-v2"),
    ],
)
def test_short_names_and_other_words_are_not_versions_of_an_official_name(
    ecosystem: Ecosystem, name: str
) -> None:
    assert assess_name(ecosystem, name) == []
