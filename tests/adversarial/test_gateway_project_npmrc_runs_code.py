"""Attack: a cloned repository's ``.npmrc`` names a program npm runs while it installs the
approved package: ``git=./tools/git.sh`` (the command npm fetches a git dependency with),
``node-gyp=./tools/gyp.js`` (the program npm builds a native dependency with). The gateway read
a project's ``.npmrc`` for settings that choose a source (``registry``, ``cafile``,
``script-shell``...) and started ``npx -y @acme/ok@1.0.0`` there as the approved entry with
these, until 2026-12-05: the repository's program ran as npm installed the reviewed package.
The same settings in the entry's env (``npm_config_git``) were refused. Now they are in the
project's settings that are refused too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import NPX, _launch, cloned_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize("setting", ["git=./tools/git.sh", "node-gyp=./tools/gyp.js", "node_gyp=./x.js"])
def test_a_projects_npmrc_naming_a_program_npm_runs_is_refused(setting: str, project: Path) -> None:
    (project / ".npmrc").write_text(f"save-exact=true\n{setting}\n")
    refused = _launch(NPX, project)
    assert refused is not None
    assert f"{project / '.npmrc'} sets {setting.partition('=')[0]}" in refused
    assert "not what was approved" in refused


def test_the_entrys_env_naming_it_was_already_refused(project: Path) -> None:
    assert _launch(NPX, project, {"npm_config_git": "./tools/git.sh"}) is not None
