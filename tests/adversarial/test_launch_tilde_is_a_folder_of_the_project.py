"""Attack: a runner, or a ``PATH`` folder, written with ``~`` or ``$HOME``, which the launch judge
took for the user's own bin folder (``~/.local/bin/npx``, ``PATH=~/.local/bin:/usr/bin``).

Nothing expands them where the launch is started: the gateway hands the command and the entry's
env to ``exec`` as they are, and ``exec`` reads ``~/.local/bin/npx`` as a path relative to the
folder the server starts in, and a ``PATH`` folder ``~/.local/bin`` or ``$HOME/.bun/bin``
likewise (seen below: Python's and Node's spawning both run a cloned repository's
``<repo>/~/.local/bin/npx``). A repository that holds a folder named ``~`` (or ``$HOME``) and an
entry naming such a runner had its own program started as the approved package, by the gateway
and in the scan's report, until 2026-12-05. Now ``~`` and ``$HOME`` are no home folder for the
judge (:mod:`mcpward.launch_judge`); the home's own path (``/home/a/.local/bin``) still is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_launch_program_of_its_own import _gateway_refuses, _scan_approves


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX exec's reading of a path")
def test_exec_reads_a_tilde_as_a_folder_of_the_one_it_starts_in(tmp_path: Path) -> None:
    program = tmp_path / "~" / ".local" / "bin" / "ok-runner"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\necho the repository program\n")
    program.chmod(0o755)
    by_path = subprocess.run(
        ["ok-runner"], env={"PATH": "~/.local/bin:/usr/bin"}, cwd=tmp_path, capture_output=True, text=True,
        timeout=30, check=True,
    )  # fmt: skip
    by_name = subprocess.run(["~/.local/bin/ok-runner"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=30, check=True)  # fmt: skip
    assert by_path.stdout == by_name.stdout == "the repository program\n"


@pytest.mark.parametrize(
    "command",
    [
        ("~/.local/bin/npx", "-y", "ok-mcp@1.0.0"),
        ("$HOME/.local/bin/uvx", "ok-mcp==1.0.0"),
        ("~/.bun/bin/bunx", "ok-mcp@1.0.0"),
    ],
    ids=" ".join,
)
def test_a_runner_under_a_tilde_is_refused(command: tuple[str, ...], tmp_path: Path) -> None:
    assert _gateway_refuses(command, {}, tmp_path)
    assert not _scan_approves(command)


@pytest.mark.parametrize("path", ["~/.local/bin:/usr/bin", "$HOME/.bun/bin:/usr/bin:/bin"])
def test_a_path_with_a_tilde_folder_is_refused(path: str, tmp_path: Path) -> None:
    assert _gateway_refuses(("npx", "-y", "ok-mcp@1.0.0"), {"PATH": path}, tmp_path)


def test_the_homes_own_path_still_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "HOME", "/home/a"
    )  # the user's (another account's: test_launch_other_accounts_home.py)
    assert not _gateway_refuses(("/home/a/.local/bin/uvx", "ok-mcp==1.0.0"), {}, tmp_path)
    assert not _gateway_refuses(
        ("npx", "-y", "ok-mcp@1.0.0"), {"PATH": "/home/a/.local/bin:/usr/bin"}, tmp_path
    )
