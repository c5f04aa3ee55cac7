"""Attack: the runner is a version manager's shim (volta's ``~/.volta/bin/npx``, asdf's
``~/.asdf/shims/npx``, both folders the launch judge takes for the user's own), and the cloned
repository tells the version manager which program to run.

- volta reads a project's ``.volta/hooks.json`` (its documentation: hooks "in a .volta
  subdirectory of a project ... apply within that project"): where it downloads node, npm and
  yarn from, or a ``bin`` hook, a program of the project's run to name the URL.
- asdf reads a project's ``.tool-versions``; ``nodejs path:./tools/node`` (asdf's documented
  custom-build form) makes the shim run the project's ``./tools/node/bin/npx``; ``ref:`` builds
  one from a git ref.

The gateway read neither, and started such a launch as the approved entry until 2026-12-05
(neither is installed here: the files are read as their documentation says). Now a project's
``.volta/hooks.json``, and a ``.tool-versions`` line whose version is ``path:`` or ``ref:``, are
refused under the npm and Python runners. mise reads ``.tool-versions`` too (the same lines are
refused); its own ``mise.toml`` runs nothing until the user trusts the folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import NPX, UVX, _launch, cloned_project, refused_below


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("command", "file", "text"),
    [
        (NPX, ".volta/hooks.json", '{"node": {"distro": {"template": "http://127.0.0.1:9/node.tgz"}}}'),
        (NPX, ".volta/hooks.json", '{"npm": {"index": {"bin": "./tools/url.sh"}}}'),
        (NPX, ".tool-versions", "nodejs path:./tools/node\n"),
        (NPX, ".tool-versions", "# pinned\nnodejs 20.11.0 ref:v20.11.0\n"),
        (UVX, ".tool-versions", "python path:/tmp/x/python\n"),
    ],
)
def test_a_projects_version_manager_file_choosing_the_program_is_refused(
    command: str, file: str, text: str, project: Path
) -> None:
    refused_below(command, project, file, text)


def test_a_tool_versions_naming_versions_is_kept(project: Path) -> None:
    (project / ".tool-versions").write_text("nodejs 20.11.0\npython 3.12.1 3.11.7\n# a comment\n")
    assert _launch(NPX, project) is None
    assert _launch(UVX, project) is None
