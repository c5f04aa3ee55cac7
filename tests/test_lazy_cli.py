"""The command line builds only the command it runs, and is the same command line as before.

``mcpward.cli.main`` resolves subcommands on demand (``mcpward._lazy_typer``); Typer's own
``get_command`` builds the whole application, as the tests' ``cli`` fixture and every earlier
release did. Every command's help, the usage errors and the exit codes must be identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from mcpward import _lazy_typer
from mcpward.cli import app


def command_paths(command: click.Command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            paths += command_paths(sub, (*prefix, name))
    return paths


def outcome(command: click.Command, args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(command, args, prog_name="mcpward", env={"COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


def test_every_help_and_usage_error_is_that_of_the_eager_application() -> None:
    eager = _lazy_typer.eager_command(app)
    paths = command_paths(eager)
    assert len(paths) > 40
    cases = [[*path, "--help"] for path in paths]
    cases += [
        [],
        ["nosuch"],
        ["registry"],
        ["registry", "nosuch"],
        ["registry", "token"],
        ["scan", "--nosuch"],
        ["scan", "--format"],
        ["scan", "--home", "/nonexistent-dir", "--fail-on", "severe"],
        ["vet"],
        ["--version"],
    ]
    for args in cases:
        lazy = _lazy_typer.lazy_command(app)
        assert outcome(lazy, args) == outcome(eager, args), args


def test_running_a_command_builds_only_that_command(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    built: list[str] = []
    original = _lazy_typer.get_command_from_info

    def counting(command_info, **kwargs):  # type: ignore[no-untyped-def]
        built.append(command_info.callback.__name__)
        return original(command_info, **kwargs)

    monkeypatch.setattr(_lazy_typer, "get_command_from_info", counting)
    exit_code, _, _ = outcome(_lazy_typer.lazy_command(app), ["registry", "token", "list", "--help"])
    assert exit_code == 0
    assert built == ["token_list"]


EAGER = (
    "from mcpward._lazy_typer import eager_command; from mcpward.cli import app; "
    "eager_command(app)(prog_name='mcpward')"
)


def test_the_entry_point_prints_what_the_eager_application_prints(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "100", "MCPWARD_DATA_DIR": str(tmp_path)}
    for args in (["--help"], ["registry", "--help"], ["scan", "--help"], ["nosuch"], ["gateway"]):
        done, expected = (
            subprocess.run(
                [sys.executable, *command, *args], capture_output=True, text=True, timeout=60, env=env
            )
            for command in (["-m", "mcpward"], ["-c", EAGER])
        )
        assert (done.returncode, done.stdout, done.stderr) == (
            expected.returncode,
            expected.stdout,
            expected.stderr,
        ), args


def test_help_shows_plain_brackets_and_a_typo_gets_one_suggestion() -> None:
    # Typer escaped "[required]" for rich markup with markup off, and repeated click's
    # "Did you mean" (both found by a new user).
    command = _lazy_typer.lazy_command(app)
    _, help_text, _ = outcome(command, ["gateway", "run", "--help"])
    assert "[required]" in help_text and "\\[" not in help_text
    _, _, error = outcome(command, ["scna"])
    assert error.count("Did you mean") == 1 and "'scan'" in error
