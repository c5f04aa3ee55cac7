"""Attack: a cloned repository's ``uv.toml`` (or ``pyproject.toml`` ``[tool.uv]``) adds a
package to the approved one, or builds it with code of its own, by a setting the gateway's list of
refused keys did not name.

``uv run --no-project --with acme-ok==1.0.0 acme-ok`` reads the project's uv settings (uv 0.13.9:
"Found workspace configuration"). ``[[dependency-metadata]] name = "acme-ok" requires-dist =
["evil-dep"]`` makes uv install ``evil-dep`` beside the approved package (seen offline: uv went
looking for ``evil-dep``, a ``.pth`` of which would run at every start of the server's Python);
``extra-build-dependencies``, ``config-settings``, ``no-build-isolation-package`` and
``no-binary`` build a package from source with the project's choice of build code;
``keyring-provider`` runs a program to fetch credentials; ``resolution = "lowest"`` takes the
oldest releases the package allows of every dependency. Each was started as the approved entry
until 2026-12-05. Now a project's uv settings are judged by an allow-list: a key known to choose
nothing for the line (``dev-dependencies``, ``sources`` and the other project metadata uv reads
for the project alone, which ``--no-project`` leaves out; ``native-tls``, ``link-mode``,
``python-downloads``...); any other is refused. ``uvx`` reads none of them (nor a malformed
file); the gateway judges them for it too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import UVX, _launch, cloned_project

UV_RUN = "uv run --no-project --with acme-ok==1.0.0 acme-ok"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    "settings",
    [
        '[[dependency-metadata]]\nname = "acme-ok"\nversion = "1.0.0"\nrequires-dist = ["evil-dep"]\n',
        'extra-build-dependencies = { acme-ok = ["evil-dep"] }\n',
        'config-settings = { "--build-option" = "x" }\n',
        'no-build-isolation-package = ["acme-ok"]\n',
        "no-binary = true\n",
        'keyring-provider = "subprocess"\n',
        'resolution = "lowest"\n',
        'python-install-mirror = "http://127.0.0.1:9/"\n',
    ],
)
@pytest.mark.parametrize("file", ["uv.toml", "pyproject.toml"])
def test_a_projects_uv_setting_not_known_harmless_is_refused(settings: str, file: str, project: Path) -> None:
    text = settings if file == "uv.toml" else "[tool.uv]\n" + settings.replace("[[", "[[tool.uv.")
    (project / file).write_text(text)
    for command in (UV_RUN, UVX):
        refused = _launch(command, project)
        assert refused is not None, command
        assert f"{project / file} sets" in refused


def test_a_projects_ordinary_uv_settings_are_kept(project: Path) -> None:
    (project / "uv.toml").write_text('native-tls = true\nlink-mode = "copy"\npython-downloads = "manual"\n')
    (project / "pyproject.toml").write_text(
        '[project]\nname = "cloned"\nversion = "1"\n[tool.uv]\ndev-dependencies = []\npackage = false\n'
        'default-groups = ["dev"]\n[tool.uv.sources]\nx = { path = "./x" }\n[tool.uv.workspace]\nmembers = ["a"]\n'
    )
    assert _launch(UV_RUN, project) is None
    assert _launch(UVX, project) is None
