"""An official name made long by generic words (``mcp-server-time``, ``mongodb-mcp-server``)
was allowed two edits, though what tells it apart is a short word: ``mcp-server-line`` and
``mcp-server-etcd`` (other tools) were typo-squats of ``mcp-server-time`` and
``mcp-server-fetch`` (high), ``mongo-mcp-server`` of ``mongodb-mcp-server``. Two edits are now
allowed only where the name's own words (without ``mcp`` and ``server``) are ten letters or
more; one edit still is a typo-squat."""

from __future__ import annotations

import pytest

from mcpward.identity import NameRiskKind, assess_name
from mcpward.model import Ecosystem


@pytest.mark.parametrize(
    ("ecosystem", "name"),
    [
        (Ecosystem.PYPI, "mcp-server-line"),
        (Ecosystem.PYPI, "mcp-server-etcd"),
        (Ecosystem.PYPI, "mcp-server-tmux"),
        (Ecosystem.NPM, "mongo-mcp-server"),
    ],
)
def test_other_tools_two_edits_from_a_short_word_are_not_typosquats(ecosystem: Ecosystem, name: str) -> None:
    assert [r for r in assess_name(ecosystem, name) if r.kind is NameRiskKind.TYPOSQUAT] == []


@pytest.mark.parametrize(
    ("ecosystem", "name", "official"),
    [
        (Ecosystem.PYPI, "mcp-server-tme", "mcp-server-time"),
        (Ecosystem.PYPI, "mcp-server-fetc", "mcp-server-fetch"),
        (Ecosystem.PYPI, "mcp-servre-fetch", "mcp-server-fetch"),
        (Ecosystem.NPM, "mongodb-mcp-servr", "mongodb-mcp-server"),
        (Ecosystem.NPM, "mongdb-mcp-server", "mongodb-mcp-server"),
        (Ecosystem.PYPI, "mcp-server-motherdcuk", "mcp-server-motherduck"),
        (Ecosystem.PYPI, "mcp-server-mothrduk", "mcp-server-motherduck"),  # two: a long word
        (Ecosystem.PYPI, "elasticsearh-mcp-servr", "elasticsearch-mcp-server"),
    ],
)
def test_typosquats_are_still_found(ecosystem: Ecosystem, name: str, official: str) -> None:
    risks = assess_name(ecosystem, name)
    assert [(r.kind, r.imitates) for r in risks] == [(NameRiskKind.TYPOSQUAT, official)]
