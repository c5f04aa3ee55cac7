"""Attack: a malicious-package record whose range opens at 0 and says, as OSV allows, that it
has no upper bound with ``{"limit": "*"}`` beside ``{"introduced": "0"}``. The test for "every
version is affected" wanted events that all open at 0, so the limit made it a range like any
other: a package run without a version (``npx -y evil-mcp``, ``uvx evil-mcp``) or with a tag had
no finding, though whatever is installed is malicious, before 2026-12-05. A ``*`` limit bounds
nothing; a limit that is a version still bounds the range."""

from __future__ import annotations

from typing import Any

import pytest

from mcpward.advisories import advisories_for
from mcpward.model import Ecosystem, PackageRef


def _record(ecosystem: str, events: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "id": "MAL-2026-0002",
        "affected": [{"package": {"ecosystem": ecosystem, "name": "evil-mcp"},
                      "ranges": [{"type": "ECOSYSTEM", "events": events}]}],
    }  # fmt: skip


@pytest.mark.parametrize(("ecosystem", "kind"), [("npm", Ecosystem.NPM), ("PyPI", Ecosystem.PYPI)])
@pytest.mark.parametrize("version", [None, "latest"])
def test_an_open_range_with_a_star_limit_affects_every_version(
    ecosystem: str, kind: Ecosystem, version: str | None
) -> None:
    record = _record(ecosystem, [{"introduced": "0"}, {"limit": "*"}])
    assert [
        a.id for a in advisories_for(PackageRef(ecosystem=kind, name="evil-mcp", version=version), [record])
    ] == ["MAL-2026-0002"]


def test_a_version_limit_still_bounds_the_range() -> None:
    record = _record("npm", [{"introduced": "0"}, {"limit": "2.0.0"}])
    assert advisories_for(PackageRef(ecosystem=Ecosystem.NPM, name="evil-mcp"), [record]) == []
