"""The systemd unit ``agent install`` writes runs the program it was given: the command line was
quoted for a shell (``shlex``), which systemd does not read as a shell does, so a ``%h`` in the
path became the account's home (another program ran) and a backslash began an escape."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_kit import mcpward


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_units_command_line_is_read_back_by_systemd_as_given(tmp_path: Path) -> None:
    program = tmp_path / "bin%h" / "mcpward"
    arguments = ["x\\ny", 'q"z', "p'r", "$HOME", "100%"]
    command = shlex.join([str(program), *arguments])
    done = mcpward("agent", "install", "--registry", "https://r.example.internal",
                   "--token-file", "/etc/mcpward/agent.token", "--root", str(tmp_path / "root"), "--user", "root",
                   "--command", command)  # fmt: skip
    assert done.returncode == 0, done.stderr
    unit = tmp_path / "root" / "etc" / "systemd" / "system" / "mcpward-agent.service"
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True, text=True, timeout=60, env=dict(os.environ, SYSTEMD_LOG_LEVEL="debug"),
    )  # fmt: skip
    line = re.search(r"Command Line: (.*)", verified.stdout + verified.stderr)
    assert line, verified.stderr[-2000:]
    # systemd's own dump: C escapes in double quotes where needed; variables as \$ (resolved when
    # it runs: $$ is a literal $).
    shown = line.group(1)
    assert shown.startswith(f"{program} "), shown  # not .../bin/root/mcpward
    assert '"x\\\\ny"' in shown, shown  # a backslash, not a newline
    assert '"q\\"z"' in shown and '"p\'r"' in shown and " 100% " in shown, shown
    assert '"\\$\\$HOME"' in shown, shown  # $$: systemd passes a literal $HOME
    assert f"Command {program} is not executable" in verified.stderr  # the program given, looked for
