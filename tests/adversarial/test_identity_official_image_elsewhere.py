"""An official image's own repository name under another owner: ``ghcr.io/evil/github-mcp-server``
(GitHub's is ``ghcr.io/github/github-mcp-server``), ``docker.io/someone/mcp-grafana``,
``evil/terraform-mcp-server``. Far in edits from the official reference, each had no identity
finding; ``docker run`` of it is now a typo-squat of the official image (high). A reference to
the official image however its registry is written (``docker.io/grafana/mcp-grafana``,
``index.docker.io/…``) is not."""

from __future__ import annotations

import pytest

from mcpward.identity import NameRiskKind, assess_name
from mcpward.model import Ecosystem


@pytest.mark.parametrize(
    ("name", "official"),
    [
        ("ghcr.io/evil/github-mcp-server", "ghcr.io/github/github-mcp-server"),
        ("docker.io/evil/github-mcp-server", "ghcr.io/github/github-mcp-server"),
        ("docker.io/someone/mcp-grafana", "grafana/mcp-grafana"),
        ("evil/terraform-mcp-server", "hashicorp/terraform-mcp-server"),
        ("quay.io/x/y/GitHub-MCP-Server", "ghcr.io/github/github-mcp-server"),
    ],
)
def test_an_official_image_name_under_another_owner_is_a_typosquat(name: str, official: str) -> None:
    risks = assess_name(Ecosystem.OCI, name)
    assert [(r.kind, r.imitates) for r in risks] in (
        [(NameRiskKind.TYPOSQUAT, official)],
        [(NameRiskKind.HOMOGLYPH, risks[0].imitates)],  # capitals: written to look like it
    )


@pytest.mark.parametrize(
    "name",
    [
        "ghcr.io/github/github-mcp-server",
        "docker.io/grafana/mcp-grafana",
        "index.docker.io/grafana/mcp-grafana",
        "registry-1.docker.io/hashicorp/terraform-mcp-server",
        "grafana/mcp-grafana",
        "someone/fetch",  # an official short name (mcp/fetch) is anyone's word
        "someone/postgres",
        "acme/crm-mcp-server",
    ],
)
def test_official_images_and_common_words_are_not_flagged(name: str) -> None:
    assert assess_name(Ecosystem.OCI, name) == []
