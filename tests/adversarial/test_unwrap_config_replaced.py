"""``unwrap`` of a config whose file was replaced since ``wrap`` wrote it: a project's config
comes with the repository (git checks out a symbolic link as one: ``.cursor/mcp.json ->
~/.gemini/settings.json``, or ``-> /dev/zero``), and another account can plant a FIFO in a folder
it writes.

Before 2026-12-05 unwrap read the file through the link, whole and unbounded: a link to another
config wrap had wrapped was read as this one, its entries put back, and that config (its
settings, the literal secrets it keeps) written here as a regular file, in the repository's
tree; a FIFO blocked unwrap for ever (holding the restore list, so that every later wrap and
unwrap waited too), and a link to ``/dev/zero`` read until memory ran out. wrap never writes a
link (it skips a config that is one), so a link there now was made since: one to a file not
as wrap wrote it is left as it is, said why, its backup kept for ``--force`` (which replaces the
link, never writes through it); and the file is read as the scan reads it (a regular file,
bounded, a FIFO opened without blocking)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cli_kit import mcpward_with_data


def _two_wrapped_configs(home: Path, data: Path) -> tuple[Path, Path]:
    cursor, gemini = home / ".cursor" / "mcp.json", home / ".gemini" / "settings.json"
    for path in (cursor, gemini):
        path.parent.mkdir(parents=True)
    cursor.write_text(json.dumps({"mcpServers": {"github": {"command": "node", "args": ["g.js"]}}}))
    gemini.write_text(
        json.dumps(
            {
                "theme": "gemini-private-setting",
                "mcpServers": {"time": {"command": "uvx", "args": ["t"], "env": {"NOTE": "gemini-own"}}},
            }
        )
    )
    done = mcpward_with_data(data, "wrap", "--home", str(home))
    assert done.returncode == 0 and "wrapped github" in done.stdout and "wrapped time" in done.stdout
    return cursor, gemini


def test_a_config_made_a_link_since_is_not_read_through_it(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    cursor, gemini = _two_wrapped_configs(home, data)
    before = cursor.read_bytes()
    cursor.unlink()
    cursor.symlink_to(gemini)  # as a pull of the repository can make it
    done = mcpward_with_data(data, "unwrap")
    assert done.returncode == 1 and f"{cursor}: a symbolic link now" in done.stderr, done.stderr
    assert cursor.is_symlink() and "gemini-private-setting" not in done.stdout + done.stderr
    assert json.loads(gemini.read_text())["mcpServers"]["time"] == {
        "command": "uvx",
        "args": ["t"],
        "env": {"NOTE": "gemini-own"},
    }
    # Its backup is kept: --force restores the original in place of the link, not through it.
    forced = mcpward_with_data(data, "unwrap", "--force")
    assert forced.returncode == 0 and not cursor.is_symlink() and cursor.read_bytes() != before
    assert json.loads(cursor.read_text()) == {"mcpServers": {"github": {"command": "node", "args": ["g.js"]}}}


def test_a_fifo_or_a_link_to_one_does_not_hang_unwrap(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    cursor, gemini = _two_wrapped_configs(home, data)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cursor.unlink()
    os.mkfifo(cursor)
    gemini.unlink()
    gemini.symlink_to(fifo)
    done = mcpward_with_data(data, "unwrap")  # a hang fails within the helper's timeout
    assert done.returncode == 1, done.stderr
    assert f"{cursor}: not a regular file" in done.stderr and f"{gemini}: not a regular file" in done.stderr
    assert mcpward_with_data(data, "wrap", "--home", str(home)).returncode == 0  # the restore list is free
