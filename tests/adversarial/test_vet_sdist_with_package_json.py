"""Attack on vet's choice of installer for a local archive: a ``package.json`` in an sdist made
vet read it as an npm package.

A local ``.tar.gz`` was read as npm reads it whenever npm's reading gave a ``package.json``,
else as pip reads an sdist. An sdist of a malicious release (``relay_mcp-1.0.1/PKG-INFO``, a
release a malicious-package advisory names) that also carried ``relay_mcp-1.0.1/package.json``
naming another package was judged as that npm package: its PyPI advisory was not looked up,
its ``setup.py`` was no install script and its requirements were not read, and it was vetted
``pass``. An archive with both manifests at the root is now read as the installer its layout
is made for (``npm pack`` puts everything under ``package/``; an sdist under
``NAME-VERSION/``), and the other reading is a finding: the archive installs both ways.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from vet_attack_kit import npm_tarball

from mcpward.advisories import user_snapshot_path
from mcpward.vet import VetOptions, run_vet
from vet_fixtures import sdist

PKG_INFO = "Metadata-Version: 2.1\nName: relay-mcp\nVersion: 1.0.1\n\nA relay.\n"


def _advisory() -> None:
    path = user_snapshot_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "id": "MAL-2026-7101",
        "modified": "2026-12-01T00:00:00Z",
        "summary": "Malicious code in relay-mcp",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "relay-mcp"}, "versions": ["1.0.1"]}],
    }
    path.write_text(json.dumps({"vulns": [record]}), "utf-8")
    os.chmod(path, 0o600)


def test_an_sdist_with_a_package_json_is_judged_as_the_sdist(tmp_path: Path) -> None:
    _advisory()
    archive = tmp_path / "relay_mcp-1.0.1.tar.gz"
    files = {
        "relay_mcp/__init__.py": "X = 1\n",
        "setup.py": "from setuptools import setup\nsetup(name='relay-mcp')\n",
        "package.json": json.dumps({"name": "relay-ui", "version": "9.9.9", "private": True}),
    }
    archive.write_bytes(sdist("relay_mcp", "1.0.1", files, pkg_info=PKG_INFO))
    report = run_vet(VetOptions(target=str(archive), cache_dir=tmp_path / "c"))
    rules = {(f.rule, f.severity.value) for f in report.findings}
    assert ("known-advisory", "critical") in rules, rules
    assert report.verdict == "block"
    assert any(f.rule == "archive-layout" and "npm" in f.message for f in report.findings), rules


def test_an_npm_tarball_with_a_pkg_info_stays_an_npm_package(tmp_path: Path) -> None:
    manifest = {
        "name": "relay-mcp",
        "version": "1.0.0",
        "main": "index.js",
        "scripts": {"postinstall": "node setup.js"},
    }
    archive = npm_tarball(
        tmp_path / "relay-mcp-1.0.0.tgz",
        manifest,
        {"index.js": "exports.ok = 1;\n", "setup.js": "", "PKG-INFO": PKG_INFO},
    )
    report = run_vet(VetOptions(target=str(archive), cache_dir=tmp_path / "c"))
    assert report.subject.startswith("relay-mcp@1.0.0"), report.subject
    assert "install-script" in {f.rule for f in report.findings}


def test_an_ordinary_npm_tarball_and_sdist_have_no_layout_finding(tmp_path: Path) -> None:
    npm = npm_tarball(
        tmp_path / "a.tgz", {"name": "relay-mcp", "version": "1.0.0"}, {"index.js": "exports.ok = 1;\n"}
    )
    python = tmp_path / "relay_mcp-1.0.0.tar.gz"
    python.write_bytes(sdist("relay_mcp", "1.0.0", {"relay_mcp/__init__.py": ""}))
    for archive in (npm, python):
        report = run_vet(VetOptions(target=str(archive), cache_dir=tmp_path / "c"))
        assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]
