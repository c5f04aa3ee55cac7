"""Attack: ``agent install --command`` named a program another account can change, and the
scheduler ran it as the agent's account, which reads every home (CAP_DAC_READ_SEARCH, Full Disk
Access) and holds the fleet's token. mcpward installed with pipx or in a venv of a user's home
(``--command /home/dev/.local/bin/mcpward``), or in Homebrew's ``/usr/local/bin`` (owned by the
account that installed Homebrew), or a script whose ``#!`` names such a venv's Python: that
account replaced the program, or the interpreter and its packages, and its code ran with the
agent's rights on the next run. Install wrote the units all the same, until 2026-12-05.

Now install refuses a program, or the interpreter its ``#!`` line names, that an account other
than root (the installer) can change: the file, a folder holding it, or a link on the way."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpward.agent import AgentConfig, AgentError, install


def _config(command: str) -> AgentConfig:
    return AgentConfig(registry="https://registry.example.com", token_file="/etc/mcpward/token",
                       command=(command,))  # fmt: skip


def test_a_program_in_a_folder_another_account_can_write_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "machine"
    tools = root / "opt" / "tools"
    tools.mkdir(parents=True)
    (tools / "mcpward").write_text("#!/usr/bin/python3\n")
    tools.chmod(0o777)  # anyone may replace the program the agent runs
    with pytest.raises(AgentError, match="can be changed by another account"):
        install(_config("/opt/tools/mcpward"), "linux", root)
    assert not (root / "etc" / "systemd" / "system" / "mcpward-agent.service").exists()  # was written


def test_a_script_whose_interpreter_another_account_can_change_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "machine"
    program = root / "usr" / "local" / "bin" / "mcpward"
    program.parent.mkdir(parents=True)
    program.write_text("#!/home/dev/venv/bin/python\nimport mcpward\n")
    venv = root / "home" / "dev" / "venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text("")
    venv.chmod(0o777)  # the venv of a user's home: theirs to change
    with pytest.raises(AgentError, match="can be changed by another account"):
        install(_config("/usr/local/bin/mcpward"), "macos", root)


def test_a_program_only_root_or_the_installer_can_change_is_installed(tmp_path: Path) -> None:
    root = tmp_path / "machine"
    program = root / "usr" / "bin" / "mcpward"
    program.parent.mkdir(parents=True)
    program.write_text("#!/usr/bin/python3\n")
    program.parent.chmod(0o755)
    written, _enable = install(_config("/usr/bin/mcpward"), "linux", root)
    assert any(path.name == "mcpward-agent.service" for path in written)
