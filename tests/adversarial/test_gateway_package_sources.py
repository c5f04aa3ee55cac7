"""An approved name that runs other bits: the gateway's registry check judged a launch by the
package it names (``npx -y @acme/ok@1.0.0``, ``uvx acme-ok==1.0.0``), while what the package
manager fetches and runs depends on more than the name:

- the launch line's own options: ``npx --registry=URL``, ``--userconfig``, ``--node-options``,
  a second ``-p``; ``uvx --index-url URL``, ``--find-links``, ``--with other``, ``--python
  ./bin/python``; ``--from`` / ``-p`` with an interpreter as the command (``uvx --from
  acme-ok==1.0.0 python -c ...`` runs any code, the package merely installed beside it);
- the entry's own ``env`` (a repository's ``.mcp.json``, a plugin), given to the server with
  ``--server-env``: ``npm_config_registry``, ``npm_config_@acme:registry``,
  ``npm_config_userconfig``, ``UV_INDEX_URL``, ``UV_DEFAULT_INDEX``, ``UV_FIND_LINKS``,
  ``UV_CONFIG_FILE``, ``PIP_INDEX_URL``, a cache folder of the repository's, a CA of its own
  (behind a proxy), and ``NODE_OPTIONS=--require`` / ``PYTHONPATH`` that load its code into the
  approved server;
- the project the client starts the server in: a cloned repository's ``.npmrc`` (``registry=``,
  ``@acme:registry=``), its ``node_modules/@acme/ok`` (npx runs a project's own copy), its
  ``uv.toml`` or ``pyproject.toml`` ``[tool.uv]`` index.

The launch's parse judges most of the line's options since earlier on 2026-12-05
(tests/adversarial/test_launch_beyond_the_approved_package.py); the entry's env, the project
folder, and the options it does not name (``npx --cafile``, ``--script-shell``, ``npm exec PKG
--registry=`` without ``--``, ``uvx --constraints``, ``env --chdir=``, ``docker run
--entrypoint``) were not read. Each was started as the approved entry until 2026-12-05: the
reviewers approved ``@acme/ok`` from the registry they vetted it on, and the machine ran
whatever the other source served under that name. Now such a launch is refused, saying what sets the other source; the user's own
configuration (``~/.npmrc``, the user's uv config, the environment the client itself was started
with) is the user's choice and is still followed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

import mcpward
from mcpward.gateway._interceptors.registry import Registry as RegistryCheck
from mcpward.gateway.interface import Refusal, Session
from mcpward.model import Severity
from mcpward.registry import DataScope, EntryRequest, Identity, ObservedServer, Registry, VetOutcome
from mcpward.registry._matching import Judgement

APPROVED = {("npm", "@acme/ok", "1.0.0"), ("pypi", "acme-ok", "1.0.0"), (None, "ghcr.io/acme/ok", None)}
IMAGE = "ghcr.io/acme/ok@sha256:" + "a" * 64


class _Index:
    """Approves exactly the two packages above, as the registry would."""

    def __init__(self) -> None:
        self.by_key: dict[object, list[object]] = {}

    def judge(self, server: ObservedServer) -> Judgement:
        if (server.ecosystem, server.package, server.version) in APPROVED:
            return Judgement("approved", Severity.INFO, "approved (entry 7)", None)
        return Judgement("unapproved", Severity.HIGH, "not in the registry")


def cloned_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cloned repository under the user's home, where the client starts the server."""
    home = tmp_path / "home"
    repository = home / "src" / "cloned"
    repository.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    return repository


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cloned_project(tmp_path, monkeypatch)


def _launch(command: str, project: Path, env: dict[str, str] | None = None) -> str | None:
    """Why the gateway refuses to start ``command``, or None if it starts it."""
    words = tuple(command.split())
    check = RegistryCheck(lambda: _Index(), command=words, server_env=env or {}, directory=project)  # type: ignore[arg-type, return-value]
    try:
        check.launch(Session(server="ok", target=words[0]))
    except Refusal as refused:
        return str(refused)
    return None


def refused_below(command: str, project: Path, file: str, text: str) -> str:
    """The refusal of ``command`` started in a folder of ``project`` whose ``file`` (a path in
    the project) holds ``text``: it must be refused, naming the file's first part."""
    (project / file).parent.mkdir(parents=True, exist_ok=True)
    (project / file).write_text(text)
    (project / "docs").mkdir()
    refused = _launch(command, project / "docs")
    assert refused is not None
    assert str(project / file.split("/")[0]) in refused
    return refused


NPX = "npx -y @acme/ok@1.0.0"
UVX = "uvx acme-ok==1.0.0"


def test_the_approved_launches_start(project: Path) -> None:
    assert _launch(NPX, project) is None
    assert _launch(UVX, project) is None
    assert _launch("uvx --from acme-ok==1.0.0 acme-ok --port 3", project) is None
    assert _launch("npx -y -p @acme/ok@1.0.0 acme-ok", project) is None
    assert _launch("uvx --python 3.12 -q acme-ok==1.0.0", project) is None
    assert _launch("npm exec -- @acme/ok@1.0.0 --root .", project) is None
    assert _launch("env GITHUB_TOKEN=x npx -y @acme/ok@1.0.0", project) is None
    assert _launch("npx -y --node-options=--max-old-space-size=4096 @acme/ok@1.0.0", project) is None
    assert _launch("npx --yes --loglevel=error @acme/ok@1.0.0 --root .", project) is None
    assert _launch(f"docker run -i --rm -e TOKEN {IMAGE} --entrypoint x", project) is None


@pytest.mark.parametrize(
    "command",
    [
        "npx -y --registry=http://127.0.0.1:9/ @acme/ok@1.0.0",
        "npx -y --registry http://127.0.0.1:9/ @acme/ok@1.0.0",
        "npx -y --@acme:registry=http://127.0.0.1:9/ @acme/ok@1.0.0",
        "npx -y --userconfig=./npmrc @acme/ok@1.0.0",
        "npx -y --node-options=--require=./evil.js @acme/ok@1.0.0",
        "npx -y -p @acme/ok@1.0.0 -p evil@1.0.0 acme-ok",
        "npx -y -p @acme/ok@1.0.0 node -e process.exit(1)",
        "npx -y -p @acme/ok@1.0.0 ./evil.sh",
        "npm exec --registry=http://127.0.0.1:9/ -- @acme/ok@1.0.0",
        "npm exec @acme/ok@1.0.0 --registry=http://127.0.0.1:9/",
        "env npm_config_registry=http://127.0.0.1:9/ npx -y @acme/ok@1.0.0",
        "env UV_INDEX_URL=http://127.0.0.1:9/simple uvx acme-ok==1.0.0",
        "env --chdir=../other npx -y @acme/ok@1.0.0",
        "npm exec @acme/ok@1.0.0 --registry=http://127.0.0.1:9/ -- --root .",
        "npx -y --cafile=./ca.pem --https-proxy=http://127.0.0.1:9 @acme/ok@1.0.0",
        "npx -y --script-shell=./x @acme/ok@1.0.0",
        "uvx --constraints ./c.txt acme-ok==1.0.0",
        "uvx --allow-insecure-host 127.0.0.1 acme-ok==1.0.0",
        "uvx --index-url http://127.0.0.1:9/simple acme-ok==1.0.0",
        "uvx --default-index=http://127.0.0.1:9/simple acme-ok==1.0.0",
        "uvx --extra-index-url http://127.0.0.1:9/simple acme-ok==1.0.0",
        "uvx --index http://127.0.0.1:9/simple acme-ok==1.0.0",
        "uvx -f ./wheels acme-ok==1.0.0",
        "uvx --with evil acme-ok==1.0.0",
        "uvx --config-file ./uv.toml acme-ok==1.0.0",
        "uvx --python ./venv/bin/python acme-ok==1.0.0",
        "uvx --from acme-ok==1.0.0 python -c print(1)",
        "uv tool run --from acme-ok==1.0.0 sh -c id",
        "pipx run --index-url http://127.0.0.1:9/simple acme-ok==1.0.0",
        "pipx run --pip-args=--find-links=./wheels acme-ok==1.0.0",
        f"docker run -i --rm --entrypoint sh {IMAGE} -c id",
        f"docker run -i --entrypoint=/bin/sh {IMAGE}",
    ],
)
def test_launch_options_that_fetch_or_run_something_else_are_refused(command: str, project: Path) -> None:
    # Most of these the launch's parse finds (not the approved package: unapproved); the others,
    # this check (approved, but not what was approved).
    refused = _launch(command, project)
    assert refused is not None
    assert "not what was approved" in refused or "unapproved" in refused


def test_a_launch_moved_to_another_folder_is_refused(project: Path) -> None:
    # env -C DIR: the launch resolves DIR as the program (unapproved); --chdir=DIR as an option.
    assert _launch("env -C ../other npx -y @acme/ok@1.0.0", project) is not None


@pytest.mark.parametrize(
    ("command", "variable", "value"),
    [
        (NPX, "npm_config_registry", "http://127.0.0.1:9/"),
        (NPX, "NPM_CONFIG_REGISTRY", "http://127.0.0.1:9/"),
        (NPX, "npm_config_@acme:registry", "http://127.0.0.1:9/"),
        (NPX, "npm_config_userconfig", "./npmrc"),
        (NPX, "npm_config_globalconfig", "./npmrc"),
        (NPX, "npm_config_cache", "./cache"),
        (NPX, "NODE_OPTIONS", "--require ./evil.js"),
        (NPX, "NODE_EXTRA_CA_CERTS", "./ca.pem"),
        (UVX, "UV_INDEX_URL", "http://127.0.0.1:9/simple"),
        (UVX, "UV_DEFAULT_INDEX", "http://127.0.0.1:9/simple"),
        (UVX, "UV_EXTRA_INDEX_URL", "http://127.0.0.1:9/simple"),
        (UVX, "UV_INDEX", "http://127.0.0.1:9/simple"),
        (UVX, "UV_FIND_LINKS", "./wheels"),
        (UVX, "UV_CONFIG_FILE", "./uv.toml"),
        (UVX, "UV_CACHE_DIR", "./cache"),
        (UVX, "UV_TOOL_DIR", "./tools"),
        (UVX, "UV_PYTHON", "./venv/bin/python"),
        (UVX, "PYTHONPATH", "./lib"),
        (UVX, "SSL_CERT_FILE", "./ca.pem"),
        ("pipx run acme-ok==1.0.0", "PIP_INDEX_URL", "http://127.0.0.1:9/simple"),
        ("pipx run acme-ok==1.0.0", "PIP_EXTRA_INDEX_URL", "http://127.0.0.1:9/simple"),
        ("pipx run acme-ok==1.0.0", "PIP_FIND_LINKS", "./wheels"),
        (f"docker run -i --rm {IMAGE}", "DOCKER_HOST", "tcp://127.0.0.1:9"),
        (f"docker run -i --rm {IMAGE}", "DOCKER_CONFIG", "./docker"),
    ],
)
def test_the_entrys_env_choosing_another_source_is_refused(
    command: str, variable: str, value: str, project: Path
) -> None:
    refused = _launch(command, project, {variable: value})
    assert refused is not None
    assert variable in refused
    assert "not what was approved" in refused


def test_the_entrys_other_variables_and_registry_credentials_are_kept(project: Path) -> None:
    env = {
        "GITHUB_TOKEN": "x",
        "npm_config_//npm.acme.example/:_authToken": "t",
        "NODE_OPTIONS": "--max-old-space-size=4096",
    }
    assert _launch(NPX, project, env) is None
    assert _launch(UVX, project, {"UV_NO_PROGRESS": "1", "API_KEY": "k"}) is None
    # Another scope's registry was kept here until 2026-12-05, as choosing nothing for this
    # package; it chooses its dependencies of that scope (most servers depend on
    # @modelcontextprotocol/sdk), and the scan refused it: now both refuse it
    # (tests/adversarial/test_launch_judges_agree.py).
    refused = _launch(NPX, project, {"npm_config_@corp:registry": "https://npm.corp.example/"})
    assert refused is not None and "npm_config_@corp:registry" in refused


@pytest.mark.parametrize(
    ("command", "file", "text"),
    [
        (NPX, ".npmrc", "registry=http://127.0.0.1:9/\n"),
        (NPX, ".npmrc", "; a comment\n@acme:registry = http://127.0.0.1:9/\n"),
        (NPX, "node_modules/@acme/ok/package.json", '{"name": "@acme/ok", "version": "1.0.0"}'),
        (UVX, "uv.toml", 'index-url = "http://127.0.0.1:9/simple"\n'),
        (UVX, "uv.toml", '[[index]]\nurl = "http://127.0.0.1:9/simple"\ndefault = true\n'),
        (UVX, "pyproject.toml", '[tool.uv]\nextra-index-url = ["http://127.0.0.1:9/simple"]\n'),
        (UVX, "pyproject.toml", '[[tool.uv.index]]\nurl = "http://127.0.0.1:9/simple"\n'),
    ],
)
def test_the_repositorys_config_choosing_another_source_is_refused(
    command: str, file: str, text: str, project: Path
) -> None:
    # The repository's config sits in the folder the client starts the server in, or above it
    # (below the user's home).
    assert "not what was approved" in refused_below(command, project, file, text)


def test_uv_run_in_a_project_installs_the_project_beside_the_package(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "cloned"\nversion = "1"\n')
    refused = _launch("uv run --with acme-ok==1.0.0 acme-ok", project)
    assert refused is not None
    assert "uv run installs the project" in refused
    assert _launch("uv run --no-project --with acme-ok==1.0.0 acme-ok", project) is None


def test_the_users_own_configuration_is_the_users_choice(project: Path) -> None:
    home = project.parent.parent
    (home / ".npmrc").write_text("registry=https://npm.acme.example/\n")
    (home / ".config" / "uv").mkdir(parents=True)
    (home / ".config" / "uv" / "uv.toml").write_text('index-url = "https://pypi.acme.example/simple"\n')
    (home / "uv.toml").write_text('index-url = "https://pypi.acme.example/simple"\n')
    assert _launch(NPX, project) is None
    assert _launch(UVX, project) is None
    # A repository's config that names no source (save-exact, a dev dependency group) is kept.
    (project / ".npmrc").write_text("save-exact=true\n//npm.acme.example/:_authToken=${TOKEN}\n")
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.uv]\ndev-dependencies = []\n')
    assert _launch(NPX, project) is None
    assert _launch(UVX, project) is None
    # Another scope's registry was kept here until 2026-12-05: it chooses where the package's
    # dependencies of that scope come from, as the entry's npm_config_@corp:registry does
    # (tests/adversarial/test_gateway_project_npmrc_allow_list.py).
    (project / ".npmrc").write_text("@corp:registry=https://npm.corp.example/\n")
    assert _launch(NPX, project) is not None


def test_gateway_run_refuses_before_the_package_manager_starts(project: Path) -> None:
    # The whole path: wrap's --server-env names the entry's variable, the client starts the
    # gateway in the cloned repository. Nothing is started (npx would reach the network).
    database = f"sqlite:///{project.parent / 'registry.db'}"
    registry = Registry.open(database)
    identity = Identity(kind="package", ecosystem="npm", name="@acme/ok", version="1.0.0")
    request = EntryRequest(name="io.github.acme/ok", identity=identity, owner="team", scope=DataScope(),
                           vet=VetOutcome(verdict="pass"))  # fmt: skip
    registry.approve(registry.request(request, "alice").id, "bob", "reviewed", read_only_tools=[])
    registry.database.dispose()
    config = project.parent / "gateway.toml"
    config.write_text(f'[registry]\nenabled = true\nsource = "{database}"\n', encoding="utf-8")
    (project / ".npmrc").write_text("@acme:registry=http://127.0.0.1:9/\n", encoding="utf-8")
    command = [sys.executable, "-m", "mcpward", "gateway", "run", "--server", "ok", "--config", str(config),
               "--audit-log", str(project.parent / "audit.jsonl"), "--server-env", "npm_config_registry",
               "--", "npx", "-y", "@acme/ok@1.0.0"]  # fmt: skip
    hello = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}) + b"\n"
    # This code, from the folder the gateway starts in; npm offline, should anything start.
    code = str(Path(mcpward.__file__).resolve().parents[1])
    env = os.environ | {"npm_config_registry": "http://127.0.0.1:9/", "HOME": str(project.parent.parent),
                        "PYTHONPATH": code, "npm_config_offline": "true"}  # fmt: skip
    process = subprocess.run(command, input=hello, capture_output=True, timeout=120, cwd=project, env=env)
    message = orjson.loads(process.stdout.splitlines()[0])["error"]["message"]
    assert "the entry's env sets npm_config_registry" in message
    assert f"{project / '.npmrc'} sets @acme:registry" in message
    assert "not what was approved" in message and process.returncode == 3
