"""Attack: on a machine shared with other accounts, an entry (a repository's ``.mcp.json``, a
plugin) points the approved launch at another account's home: its runner
(``/home/mallory/.local/bin/npx``), ``HOME=/home/mallory`` (npm then reads mallory's ``.npmrc``,
its registry and its ``node-options``), a ``PATH`` of that home's bin folder first, or, on a
Linux machine, a Windows user folder (``HOME=C:\\Users\\alice``: no such folder there, but a
folder of the one the server starts in, a cloned repository's own ``C:\\Users\\alice/.npmrc``).

The judge the scan shares takes any home folder as a user's (it reads configs of machines whose
users it does not know), and the gateway started each of these as the approved entry until
2026-12-06; now the gateway, which knows the user's home, refuses a folder of any other.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_gateway_package_sources import NPX, UVX, _launch


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's home: ``/home/alice`` as the gateway reads it (``Path.home()``, from HOME)."""
    monkeypatch.setenv("HOME", "/home/alice")
    project = tmp_path / "project"
    project.mkdir()
    return project


@pytest.mark.parametrize(
    ("command", "env"),
    [
        ("/home/mallory/.local/bin/npx -y @acme/ok@1.0.0", {}),
        ("/home/mallory/.local/bin/uvx acme-ok==1.0.0", {}),
        (NPX, {"HOME": "/home/mallory"}),
        (NPX, {"HOME": "/home/mallory/"}),
        (NPX, {"HOME": "/Users/mallory"}),
        (NPX, {"HOME": "/root"}),
        ("env HOME=/home/mallory npx -y @acme/ok@1.0.0", {}),
        (NPX, {"PATH": "/home/mallory/.local/bin:/usr/bin:/bin"}),
        (UVX, {"PATH": "/usr/bin:/home/mallory/.cargo/bin"}),
        # Windows folders on this (POSIX) machine: relative names of the folder it starts in
        (NPX, {"HOME": "C:\\Users\\alice"}),
        (NPX, {"APPDATA": "C:\\Users\\alice\\AppData\\Roaming"}),
    ],
)
def test_another_accounts_home_is_refused(command: str, env: dict[str, str], user_home: Path) -> None:
    refused = _launch(command, user_home, env)
    assert refused is not None
    assert "another account's home" in refused or "unapproved" in refused


@pytest.mark.parametrize(
    ("command", "env"),
    [
        ("/home/alice/.local/bin/npx -y @acme/ok@1.0.0", {}),
        ("/usr/local/bin/npx -y @acme/ok@1.0.0", {}),
        (NPX, {"HOME": "/home/alice"}),
        (NPX, {"HOME": "/home/alice/"}),
        ("env HOME=/home/alice npx -y @acme/ok@1.0.0", {}),
        (NPX, {"PATH": "/home/alice/.local/bin:/usr/local/bin:/usr/bin:/bin"}),
        (UVX, {"PATH": "/home/alice/.cargo/bin:/usr/bin"}),
        (NPX, {"GITHUB_TOKEN": "x"}),
        # a container's own home is the container's folder, not the machine's
        (f"docker run -i --rm -e HOME=/home/node ghcr.io/acme/ok@sha256:{'a' * 64}", {}),
    ],
)
def test_the_users_own_home_is_kept(command: str, env: dict[str, str], user_home: Path) -> None:
    assert _launch(command, user_home, env) is None


def test_a_windows_users_own_folders_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows the same comparison, without case and with either separator (the home as
    ``Path.home()`` gives it there)."""
    monkeypatch.setenv("HOME", "C:\\Users\\Alice")
    env = {"APPDATA": "c:\\users\\alice\\appdata\\roaming", "USERPROFILE": "C:\\Users\\alice\\"}
    assert _launch(NPX, tmp_path, env) is None
    refused = _launch(NPX, tmp_path, {"APPDATA": "C:\\Users\\mallory\\AppData\\Roaming"})
    assert refused is not None
    assert "another account's home" in refused
    assert os.sep == "/"  # the POSIX reading of the Windows names above is the other test's
