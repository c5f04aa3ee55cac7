"""Attack: under ``pnpm dlx @acme/ok@1.0.0``, a cloned repository's ``pnpm-workspace.yaml`` or
``.pnpmfile.cjs`` changes what pnpm installs, and the gateway read neither.

pnpm 10 takes its settings from the workspace's ``pnpm-workspace.yaml`` as from ``.npmrc``, and
``pnpm dlx`` installs with the settings it was started with (its handler passes them to ``add``):
``overrides`` (``"@modelcontextprotocol/sdk": "npm:evil@1.0.0"``, another package in the
dependency's place), ``packageExtensions``, ``patchedDependencies`` (a patch of the project's
applied to a package), ``onlyBuiltDependencies`` / ``dangerouslyAllowAllBuilds`` (install
scripts pnpm 10 would not run), ``registry``, ``useNodeVersion``; it reads the same settings
from the root ``package.json``'s ``pnpm`` field, and its ``resolutions`` as overrides. A
``.pnpmfile.cjs`` is code pnpm loads to rewrite manifests. Each was started as the approved
entry until 2026-12-05 (pnpm
is not installed here: read from pnpm's dlx source). Now under ``pnpm dlx`` and ``pnpx`` the
top-level keys of a project's ``pnpm-workspace.yaml`` are judged by an allow-list (``packages``,
catalogs, the layout settings also kept in ``.npmrc``), as are a ``package.json``'s ``pnpm``
field's; its ``resolutions``, and a ``.pnpmfile.cjs`` or ``.pnpmfile.mjs``, are refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import _launch, cloned_project

PNPM = "pnpm dlx @acme/ok@1.0.0"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("file", "text"),
    [
        ("pnpm-workspace.yaml", 'overrides:\n  "@modelcontextprotocol/sdk": "npm:evil@1.0.0"\n'),
        ("pnpm-workspace.yaml", 'packages:\n  - "a/*"\n"overrides": {"x": "npm:evil@1.0.0"}\n'),
        ("pnpm-workspace.yaml", "packageExtensions:\n  x:\n    dependencies:\n      evil: '*'\n"),
        ("pnpm-workspace.yaml", "patchedDependencies:\n  x: patches/x.patch\n"),
        ("pnpm-workspace.yaml", "onlyBuiltDependencies:\n  - evil\n"),
        ("pnpm-workspace.yaml", "dangerouslyAllowAllBuilds: true\n"),
        ("pnpm-workspace.yaml", "registry: http://127.0.0.1:9/\n"),
        ("pnpm-workspace.yaml", "useNodeVersion: 20.0.0\n"),
        (".pnpmfile.cjs", "module.exports = { hooks: {} }\n"),
        ("package.json", '{"name": "cloned", "pnpm": {"overrides": {"x": "npm:evil@1.0.0"}}}'),
        ("package.json", '{"name": "cloned", "resolutions": {"x": "npm:evil@1.0.0"}}'),
    ],
)
@pytest.mark.parametrize("command", [PNPM, "pnpx @acme/ok@1.0.0"])
def test_a_projects_pnpm_setting_not_known_harmless_is_refused(
    command: str, file: str, text: str, project: Path
) -> None:
    (project / file).write_text(text)
    refused = _launch(command, project)
    assert refused is not None
    assert str(project / file) in refused


def test_a_projects_ordinary_workspace_is_kept(project: Path) -> None:
    (project / "pnpm-workspace.yaml").write_text(
        'packages:\n  - "packages/*"\ncatalog:\n  react: ^18\nautoInstallPeers: true\nnodeLinker: hoisted\n'
    )
    assert _launch(PNPM, project) is None
