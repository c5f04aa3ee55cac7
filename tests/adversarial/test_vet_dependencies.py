"""Attack on what vet says of a release's dependencies: nothing.

npm installs a package's ``dependencies``, ``optionalDependencies`` and ``peerDependencies``
with it, and their install scripts run as the package's own.
A release identical in code to the one before, whose package.json now depends on the known
malicious ``postmark-mcp@1.0.16`` (the bundled advisories name it) or on
``@modeicontextprotocol/sdk`` (an ``l`` written ``i``: the official SDK's look-alike, anyone's
to publish), was vetted ``pass`` against the release before and on first look; so was an
alias (``"sdk": "npm:postmark-mcp@1.0.16"``), and a release whose registry manifest (which npm
installs the dependencies of) named it while the tarball's package.json did not.
A dependency a malicious-package advisory names is now critical (block), and one whose name
is written to look like an official package's (homoglyph, look-alike scope, typo-squat) is
high (review), and one npm fetches from outside the registry (a URL, git, a GitHub shorthand, a
path: none of those checks applies) medium (review). A vendor's own SDK depended on by name
(``stripe``) is no finding.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import verdicts_and_findings

BASE = {"name": "relay-mcp", "version": "1.0.0", "main": "index.js"}
INDEX = b'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\nexport const ok = 1;\n'
CLEAN = {"@modelcontextprotocol/sdk": "^1.12.0", "zod": "^3.23.8", "stripe": "^17.0.0"}


def _findings(tmp_path: Path, key: str, dependencies: dict[str, str]) -> list[tuple[str, str, str]]:
    old = npm_tarball(tmp_path / "a.tgz", {**BASE, "dependencies": CLEAN}, {"index.js": INDEX})
    new = npm_tarball(
        tmp_path / "b.tgz",
        {**BASE, "version": "1.0.1", "dependencies": CLEAN, key: dependencies},
        {"index.js": INDEX},
    )
    return verdicts_and_findings(new, old, tmp_path / "cache")


@pytest.mark.parametrize(
    "key,dependencies",
    [
        ("dependencies", {**CLEAN, "postmark-mcp": "1.0.16"}),
        ("optionalDependencies", {"postmark-mcp": "=1.0.16"}),
        ("dependencies", {**CLEAN, "sdk": "npm:postmark-mcp@1.0.16"}),
    ],
    ids=["dependency", "optional dependency", "alias"],
)
def test_a_known_malicious_dependency_blocks(tmp_path: Path, key: str, dependencies: dict[str, str]) -> None:
    found = _findings(tmp_path, key, dependencies)
    assert found.count("block") == 2, found
    assert found.count("dependency-malicious:critical") == 2, found


@pytest.mark.parametrize(
    "key,dependencies",
    [
        ("dependencies", {"@modeicontextprotocol/sdk": "^1.12.0", "zod": "^3.23.8"}),
        ("peerDependencies", {"@model-context-protocol/sdk": "^1.0.0"}),
    ],
    ids=["homoglyph", "look-alike scope"],
)
def test_a_dependency_imitating_an_official_package_needs_review(
    tmp_path: Path, key: str, dependencies: dict[str, str]
) -> None:
    found = _findings(tmp_path, key, dependencies)
    assert found.count("review") == 2, found
    assert sum(item.startswith("dependency-impersonation:high") for item in found) == 2, found


@pytest.mark.parametrize(
    "spec",
    [
        "https://relay.example/left-pad-1.3.0.tgz",
        "git+https://relay.example/left-pad.git",
        "attacker/left-pad",
        "file:../x",
    ],
    ids=["tarball URL", "git", "GitHub shorthand", "path"],
)
def test_a_dependency_from_outside_the_registry_needs_review(tmp_path: Path, spec: str) -> None:
    found = _findings(tmp_path, "dependencies", {**CLEAN, "left-pad": spec})
    assert found == ["review", "dependency-outside-registry:medium"] * 2, found


def test_the_same_dependencies_as_before_pass(tmp_path: Path) -> None:
    assert _findings(tmp_path, "devDependencies", {"@modeicontextprotocol/sdk": "^1.0.0"}) == ["pass", "pass"]


def test_a_dependency_only_the_registrys_manifest_lists_is_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Manifest confusion: npm resolves the dependencies from the registry's copy of the
    version's manifest, which the publisher writes apart from the tarball."""
    from vet_fixtures import FakeRegistry, serve
    from vet_fixtures import npm_tarball as tarball_bytes

    registry = FakeRegistry()
    with serve(registry) as base:
        monkeypatch.setenv("MCPWARD_NPM_REGISTRY", base)
        manifest = {**BASE, "version": "1.0.1", "dependencies": CLEAN}
        release = tarball_bytes({"package.json": json.dumps(manifest), "index.js": INDEX.decode()})
        registry.add_npm("relay-mcp", {"1.0.1": release}, base)
        packument = json.loads(registry.routes["/relay-mcp"])
        packument["versions"]["1.0.1"]["dependencies"] = {**CLEAN, "postmark-mcp": "1.0.16"}
        registry.routes["/relay-mcp"] = json.dumps(packument).encode()
        report = run_vet(VetOptions(target="npm:relay-mcp@1.0.1", cache_dir=tmp_path / "cache"))
    assert report.verdict == "block", [(f.rule, f.message) for f in report.findings]
    assert "dependency-malicious" in {f.rule for f in report.findings}
