"""Attack on vet's reading of what node loads: a compiled addon (``.node``) was skipped unsaid.

node loads a ``.node`` file (a shared library) as native code when it is ``main``, a ``bin``,
an ``exports`` target or a ``require``'s literal path; it runs with the server's rights, and
vet has no analyser for machine code. vet skipped such a file without a word: a release whose
``main`` moved from ``index.js`` to ``build/relay.node`` (or whose ``index.js`` became
``module.exports = require("./build/relay.node")``) was vetted ``pass``, on first look and
against the release before. Code that runs and is not analysed is now ``analysis-incomplete``
(review), as the threat model promises; a ``.node`` file nothing loads by a path vet follows
stays a file like any other.
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
    "manifest,index",
    [
        ({"main": "build/relay.node"}, INDEX),
        ({"bin": {"relay": "build/relay.node"}}, INDEX),
        ({}, b'module.exports = require("./build/relay.node");\n'),
        ({}, b'module.exports = require("./build/relay");\n'),
    ],
    ids=["main", "bin", "require", "require without the extension"],
)
def test_a_native_addon_node_loads_is_not_passed_unread(
    tmp_path: Path, manifest: dict[str, object], index: bytes
) -> None:
    before = npm_tarball(tmp_path / "a.tgz", BASE, {"index.js": INDEX})
    after = npm_tarball(
        tmp_path / "b.tgz",
        {**BASE, "version": "1.0.1", **manifest},
        {"index.js": index, "build/relay.node": ADDON},
    )
    for baseline in (None, str(before)):
        report = run_vet(VetOptions(target=str(after), baseline=baseline, cache_dir=tmp_path / "cache"))
        incomplete = [f.config_path for f in report.findings if f.rule == "analysis-incomplete"]
        assert incomplete == ["build/relay.node"], [(f.rule, f.message) for f in report.findings]
        assert report.verdict == "review"


def test_a_native_file_nothing_is_seen_to_load_is_no_finding(tmp_path: Path) -> None:
    after = npm_tarball(
        tmp_path / "b.tgz", {**BASE, "version": "1.0.1"}, {"index.js": INDEX, "prebuilds/relay.node": ADDON}
    )
    report = run_vet(VetOptions(target=str(after), cache_dir=tmp_path / "cache"))
    assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]
