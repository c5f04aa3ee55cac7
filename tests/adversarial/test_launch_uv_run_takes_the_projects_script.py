"""Attack: ``uv run --no-project --with acme-ok==1.0.0 acme-ok.py`` (or ``.pyw``, ``.pyz``)
runs the script of that name in the folder it starts in, with the package merely installed; and
``uv run --no-project --with acme-ok==1.0.0 acme-ok`` runs a folder ``acme-ok/`` there by its
``__main__.py``. uv 0.13.9 ran each of a cloned repository's, offline ("CWD-PY-SCRIPT-RAN",
"CWD-PYZ-RAN", "CWD-DIR-MAIN-RAN"). The launch's parse took ``acme-ok.py`` for one of the
package's programs (its name holds the package's), and the gateway started each as the approved
entry until 2026-12-05. Now a command that is a script by its suffix is a command of the line's
own (the scan and the gateway agree), and under ``uv run`` (and ``pipx run``) a file or folder
named as the command in the server's own folder is refused. A folder of that name above it (the
package's own repository, checked out as ``acme-ok``) is not what uv runs, and is kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import _launch, cloned_project
from test_launch_judges_agree import _scan_refuses

UV_RUN = "uv run --no-project --with acme-ok==1.0.0"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize("script", ["acme-ok.py", "acme_ok.pyw", "acme-ok.pyz", "ACME-OK.PY"])
def test_a_script_by_its_suffix_is_not_the_packages_program(script: str, project: Path) -> None:
    assert _scan_refuses(f"{UV_RUN} {script}", {})
    assert _launch(f"{UV_RUN} {script}", project) is not None


@pytest.mark.parametrize("made", ["acme-ok/__main__.py", "acme-ok"])
def test_a_folder_or_file_of_the_commands_name_is_refused(made: str, project: Path) -> None:
    (project / made).parent.mkdir(parents=True, exist_ok=True)
    (project / made).write_text("print(1)\n")
    refused = _launch(f"{UV_RUN} acme-ok", project)
    assert refused is not None
    assert str(project / "acme-ok") in refused


def test_the_packages_repository_above_is_kept(project: Path) -> None:
    checkout = project / "acme-ok"
    (checkout / "docs").mkdir(parents=True)
    assert _launch(f"{UV_RUN} acme-ok", checkout / "docs") is None
