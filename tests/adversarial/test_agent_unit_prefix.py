"""Attack: ``agent install --command '-/home/dev/.local/bin/mcpward'`` (a unit file's "ignore
its failure" habit), or ``+…``. systemd reads a leading ``-``, ``+``, ``@``, ``!``, ``:`` or ``|``
of ``ExecStart=``'s first word as its own flags even inside the quotes install writes: ``+``
runs the program as root outside the unit's sandbox, ``@`` runs the next word (``agent``) as the
program. Install checked who may change the program only for a name beginning with ``/``, so
a program in a user's home (theirs to replace) was installed unchecked and run with the agent's
rights, or root's, until 2026-12-06. A path holding ``..`` (``/usr/bin/../bin/mcpward``), in
``--command`` or in the program's ``#!`` line, ended install with an internal error.

Now install refuses, for systemd, a program beginning with one of those flags, and refuses a
program or interpreter path with ``.`` or ``..`` in one line; a path holding the characters
elsewhere is written and read back by systemd as given."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_kit import mcpward

from mcpward.agent import AgentConfig, AgentError, install

INSTALL = ("agent", "install", "--registry", "https://r.example.internal",
           "--token-file", "/etc/mcpward/agent.token")  # fmt: skip


def _config(*command: str) -> AgentConfig:
    return AgentConfig(registry="https://registry.example.com", token_file="/etc/mcpward/token",
                       command=command)  # fmt: skip


@pytest.mark.parametrize("flag", ["-", "+", "@", "!", "!!", ":", "|"])
def test_a_program_systemd_reads_with_its_own_flag_is_refused(tmp_path: Path, flag: str) -> None:
    root = tmp_path / "machine"
    venv = root / "home" / "dev" / ".local" / "bin"
    venv.mkdir(parents=True)
    (venv / "mcpward").write_text("#!/usr/bin/python3\n")
    venv.chmod(0o777)  # the user's to replace: refused when named plainly
    with pytest.raises(AgentError, match="systemd"):
        install(_config(f"{flag}/home/dev/.local/bin/mcpward"), "linux", root)
    assert not (root / "etc" / "systemd" / "system" / "mcpward-agent.service").exists()


def test_the_flag_is_refused_on_the_command_line_in_one_line(tmp_path: Path) -> None:
    done = mcpward(*INSTALL, "--root", str(tmp_path / "root"), "--command", "+/usr/bin/mcpward")
    assert done.returncode != 0 and "internal error" not in done.stderr, done.stderr
    assert "systemd" in done.stderr and not (tmp_path / "root" / "etc" / "systemd").exists()


@pytest.mark.parametrize("command", ["/usr/bin/../bin/mcpward", "/opt/./mcpward"])
def test_a_program_path_with_dots_is_refused_in_one_line(tmp_path: Path, command: str) -> None:
    done = mcpward(*INSTALL, "--root", str(tmp_path / "root"), "--command", command)
    assert done.returncode != 0 and "internal error" not in done.stderr, done.stderr
    assert command in done.stderr and not (tmp_path / "root" / "etc").exists()


def test_an_interpreter_path_with_dots_is_refused_in_one_line(tmp_path: Path) -> None:
    root = tmp_path / "root"
    program = root / "usr" / "bin" / "mcpward"
    program.parent.mkdir(parents=True)
    program.write_text("#!/usr/bin/../../home/dev/venv/bin/python\n")
    done = mcpward(*INSTALL, "--root", str(root))
    assert done.returncode != 0 and "internal error" not in done.stderr, done.stderr
    assert "/home/dev/venv/bin/python" in done.stderr and not (root / "etc").exists()


def test_the_flags_on_other_platforms_are_part_of_the_name(tmp_path: Path) -> None:
    # launchd and the Task Scheduler read the program's name as it is: no flags there.
    written, _ = install(_config("-mcpward"), "macos", tmp_path / "machine")
    assert any(path.name == "io.mcpward.agent.plist" for path in written)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_characters_inside_a_path_are_read_back_as_given(tmp_path: Path) -> None:
    program = tmp_path / "opt" / "mcp-ward+1" / "@bin" / "mcpward"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    root = tmp_path / "root"
    done = mcpward(*INSTALL, "--root", str(root), "--user", "root", "--command", f"{program} -v")
    assert done.returncode == 0, done.stderr
    unit = root / "etc" / "systemd" / "system" / "mcpward-agent.service"
    verified = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ, SYSTEMD_LOG_LEVEL="debug"))  # fmt: skip
    shown = re.search(r"Command Line: (.*)", verified.stdout + verified.stderr)
    assert shown and shown.group(1).startswith(f"{program} -v agent run"), verified.stderr[-2000:]
