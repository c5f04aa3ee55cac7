"""Task Scheduler expands environment variables (``%NAME%``) in an Exec action's command and
arguments when the task runs, and has no escape for ``%``: a ``--command`` or a path written
into the task with ``%`` in it ran another program, or read another settings file, than the one
``agent install`` wrote and printed (``C:\\Tools\\%TEMP%\\mcpward.exe`` ran what is under the
service account's temporary folder). Such a value is refused for the Windows task in one line,
nothing written; the other platforms (systemd escapes it as ``%%``, launchd expands nothing)
take it."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from cli_kit import mcpward

INSTALL = ("agent", "install", "--registry", "https://r.example.internal",
           "--token-file", "/etc/mcpward/agent.token")  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        "C:\\Tools\\%TEMP%\\mcpward.exe",
        "C:\\Tools\\mcpward.exe --profile %USERPROFILE%\\x",
        '"C:\\50 %\\mcpward.exe"',
    ],
)
def test_a_percent_in_what_the_windows_task_runs_is_refused(tmp_path: Path, command: str) -> None:
    root = tmp_path / "root"
    done = mcpward(*INSTALL, "--platform", "windows", "--root", str(root), "--command", command)
    assert done.returncode != 0 and "internal error" not in done.stderr, done.stderr
    assert "%" in done.stderr and "Task Scheduler" in done.stderr
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


@pytest.mark.parametrize(
    ("command", "program", "arguments"),
    [
        ('"C:\\Program Files\\mcpward\\mcpward.exe"', "C:\\Program Files\\mcpward\\mcpward.exe", "agent run"),
        ("C:\\Python311\\python.exe -m mcpward", "C:\\Python311\\python.exe", "-m mcpward agent run"),
    ],
)
def test_the_windows_task_runs_the_program_as_windows_reads_its_command_line(
    tmp_path: Path, command: str, program: str, arguments: str
) -> None:
    """``--command`` for Windows is read as Windows programs read a command line: backslashes are
    path separators, double quotes keep a path with spaces one word. A shell's rules ate the
    backslashes and split ``C:\\Program Files\\...`` in two: the task ran ``C:Program``."""
    root = tmp_path / "root"
    done = mcpward(*INSTALL, "--platform", "windows", "--root", str(root), "--command", command)
    assert done.returncode == 0, done.stderr
    task = ElementTree.fromstring(next(root.rglob("*.xml")).read_bytes())  # noqa: S314 - our own file
    found = {element.tag.rsplit("}", 1)[-1]: element.text for element in task.iter()}
    assert found["Command"] == program
    assert (found["Arguments"] or "").startswith(arguments)


def test_an_unquoted_path_with_spaces_is_refused_not_run_in_part(tmp_path: Path) -> None:
    """``C:\\Program Files\\mcpward\\mcpward.exe`` unquoted is two words, the first
    ``C:\\Program``: the classic unquoted path (a ``C:\\Program.exe`` would run). Refused with
    how to quote it."""
    root = tmp_path / "root"
    done = mcpward(*INSTALL, "--platform", "windows", "--root", str(root),
                   "--command", "C:\\Program Files\\mcpward\\mcpward.exe")  # fmt: skip
    assert done.returncode != 0 and "internal error" not in done.stderr
    assert "double" in done.stderr and "quotes" in done.stderr
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


@pytest.mark.parametrize(
    "words",
    [["C:\\Program Files\\a.exe", "--x"], ['say "hi"', "a\\", "b\\\\"], ["tab\tin", ""], ['\\\\"']],
)
def test_what_the_task_writes_reads_back_as_the_same_words(words: list[str]) -> None:
    from mcpward.agent import scheduler
    from mcpward.agent.windows import _quoted

    assert scheduler("windows").split_command(" ".join(_quoted(word) for word in words)) == words


@pytest.mark.parametrize("platform", ["linux", "macos"])
def test_other_platforms_take_a_percent(tmp_path: Path, platform: str) -> None:
    root = tmp_path / "root"
    done = mcpward(*INSTALL, "--platform", platform, "--root", str(root), "--command", "/opt/50%/mcpward")
    assert done.returncode == 0, done.stderr


def test_a_windows_task_without_a_command_asks_for_the_program(tmp_path: Path) -> None:
    root = tmp_path / "root"
    done = mcpward(*INSTALL, "--platform", "windows", "--root", str(root))
    assert done.returncode == 2 and "mcpward.exe" in done.stderr and "internal error" not in done.stderr
    assert not root.exists()
