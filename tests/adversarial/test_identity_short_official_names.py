"""An official name of three letters (PyPI's ``mcp``) is one edit from a great many other
short names: ``mcpo`` (the MCP-to-OpenAPI proxy), ``mcpi`` (the Minecraft Pi API), ``cmp``,
``mc``. Each was a typo-squat of ``mcp`` (high), so real packages were refused and users
learnt to wave the finding through. A name under five characters is now matched only as a
look-alike (homoglyph), not by edits."""

from __future__ import annotations

import pytest

from mcpward.identity import NameRiskKind, assess_name
from mcpward.model import Ecosystem


@pytest.mark.parametrize("name", ["mcpo", "mcpi", "mcpx", "cmp", "mc", "mpc", "ncp"])
def test_a_short_real_name_is_not_a_typosquat_of_mcp(name: str) -> None:
    assert assess_name(Ecosystem.PYPI, name) == []


@pytest.mark.parametrize("name", ["MCP", "mсp", "rncp"])  # the second has a Cyrillic es
def test_look_alikes_of_a_short_name_are_still_found(name: str) -> None:
    kinds = [risk.kind for risk in assess_name(Ecosystem.PYPI, name)]
    assert kinds == ([] if name == "MCP" else [NameRiskKind.HOMOGLYPH])


def test_longer_official_names_keep_their_edit_budget() -> None:
    assert [r.kind for r in assess_name(Ecosystem.PYPI, "fastmpc")] == [NameRiskKind.TYPOSQUAT]
    assert [r.kind for r in assess_name(Ecosystem.NPM, "mcp-remot")] == [NameRiskKind.TYPOSQUAT]
