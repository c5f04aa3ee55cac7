"""Attack on how vet tells an npm dependency fetched from outside the registry: npm reads more
specs as a path or git than vet did.

npm (npm-package-arg) fetches a dependency from outside the registry when its spec is a URL,
a path (``./x``, ``~/x``, ``/x``, ``C:\\x``), hosted git (``github:a/b``, ``a/b``), or, which
vet missed: a scp-style git address (``git@github.com:mallory/helper.git``), anything else
with a slash (``git@relay.example:mallory/helper.git`` is a folder to npm), or a bare tarball
file name (``helper-1.0.0.tgz``). Those were read as registry ranges: no
``dependency-outside-registry`` (medium), and a release identical to the one before but
depending on one passed. They are now what npm reads them as. Registry ranges and tags
(``^1.2.0``, ``1.x || >=2.1``, ``latest``, ``next``) stay no finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball

from vet_fixtures import verdicts_and_findings

BASE = {"name": "relay-mcp", "version": "1.0.0", "main": "index.js"}
INDEX = b"exports.ok = 1;\n"


def _vetted(tmp_path: Path, spec: str) -> list[str]:
    old = npm_tarball(tmp_path / "a.tgz", {**BASE, "dependencies": {"zod": "^3.23.8"}}, {"index.js": INDEX})
    new = npm_tarball(
        tmp_path / "b.tgz",
        {**BASE, "version": "1.0.1", "dependencies": {"zod": "^3.23.8", "helper": spec}},
        {"index.js": INDEX},
    )
    return verdicts_and_findings(new, old, tmp_path / "cache")


@pytest.mark.parametrize(
    "spec",
    [
        "git@github.com:mallory/helper.git",
        "git@relay.example:mallory/helper.git",
        "helper-1.0.0.tgz",
        "helper.tar",
    ],
    ids=["scp-style git", "scp-style elsewhere", "tarball name", "tar name"],
)
def test_a_spec_npm_fetches_from_outside_the_registry_needs_review(tmp_path: Path, spec: str) -> None:
    found = _vetted(tmp_path, spec)
    assert found.count("review") == 2, found
    assert found.count("dependency-outside-registry:medium") == 2, found


@pytest.mark.parametrize("spec", ["^1.2.0", "1.x || >=2.1.0 <3", "latest", "next", "~1.2.3-beta.1"])
def test_registry_ranges_and_tags_pass(tmp_path: Path, spec: str) -> None:
    assert _vetted(tmp_path, spec) == ["pass", "pass"]
