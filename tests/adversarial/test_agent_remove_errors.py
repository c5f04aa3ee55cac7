"""``agent remove`` where one of its files cannot be deleted (a folder made at the unit's name,
a read-only or immutable file): the error ended the command as an internal error, with the
files before it deleted and those after it left. Now it says which file and why in one line;
a folder at one of its names is found before anything is deleted."""

from __future__ import annotations

from pathlib import Path

from cli_kit import mcpward


def test_a_file_that_cannot_be_removed_is_named_in_one_line(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert mcpward("agent", "install", "--registry", "https://r.example.internal",
                   "--token-file", "/etc/mcpward/agent.token", "--root", str(root)).returncode == 0  # fmt: skip
    unit = root / "etc" / "systemd" / "system" / "mcpward-agent.service"
    unit.unlink()
    unit.mkdir()  # something else at the unit's name
    done = mcpward("agent", "remove", "--root", str(root))
    assert done.returncode != 0 and "internal error" not in done.stderr, done.stderr
    assert "mcpward-agent.service" in done.stderr, done.stderr
    assert (root / "etc" / "mcpward" / "agent.toml").exists()  # nothing deleted half-way


def test_the_installed_files_are_removed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    mcpward("agent", "install", "--registry", "https://r.example.internal",
            "--token-file", "/etc/mcpward/agent.token", "--root", str(root))  # fmt: skip
    done = mcpward("agent", "remove", "--root", str(root))
    assert done.returncode == 0 and done.stdout.count("removed ") == 3, done.stdout + done.stderr
