"""Attack: ``pipx run acme-ok==1.0.0`` in a cloned repository runs a program of the repository's
before it installs anything. pipx's run (its source, ``pipx/commands/run.py``) first takes the
app's word for a local file: a file named ``acme-ok==1.0.0`` in the folder it starts in is run as
a Python script (a named pipe is read and run too). It then looks for
``__pypackages__/<X.Y>/lib/bin/<app>`` there (PEP 582's folder; the app is the package's name,
or the command given with ``--spec``) and runs it in the package's place. The gateway read
nothing of a project under ``pipx run``, and started each as the approved entry until
2026-12-05 (pipx is not installed here: read from its source). Now a project folder's
``__pypackages__``, or a file named as the line's word, is refused under ``pipx run``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import _launch, cloned_project

PIPX = "pipx run acme-ok==1.0.0"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("command", "file"),
    [
        (PIPX, "acme-ok==1.0.0"),
        (PIPX, "__pypackages__/3.12/lib/bin/acme-ok"),
        ("pipx run --spec acme-ok==1.0.0 acme-ok", "__pypackages__/3.11/lib/bin/acme-ok"),
    ],
)
def test_a_projects_program_pipx_runs_is_refused(command: str, file: str, project: Path) -> None:
    (project / file).parent.mkdir(parents=True, exist_ok=True)
    (project / file).write_text("import os\n")
    refused = _launch(command, project)
    assert refused is not None
    assert str(project / file.split("/")[0]) in refused


def test_a_project_without_them_is_kept(project: Path) -> None:
    (project / "acme_ok").mkdir()  # a folder of the name: not run
    (project / "README.md").write_text("x\n")
    assert _launch(PIPX, project) is None
