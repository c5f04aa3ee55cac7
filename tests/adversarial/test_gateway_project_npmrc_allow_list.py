"""Attack: a cloned repository's ``.npmrc`` names another registry, or loosens npm's checks, in a
way the gateway's list of refused keys did not spell.

The gateway read a project's ``.npmrc`` for keys known to choose a source (``registry``,
``@acme:registry``, ``cafile``, ``script-shell``...) and started ``npx -y @acme/ok@1.0.0`` as the
approved entry with any other. npm (11.19, read with ``npm config get registry`` in such a
folder) takes all of these for ``registry``: ``registry${X?}=URL`` (npm expands ``${VAR}`` in
keys, ``${VAR?}`` to nothing when unset), ``"registry"=URL`` and ``'registry'=URL`` (quoted keys
are unquoted), ``registry[]=URL``. Other keys that change what runs were on no list: another
scope's registry (``@modelcontextprotocol:registry``, where the package's SDK dependency comes
from; the same variable in the entry's env was refused), ``package=evil`` (npx's ``--package``),
``call=`` (its ``-c``), ``dangerously-allow-all-scripts=true`` and ``allow-scripts=`` (npm runs
dependencies' install scripts it otherwise skips), ``ignore-scripts=false`` and
``strict-ssl=false`` (the user's own ``true`` undone), ``force``, ``tag``, a key alone on its
line (``dangerously-allow-all-scripts``, which ini reads as ``=true``).

Until 2026-12-05 each was started as the approved entry. Now a project's ``.npmrc`` is judged
by an allow-list: a key of npm's and pnpm's ordinary settings that choose nothing of where the
package comes from (``save-exact``, ``legacy-peer-deps``, ``engine-strict``,
``auto-install-peers``...), or a registry's credentials (``//host/:_authToken``), written
plainly; any other line is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import NPX, _launch, cloned_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    "line",
    [
        "registry${X?}=http://127.0.0.1:9/",
        "regi${X?}stry=http://127.0.0.1:9/",
        '"registry"=http://127.0.0.1:9/',
        "'registry'=http://127.0.0.1:9/",
        "registry[]=http://127.0.0.1:9/",
        "@modelcontextprotocol:registry=http://127.0.0.1:9/",
        "package=evil@1.0.0",
        "call=./evil.sh",
        "dangerously-allow-all-scripts=true",
        "dangerously-allow-all-scripts",
        "allow-scripts=evil",
        "ignore-scripts=false",
        "strict-ssl=false",
        "force=true",
        "tag=evil",
        "init-module=./evil.js",
        "[registry]",
    ],
)
def test_a_projects_npmrc_line_not_known_harmless_is_refused(line: str, project: Path) -> None:
    (project / ".npmrc").write_text(f"save-exact=true\n{line}\n")
    refused = _launch(NPX, project)
    assert refused is not None
    assert f"{project / '.npmrc'} sets" in refused
    assert "not what was approved" in refused


def test_a_projects_ordinary_npmrc_is_kept(project: Path) -> None:
    (project / ".npmrc").write_text(
        "; a comment\n# another\n\nsave-exact=true\nlegacy-peer-deps = true\nengine-strict=true\n"
        "auto-install-peers=true\npublic-hoist-pattern[]=*eslint*\nstrict-ssl=true\n"
        "ignore-scripts=true\nfund=false\naudit=false\nloglevel=warn\n"
        "//npm.acme.example/:_authToken=${NPM_TOKEN}\n"
    )
    assert _launch(NPX, project) is None
