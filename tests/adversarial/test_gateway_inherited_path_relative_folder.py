"""Attack: the PATH the gateway hands the server, inherited from the client's environment, holds
a folder relative to the one the server starts in (``./node_modules/.bin``, a habit of some
JavaScript developers' shells; an empty entry, which POSIX reads as the current folder;
``~/bin``, which nothing expands there). The gateway starts ``npx`` by that PATH in the cloned
repository, and npx finds ``sh`` and ``node`` on it: the repository's
``node_modules/.bin/npx`` is the runner (seen below with Python's spawning, the gateway's). The
entry's own PATH was judged (:mod:`mcpward.launch_judge`), the inherited one not, and the launch
was started as the approved entry until 2026-12-05. Now a relative folder on the PATH the server
gets is refused, naming it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_gateway_package_sources import NPX, UVX, _launch, cloned_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX exec's reading of a PATH")
def test_a_relative_path_folder_finds_the_projects_runner(project: Path) -> None:
    runner = project / "node_modules" / ".bin" / "ok-runner"
    runner.parent.mkdir(parents=True)
    runner.write_text("#!/bin/sh\necho the repository runner\n")
    runner.chmod(0o755)
    ran = subprocess.run(["ok-runner"], env={"PATH": "./node_modules/.bin:/usr/bin"}, cwd=project,
                         capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    assert ran.stdout == "the repository runner\n"


@pytest.mark.parametrize(
    "path", ["./node_modules/.bin:/usr/bin:/bin", "/usr/bin::/bin", "/usr/bin:/bin:", "~/bin:/usr/bin"]
)
@pytest.mark.parametrize("command", [NPX, UVX])
def test_a_relative_folder_on_the_inherited_path_is_refused(
    path: str, command: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path)
    refused = _launch(command, project)
    assert refused is not None
    assert "PATH" in refused


def test_an_absolute_inherited_path_is_kept(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/home/a/.local/bin:/usr/local/bin:/usr/bin:/bin")
    assert _launch(NPX, project) is None
    # The entry's own PATH, judged as before, stands in for the inherited one.
    monkeypatch.setenv("PATH", "./node_modules/.bin:/usr/bin")
    assert _launch(NPX, project, {"PATH": "/usr/local/bin:/usr/bin:/bin"}) is None
