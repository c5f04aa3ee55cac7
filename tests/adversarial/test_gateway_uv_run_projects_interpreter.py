"""Attack: ``uv run --no-project --with acme-ok==1.0.0 acme-ok`` (a launch the gateway starts in a
project, since ``--no-project`` keeps the project uninstalled) runs the interpreter the project
names: its ``.venv/bin/python`` (even with ``--isolated`` or ``--python 3.11``), or a
``.python-version`` that names a path (``./tools/python``), in the project's folder or one above;
or, from the entry's env, ``VIRTUAL_ENV`` or ``CONDA_PREFIX``. uv runs that program to ask it
what it is before it installs anything (uv 0.13.9, each seen run offline; ``uvx`` ignores all
four). The gateway read a project's ``uv.toml`` and ``pyproject.toml`` only, and the launch
judge knew neither variable: each was started as the approved entry until 2026-12-05, the
project's program running as the server's Python. Now each is refused; a ``.python-version``
that names a version (``3.12``, ``cpython@3.12``) is kept, and ``--no-config`` (which uv reads
as leaving ``.python-version`` unread) keeps it unread.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import UVX, _launch, cloned_project, refused_below

UV_RUN = "uv run --no-project --with acme-ok==1.0.0 acme-ok"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("command", "file", "text"),
    [
        (UV_RUN, ".venv/bin/python", "#!/bin/sh\n"),
        (UV_RUN.replace("--no-project", "--isolated"), ".venv/bin/python", "#!/bin/sh\n"),
        (UV_RUN.replace("--no-project", "--no-project --python 3.11"), ".venv/bin/python", "#!/bin/sh\n"),
        (UV_RUN, ".python-version", "./tools/python\n"),
        (UV_RUN, ".python-version", "# the project's\n/tmp/x/python\n"),
        (UV_RUN, ".python-version", "C:\\tools\\python.exe\n"),
    ],
)
def test_the_projects_interpreter_under_uv_run_is_refused(
    command: str, file: str, text: str, project: Path
) -> None:
    assert "not what was approved" in refused_below(command, project, file, text)


@pytest.mark.parametrize("variable", ["VIRTUAL_ENV", "CONDA_PREFIX"])
def test_the_entrys_environment_naming_an_interpreter_is_refused(variable: str, project: Path) -> None:
    refused = _launch(UV_RUN, project, {variable: "./venv"})
    assert refused is not None and variable in refused


@pytest.mark.parametrize("text", ["3.12\n", "cpython@3.12\n", "3.13t\n", "pypy3.10\n", ">=3.11\n"])
def test_a_python_version_that_names_a_version_is_kept(text: str, project: Path) -> None:
    (project / ".python-version").write_text(text)
    assert _launch(UV_RUN, project) is None
    assert _launch(UVX, project) is None


def test_no_config_leaves_the_python_version_unread_and_uvx_reads_neither(project: Path) -> None:
    (project / ".python-version").write_text("./tools/python\n")
    assert _launch(UV_RUN.replace("--no-project", "--no-project --no-config"), project) is None
    (project / ".venv").mkdir()
    assert _launch(UVX, project) is None
