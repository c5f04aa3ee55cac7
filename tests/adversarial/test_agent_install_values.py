"""Values given to ``agent install`` that broke the files it writes, found only when the
scheduler ran them. A path outside the Basic Multilingual Plane (``/srv/🏠``) or one that is not
UTF-8 (a byte ``\\xff``, as the shell passes it) was written into the settings as a JSON
surrogate escape, which TOML does not accept: install said "wrote", and every run then refused
its own settings, so the machine's records went stale unseen. A ``--user`` ending in a
backslash (the pattern allows ``DOMAIN\\user`` for Windows) ended the unit's ``User=`` line
into the next one: systemd read the service's ``ExecStart=`` as part of the account's name,
a value taking over the line after it (here the unit was refused; another order of lines
would have dropped a hardening setting)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_kit import mcpward

from mcpward.agent import AgentConfig

INSTALL = ("agent", "install", "--registry", "https://r.example.internal", "--token-file")


@pytest.mark.parametrize(
    "option",
    [
        ("--homes-under", "/srv/\U0001f3e0 homes"),
        ("--homes-under", os.fsdecode(b"/srv/\xffhomes")),
        ("--token-file", "/etc/mcpward/\U0001f511"),
        ("--command", "/opt/\U0001f6e1/mcpward"),
    ],
)
def test_what_install_writes_the_run_reads_back_or_install_refuses(
    tmp_path: Path, option: tuple[str, str]
) -> None:
    token_file = option[1] if option[0] == "--token-file" else "/etc/mcpward/agent.token"
    extra = () if option[0] == "--token-file" else option
    root = tmp_path / "root"
    done = mcpward(*INSTALL, token_file, "--root", str(root), *extra)
    settings = root / "etc" / "mcpward" / "agent.toml"
    if done.returncode != 0:  # refused, and said so in one line: nothing written
        assert "internal error" not in done.stderr and not settings.exists(), done.stderr
        return
    loaded = AgentConfig.load(settings)
    assert option[1] in (loaded.token_file, *loaded.homes_under, *loaded.command), loaded


def test_a_path_that_is_not_utf8_is_refused_at_install(tmp_path: Path) -> None:
    done = mcpward(*INSTALL, "/etc/mcpward/agent.token", "--root", str(tmp_path / "root"),
                   "--homes-under", os.fsdecode(b"/srv/\xffhomes"))  # fmt: skip
    assert done.returncode != 0 and "UTF-8" in done.stderr, done.stderr


@pytest.mark.parametrize("user", ["mcpward\\", "DOMAIN\\agent\\"])
def test_a_user_cannot_end_the_units_line_into_the_next(tmp_path: Path, user: str) -> None:
    root = tmp_path / "root"
    done = mcpward(*INSTALL, "/etc/mcpward/agent.token", "--root", str(root), "--user", user)
    assert done.returncode != 0 and "user" in done.stderr, done.stderr
    assert not (root / "etc" / "systemd").exists()
    assert AgentConfig(registry="https://r.example.internal", token_file="t", user="DOMAIN\\agent").user


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_unit_with_a_windows_style_user_still_runs_the_command(tmp_path: Path) -> None:
    root = tmp_path / "root"
    program = tmp_path / "mcpward"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    done = mcpward(*INSTALL, "/etc/mcpward/agent.token", "--root", str(root), "--user", "root",
                   "--command", str(program))  # fmt: skip
    assert done.returncode == 0, done.stderr
    unit = root / "etc" / "systemd" / "system" / "mcpward-agent.service"
    verified = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ, SYSTEMD_LOG_LEVEL="debug"))  # fmt: skip
    assert re.search(rf"Command Line: {re.escape(str(program))} agent run", verified.stdout + verified.stderr)
