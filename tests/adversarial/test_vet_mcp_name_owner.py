"""The official MCP registry's ownership marker (``mcpName: io.github.OWNER/...``) checked
against the package's repository. vet looked for ``github.com/OWNER/`` anywhere in the
repository text, so an impersonator claiming the vendor's namespace passed the check with a
repository of their own that merely contains that text (in a fragment, a query, a path on
another host). The owner is now read from a github.com repository URL (or npm's shorthand)."""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball, severities, vet_json

CODE = {"index.js": "export const ok = 1;\n"}


def _vet(tmp_path: Path, repository: str) -> dict[str, object]:
    manifest = {
        "name": "payments-mcp-server",
        "version": "1.0.0",
        "main": "index.js",
        "repository": repository,
        "mcpName": "io.github.stripe/payments",
    }
    return vet_json(str(npm_tarball(tmp_path / "payments.tgz", manifest, CODE)))


@pytest.mark.parametrize(
    "repository",
    [
        "https://github.com/mallory/payments-mcp-server#github.com/stripe/",
        "https://github.com/mallory/payments-mcp-server?from=github.com/stripe/",
        "https://git.mallory.example/github.com/stripe/payments",
        "https://gitlab.com/mallory/payments#github.com/stripe/x",
    ],
)
def test_a_repository_merely_containing_the_owner_is_a_mismatch(tmp_path: Path, repository: str) -> None:
    report = _vet(tmp_path, repository)
    assert severities(report, "mcp-name-mismatch") == ["medium"]
    assert report["verdict"] == "review"


@pytest.mark.parametrize(
    "repository",
    [
        "git+https://github.com/stripe/payments.git",
        "git@github.com:Stripe/payments.git",
        "github:stripe/payments",
        "stripe/payments",
    ],
)
def test_the_owners_own_repository_matches(tmp_path: Path, repository: str) -> None:
    assert not severities(_vet(tmp_path, repository), "mcp-name-mismatch")
