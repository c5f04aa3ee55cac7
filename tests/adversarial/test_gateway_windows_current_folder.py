"""Attack (Windows): a program in the folder the server starts in is found before the machine's.

Windows' ``CreateProcess``, which the gateway's spawn of ``npx`` reaches with a bare name, looks
in the current folder of the parent (the gateway's, the server's folder) before the ``PATH``
(its documented search order, for a name it completes with ``.exe``), and ``cmd.exe``, which npm
runs the package's program in and whose ``.cmd`` shims call ``node`` by name, looks in the
current folder before the ``PATH`` for every ``PATHEXT`` suffix. A cloned repository holding
``npx.exe``, ``node.cmd`` or ``acme-ok.cmd`` had it run as the approved entry's runner, runtime
or program. Not run here (no Windows machine): the search orders are Windows' documented ones.
Since 2026-12-05, on Windows, the server's folder holding a program (``.exe``, ``.com``,
``.cmd``, ``.bat``) named as the runner, a runtime, a shell, or the package is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import NPX, UVX, _launch, cloned_project

import mcpward.package_sources


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(mcpward.package_sources, "_WINDOWS", True)
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("command", "program"),
    [(NPX, "npx.exe"), (NPX, "node.cmd"), (NPX, "NODE.BAT"), (NPX, "ok.cmd"), (NPX, "acme-ok.exe"),
     (UVX, "uvx.exe"), (UVX, "python.exe"), (UVX, "acme-ok.exe")],
)  # fmt: skip
def test_a_program_of_the_servers_folder_windows_finds_first_is_refused(
    command: str, program: str, project: Path
) -> None:
    (project / program).write_text("MZ")
    refused = _launch(command, project)
    assert refused is not None
    assert str(project / program) in refused


def test_the_projects_other_programs_are_kept_and_only_on_windows(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "gradlew.bat").write_text("@echo off\n")
    (project / "mvnw.cmd").write_text("@echo off\n")
    assert _launch(NPX, project) is None
    (project / "npx.exe").write_text("MZ")
    monkeypatch.setattr(mcpward.package_sources, "_WINDOWS", False)
    assert _launch(NPX, project) is None
