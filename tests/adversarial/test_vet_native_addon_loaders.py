"""Attack on vet's reading of what node loads: a compiled addon loaded through a loader
package (``bindings``, ``node-gyp-build``, ``node-pre-gyp``) or ``process.dlopen`` was skipped
unsaid.

A ``.node`` file node loads by a literal path is ``analysis-incomplete`` (machine code no
analyser reads: test_vet_native_addon.py). Most addons are not loaded that way, but by a
dependency that finds them: ``require("bindings")("relay")`` searches ``build/Release/``,
``build/Debug/``, ``out/…`` and the like, ``require("node-gyp-build")(__dirname)`` the
``prebuilds/PLATFORM-ARCH/`` and ``build/`` folders, ``node-pre-gyp``'s ``find`` the path
package.json's ``binary`` names; ``process.dlopen(module, path)`` loads a file itself. A
release whose ``index.js`` became ``module.exports = require("bindings")("relay")`` beside a
``build/Release/relay.node`` was vetted ``pass``, on first look and against the release
before. The addons of a package whose code loads such a loader are now code that runs and is
not read: ``analysis-incomplete`` (review). A package shipping a ``.node`` file nothing loads
stays as it was (test_vet_native_addon.py), and so does one naming ``bindings`` only as a
dependency, with no addon in the package (node-gyp builds it at install: the implicit
``node-gyp rebuild`` is its own finding).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball

from mcpward.vet import VetOptions, run_vet

BASE = {"name": "relay-mcp", "version": "1.0.0", "main": "index.js"}
INDEX = b"exports.ok = 1;\n"
ADDON = b"\x7fELF\x02\x01\x01" + bytes(200)


@pytest.mark.parametrize(
    "index,addon",
    [
        (b'module.exports = require("bindings")("relay");\n', "build/Release/relay.node"),
        (b'module.exports = require("bindings")({ bindings: "relay.node" });\n', "out/Release/relay.node"),
        (
            b'const load = require("node-gyp-build");\nmodule.exports = load(__dirname);\n',
            "prebuilds/linux-x64/relay.node",
        ),
        (
            b'import load from "node-gyp-build";\nexport default load(import.meta.dirname);\n',
            "prebuilds/linux-x64/node.napi.node",
        ),
        (
            b'const binary = require("@mapbox/node-pre-gyp");\nconst path = require("path");\n'
            b'module.exports = require(binary.find(path.resolve(path.join(__dirname, "./package.json"))));\n',
            "lib/binding/napi-v6/relay.node",
        ),
        (
            b'const path = require("path");\nprocess.dlopen(module, path.join(__dirname, "build", "relay.node"));\n',
            "build/relay.node",
        ),
    ],
    ids=[
        "bindings",
        "bindings with options",
        "node-gyp-build",
        "node-gyp-build as a module",
        "node-pre-gyp",
        "process.dlopen",
    ],
)
def test_an_addon_a_loader_loads_is_not_passed_unread(tmp_path: Path, index: bytes, addon: str) -> None:
    before = npm_tarball(tmp_path / "a.tgz", BASE, {"index.js": INDEX})
    after = npm_tarball(
        tmp_path / "b.tgz",
        {**BASE, "version": "1.0.1", "dependencies": {"bindings": "^1.5.0", "node-gyp-build": "^4.8.0"}},
        {"index.js": index, addon: ADDON},
    )
    for baseline in (None, str(before)):
        report = run_vet(VetOptions(target=str(after), baseline=baseline, cache_dir=tmp_path / "cache"))
        incomplete = [f.config_path for f in report.findings if f.rule == "analysis-incomplete"]
        assert incomplete == [addon], [(f.rule, f.message) for f in report.findings]
        assert report.verdict == "review"


def test_a_loader_with_no_addon_in_the_package_is_no_finding(tmp_path: Path) -> None:
    files = {"index.js": b'module.exports = require("bindings")("relay");\n'}
    manifest = {**BASE, "dependencies": {"bindings": "^1.5.0"}}
    before = npm_tarball(tmp_path / "a.tgz", manifest, files)
    after = npm_tarball(tmp_path / "b.tgz", {**manifest, "version": "1.0.1"}, files)
    report = run_vet(VetOptions(target=str(after), baseline=str(before), cache_dir=tmp_path / "cache"))
    assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]


def test_an_addon_of_a_bundled_dependency_is_its_own(tmp_path: Path) -> None:
    """A bundled dependency's loader loads that dependency's addons, not the package's."""
    files = {
        "index.js": b'module.exports = require("bindings")("relay");\n',
        "build/Release/relay.node": ADDON,
        "node_modules/other/package.json": b'{"name": "other", "main": "index.js"}',
        "node_modules/other/index.js": b"exports.ok = 1;\n",
        "node_modules/other/build/Release/other.node": ADDON,
    }
    report = run_vet(
        VetOptions(target=str(npm_tarball(tmp_path / "b.tgz", BASE, files)), cache_dir=tmp_path / "c")
    )
    incomplete = [f.config_path for f in report.findings if f.rule == "analysis-incomplete"]
    assert incomplete == ["build/Release/relay.node"], incomplete
