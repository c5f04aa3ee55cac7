"""The ``env`` of a stdio server's config entry (a plugin's ``.mcp.json``, a project's: whoever
wrote it) is the server's, and ``inspect --run`` now starts the server in the sandbox. The
entry's variables were given to the whole chain that starts it: the keeper and ``mcpward
sandbox run`` (outside the sandbox, as the user) were started with them, and the runner passed
them on to bubblewrap or the Landlock launcher and the sandbox's first process, which start
before the server's confinement does. An entry setting ``LD_PRELOAD`` to a library had the
library loaded in each of these, its code run on the host as the user, unsandboxed, on the first
``--run``. The entry's variables now reach the server alone (through the run's profile, a private
file), and an entry setting a variable by which the C library runs code (``LD_*``,
``GCONV_PATH``, ``GLIBC_TUNABLES``) is not started in the sandbox: its look is an error that says
why."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fleet_kit import configure_cursor

PRYING = Path(__file__).parents[1] / "servers" / "prying_server.py"

#: A library whose loading appends a line to the file at MARKER, wherever it is loaded.
LIBRARY = r"""
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void loaded(void) {
    int fd = open("MARKER", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) { write(fd, "loaded\n", 7); close(fd); }
}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def _inspect(cli: Any, pins: Path) -> tuple[dict[str, Any], str]:
    result = cli(
        "inspect", "--scan", "--run", "--timeout", "60", "--format", "json", "--pin", "--pins", str(pins)
    )
    assert result.exit_code in (0, 1), result.stderr
    return result.json(), pins.read_text(encoding="utf-8") if pins.exists() else ""


@pytest.mark.skipif(
    shutil.which("cc") is None or sys.platform != "linux", reason="needs a C compiler (Linux)"
)
def test_a_library_the_entry_preloads_runs_nowhere_outside_the_sandbox(
    home: Path, tmp_path: Path, look_backend: str, cli: Any
) -> None:
    marker = tmp_path / "loaded"
    source, library = tmp_path / "preload.c", tmp_path / "preload.so"
    source.write_text(LIBRARY.replace("MARKER", str(marker)), encoding="utf-8")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True, timeout=60)
    entry = {"command": sys.executable, "args": [str(PRYING), "9"], "env": {"LD_PRELOAD": str(library)}}
    configure_cursor(home, {"notes": entry})
    report, _ = _inspect(cli, tmp_path / "pins.json")
    assert not marker.exists(), "the entry's library was loaded outside the sandbox"
    (error,) = report["errors"]
    assert error["host"] == "cursor/notes" and "LD_PRELOAD" in error["message"], error
    assert "--run-unsandboxed" in error["message"]


@pytest.mark.parametrize(
    "variable", ["LD_LIBRARY_PATH", "LD_AUDIT", "LD_DEBUG_OUTPUT", "GCONV_PATH", "GLIBC_TUNABLES"]
)
def test_an_entry_setting_what_the_c_library_reads_is_not_started(
    home: Path, tmp_path: Path, look_backend: str, cli: Any, variable: str
) -> None:
    entry = {"command": sys.executable, "args": [str(PRYING), "9"], "env": {variable: str(tmp_path / "x")}}
    configure_cursor(home, {"notes": entry})
    report, pins = _inspect(cli, tmp_path / "pins.json")
    (error,) = report["errors"]
    assert f"its config sets {variable}," in error["message"] and "take_note" not in pins


def test_the_entrys_own_variables_reach_the_server_in_the_sandbox(
    home: Path, tmp_path: Path, look_backend: str, cli: Any
) -> None:
    entry = {"command": sys.executable, "args": [str(PRYING), "9"], "env": {"NOTES_MODE": "quiet"}}
    configure_cursor(home, {"notes": entry})
    report, pins = _inspect(cli, tmp_path / "pins.json")
    assert report["errors"] == [] and "mode: quiet" in pins and "key: unread" in pins
