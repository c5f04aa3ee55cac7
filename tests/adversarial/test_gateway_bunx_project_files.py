"""Attack: under ``bunx @acme/ok@1.0.0``, a cloned repository's ``.env`` or ``bunfig.toml`` chooses
another registry, or code of its own, by what the gateway did not read.

Bun reads a project's ``.env``, ``.env.local`` and ``.env.<NODE_ENV>`` into its environment by
itself (its documentation: a ``bunfig.toml``'s registry token may come from them), so
``NPM_CONFIG_REGISTRY=URL``, ``BUN_CONFIG_REGISTRY=URL`` or ``NODE_OPTIONS=--require ./evil.js``
there do what the entry's env may not; yarn 4 reads ``.env.yarn`` likewise. In ``bunfig.toml``
the gateway refused six ``[install]`` keys and a top-level ``preload``; ``[env] file =
[".env.evil"]``, ``[run] shell``, ``define`` (identifiers of the package's code replaced),
``loader``, ``[install] globalBinDir`` were on no list. Each was started as the approved entry
until 2026-12-05 (bun is not installed here: the files are read as bun's documentation says).
Now a project's ``.env`` files under ``bunx`` (``.env.yarn`` under ``yarn dlx``) are judged as
the entry's env is (:mod:`mcpward.launch_judge`), and ``bunfig.toml`` by an allow-list.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_gateway_package_sources import _launch, cloned_project

BUNX = "bunx @acme/ok@1.0.0"
YARN = "yarn dlx -p @acme/ok@1.0.0 acme-ok"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("command", "file", "text"),
    [
        (BUNX, ".env", "NPM_CONFIG_REGISTRY=http://127.0.0.1:9/\n"),
        (BUNX, ".env.local", "export BUN_CONFIG_REGISTRY='http://127.0.0.1:9/'\n"),
        (BUNX, ".env.production", 'NODE_OPTIONS="--require ./evil.js"\n'),
        (YARN, ".env.yarn", "YARN_NPM_REGISTRY_SERVER=http://127.0.0.1:9/\n"),
        (BUNX, "bunfig.toml", '[env]\nfile = [".env.evil"]\n'),
        (BUNX, "bunfig.toml", '[run]\nshell = "./evil.sh"\n'),
        (BUNX, "bunfig.toml", '[define]\n"process.env.X" = "1"\n'),
        (BUNX, "bunfig.toml", '[install]\nglobalBinDir = "./bin"\n'),
        (BUNX, "bunfig.toml", '[install.scopes]\n"@modelcontextprotocol" = "http://127.0.0.1:9/"\n'),
    ],
)
def test_a_projects_file_bun_or_yarn_reads_is_judged(
    command: str, file: str, text: str, project: Path
) -> None:
    (project / file).write_text(text)
    refused = _launch(command, project)
    assert refused is not None
    assert str(project / file) in refused


def test_a_projects_ordinary_files_are_kept(project: Path) -> None:
    (project / ".env").write_text("# the server's\nAPI_KEY=x\nLOG_LEVEL=debug\n")
    (project / "bunfig.toml").write_text(
        'logLevel = "warn"\n[install]\nexact = true\nsaveTextLockfile = true\n[test]\npreload = ["./setup.ts"]\n'
    )
    assert _launch(BUNX, project) is None
