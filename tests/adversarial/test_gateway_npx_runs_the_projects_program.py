"""Attack: npx runs a program of the cloned repository's in place of the approved package, found
by the word of the launch line, not by the package's folder the gateway looked for.

Before it fetches anything, npx (libnpmexec, npm 11.19) looks for a program named as the line's
word (``@acme/ok@1.0.0``, spec and version and all): a ``bin`` of that name in the project's
``package.json`` (it installs the project and runs it), then ``node_modules/.bin/<word>`` in the
project's folder and every folder above it. It takes a copy the project's tree holds at any
depth (``node_modules/x/node_modules/@acme/ok`` at 1.0.0) as installed, and runs its program by
name from the project's ``node_modules/.bin``. With ``-p @acme/ok@1.0.0 acme-ok`` the command is
found on a PATH of the project's ``node_modules/.bin`` after the fetched package's: where the
package's program has another name, the project's runs. Each was seen run by npm offline in such
a folder. The gateway looked for ``node_modules/@acme/ok`` only, and started each of these as the
approved entry until 2026-12-05. Now each is refused, naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_gateway_package_sources import NPX, _launch, cloned_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


def _program(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho the project's own\n")


@pytest.mark.parametrize(
    ("command", "files"),
    [
        (NPX, {"node_modules/.bin/@acme/ok@1.0.0": None}),
        ("npx -y -p @acme/ok@1.0.0 acme-ok", {"node_modules/.bin/acme-ok": None}),
        (NPX, {"package.json": {"name": "cloned", "bin": {"@acme/ok@1.0.0": "evil.js"}}}),
        (
            NPX,
            {
                "package.json": {"name": "cloned", "directories": {"bin": "tools"}},
                "tools/@acme/ok@1.0.0": None,
            },
        ),
        (
            NPX,
            {"node_modules/x/node_modules/@acme/ok/package.json": {"name": "@acme/ok", "version": "1.0.0"}},
        ),
        (NPX, {"node_modules/@corp/x/node_modules/@acme/ok/package.json": {"name": "@acme/ok"}}),
        (NPX, {"node_modules/.pnpm/node_modules/@acme/ok/package.json": {"name": "@acme/ok"}}),
    ],
)
def test_a_program_of_the_projects_that_npx_runs_is_refused(
    command: str, files: dict[str, object], project: Path
) -> None:
    for name, content in files.items():
        path = project / name
        if content is None:
            _program(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(content))
    # From a folder below: npx looks in the project's folder and those above it.
    (project / "docs").mkdir()
    refused = _launch(command, project / "docs")
    assert refused is not None
    assert str(project) in refused
    assert "not what was approved" in refused


def test_a_project_with_other_programs_and_packages_is_kept(project: Path) -> None:
    _program(project / "node_modules" / ".bin" / "eslint")
    (project / "node_modules" / "left-pad" / "node_modules" / "x").mkdir(parents=True)
    (project / "package.json").write_text(json.dumps({"name": "cloned", "bin": {"cloned": "x.js"}}))
    assert _launch(NPX, project) is None


def test_a_tree_that_links_back_to_itself_is_read_to_an_end(project: Path) -> None:
    (project / "node_modules" / "a").mkdir(parents=True)
    (project / "node_modules" / "a" / "node_modules").symlink_to(project / "node_modules")
    assert _launch(NPX, project) is None
