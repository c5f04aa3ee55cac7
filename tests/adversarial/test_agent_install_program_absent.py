"""Attack: ``agent install --command /usr/local/bin/mcpward`` run before mcpward is there (an MDM
script or a playbook that installs the agent's units first, a mistyped path), where the folder is
another account's to write: Homebrew's ``/usr/local/bin`` or ``/opt/homebrew/bin`` (the account
that installed Homebrew), a user's ``~/.local/bin``. The check of who may change the program
looked at the program only; absent, it found nothing to refuse, and install wrote the units.
That account then put its own ``mcpward`` there, which the scheduler ran as the agent, reading
every home and holding the fleet's token, until 2026-12-06.

Now, for a program not there yet, install checks the folder that will hold it: refused when
another account can add a name there (a sticky folder too: it keeps others from replacing
what is there, not from adding a name). Under a ``--root`` made for a package (nothing of the
machine's there yet), what install itself makes is checked as before."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcpward.agent import AgentConfig, AgentError, install


def _config(command: str) -> AgentConfig:
    return AgentConfig(registry="https://registry.example.com", token_file="/etc/mcpward/token",
                       command=(command,))  # fmt: skip


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o1777])
def test_a_program_not_there_yet_in_a_folder_others_can_add_to_is_refused(tmp_path: Path, mode: int) -> None:
    root = tmp_path / "machine"
    brew = root / "usr" / "local" / "bin"
    brew.mkdir(parents=True)
    brew.chmod(mode)
    with pytest.raises(AgentError, match="can be changed by another account"):
        install(_config("/usr/local/bin/mcpward"), "macos", root)
    assert not (root / "Library").exists()


def test_a_program_not_there_yet_below_a_users_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "machine"
    home = root / "home" / "dev"
    home.mkdir(parents=True)
    if os.geteuid() == 0:
        os.chown(home, 1234, 1234)  # dev's own home, mode 0755; .local/bin not made yet
    else:
        home.chmod(0o777)
    with pytest.raises(AgentError, match="can be changed by another account"):
        install(_config("/home/dev/.local/bin/mcpward"), "linux", root)


def test_a_program_not_there_yet_in_a_folder_only_root_can_change_is_installed(tmp_path: Path) -> None:
    root = tmp_path / "machine"
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin").chmod(0o755)
    written, _ = install(_config("/usr/bin/mcpward"), "linux", root)
    assert any(path.name == "mcpward-agent.service" for path in written)


def test_a_package_root_not_made_yet_is_installed(tmp_path: Path) -> None:
    # A package's build folder: install makes it; nothing of the machine is there to check.
    written, _ = install(_config("/usr/local/bin/mcpward"), "macos", tmp_path / "pkgroot")
    assert any(path.name == "io.mcpward.agent.plist" for path in written)


def test_a_link_to_a_program_not_there_yet_in_a_users_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "machine"
    venv = root / "home" / "dev" / "venv" / "bin"
    venv.mkdir(parents=True)
    venv.chmod(0o777)  # the user's to add to: the link's target is not there yet
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "mcpward").symlink_to(venv / "mcpward")
    with pytest.raises(AgentError, match="can be changed by another account"):
        install(_config("/usr/bin/mcpward"), "linux", root)
