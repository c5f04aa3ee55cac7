"""Attack: npx runs the approved package, fetched from the registry, with the cloned repository's
``node_modules/.bin`` folders on the PATH before the machine's: its ``sh`` is the shell npx runs
the package's program in, and its ``node`` is what the program's ``#!/usr/bin/env node`` finds.
npm 11.19 (offline, a package of a local folder) ran both of a project's: "PROJECT SH RAN",
then "PROJECT NODE RAN: .../_npx/.../node_modules/.bin/okpkg". pnpm dlx puts the workspace's
``node_modules/.bin`` on its PATH too. The gateway read a project's ``node_modules/.bin`` for a
program named as the line's word only, and started such a launch as the approved entry until
2026-12-05. Now a project's ``node_modules/.bin`` holding a program that runs whatever it is given
(a shell, ``node``, ``python``, a package manager, ``env``, ``git``...), under any of Windows'
suffixes too, is refused; a project's own tools (``tsc``, ``eslint``) are kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import NPX, _launch, cloned_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize("program", ["node", "sh", "bash", "node.cmd", "python3", "npm", "git", "env"])
@pytest.mark.parametrize("command", [NPX, "pnpm dlx @acme/ok@1.0.0", "bunx @acme/ok@1.0.0"])
def test_a_projects_runtime_on_the_path_is_refused(program: str, command: str, project: Path) -> None:
    (project / "node_modules" / ".bin").mkdir(parents=True)
    (project / "node_modules" / ".bin" / program).write_text("#!/bin/sh\n")
    (project / "docs").mkdir()
    refused = _launch(command, project / "docs")
    assert refused is not None
    assert str(project / "node_modules" / ".bin" / program) in refused


def test_a_projects_own_tools_are_kept(project: Path) -> None:
    (project / "node_modules" / ".bin").mkdir(parents=True)
    for tool in ("tsc", "eslint", "prettier", "vite", "tsx", "ts-node"):
        (project / "node_modules" / ".bin" / tool).write_text("#!/bin/sh\n")
    assert _launch(NPX, project) is None
