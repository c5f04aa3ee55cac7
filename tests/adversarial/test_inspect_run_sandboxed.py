"""``inspect --scan --run`` starts each configured stdio server to ask it what it tells the
model: the very code being judged. It ran as the user, unsandboxed, so a server
(``tests/servers/prying_server.py``, on the official SDK) read the user's
``~/.ssh/id_ed25519`` and put it in its tool's description (kept in the pin store with
``--pin``), connected to a port on loopback (any address the user reaches), and appended a line
to the user's ``~/.bashrc``, all while it was looked at. A server ``--run`` starts now runs in
the sandbox (``mcpward sandbox run``, the first backend that works here, as the gateway starts
one): no network, an empty home of its own, none of the user's files. Where no backend works,
``--run`` is refused in one line, and ``--run-unsandboxed`` starts servers as the user, as
before. A benign server is inspected as it was unconfined (the same findings, the same pins),
and what a server leaves running still ends with the look."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleet_kit import configure_cursor
from landlock_kit import fresh_marker, holders_after, server_script
from stdio_answers import ANSWERING

import mcpward.sandbox
from loopback import Accepting
from mcpward.inspect import ServerTarget, fetch_all

SERVERS = Path(__file__).parents[1] / "servers"
PRYING = SERVERS / "prying_server.py"
WEATHER = SERVERS / "mcp_test_server.py"
KEY = "MCPWARD-TEST-KEY-4f1c9e2a"
BASHRC = "# the user's own\n"


class Listener(Accepting):
    """A loopback port that counts the connections it accepts."""

    def __init__(self) -> None:
        self.reached = 0
        super().__init__()

    def handle(self, connection: socket.socket) -> None:
        self.reached += 1


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's home (the one the scan reads): an SSH key and a ``.bashrc``."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text(KEY + "\n", encoding="utf-8")
    (home / ".ssh" / "id_ed25519").chmod(0o600)
    (home / ".bashrc").write_text(BASHRC, encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def listener() -> Iterator[Listener]:
    served = Listener()
    try:
        yield served
    finally:
        served.close()


def _inspect(cli: Any, pins: Path, *flags: str) -> tuple[dict[str, Any], str]:
    """``inspect --scan`` with ``flags``, pinning into ``pins``: its JSON report, and the pin store's text."""
    result = cli(
        "inspect", "--scan", *flags, "--timeout", "60", "--format", "json", "--pin", "--pins", str(pins)
    )
    assert result.exit_code in (0, 1), result.stderr
    return result.json(), pins.read_text(encoding="utf-8") if pins.exists() else ""


def test_a_server_run_reads_no_key_reaches_no_port_and_writes_no_home(
    home: Path, tmp_path: Path, look_backend: str, listener: Listener, cli: Any
) -> None:
    configure_cursor(home, {"notes": {"command": sys.executable, "args": [str(PRYING), str(listener.port)]}})
    report, pins = _inspect(cli, tmp_path / "pins.json", "--run")
    assert report["errors"] == [] and "notes (1 items)" in report["subject"]
    assert KEY not in pins and "key: unread (FileNotFoundError)" in pins
    assert listener.reached == 0 and "network: unreached" in pins
    assert (home / ".bashrc").read_text(encoding="utf-8") == BASHRC and "bashrc: written" in pins


def test_run_unsandboxed_starts_the_server_as_the_user(
    home: Path, tmp_path: Path, listener: Listener, cli: Any
) -> None:
    # What --run did before 2026-12-05, now only when asked for by name.
    configure_cursor(home, {"notes": {"command": sys.executable, "args": [str(PRYING), str(listener.port)]}})
    report, pins = _inspect(cli, tmp_path / "pins.json", "--run-unsandboxed")
    assert report["errors"] == []
    assert f"key: {KEY}" in pins and "network: reached" in pins and "bashrc: written" in pins
    assert listener.reached == 1 and (home / ".bashrc").read_text(encoding="utf-8") != BASHRC


def test_a_benign_server_is_inspected_as_it_was_unconfined(
    home: Path, tmp_path: Path, look_backend: str, cli: Any
) -> None:
    configure_cursor(
        home, {"weather": {"command": sys.executable, "args": [str(WEATHER), "stdio", "--poisoned"]}}
    )
    confined, confined_pins = _inspect(cli, tmp_path / "confined.json", "--run")
    unconfined, unconfined_pins = _inspect(cli, tmp_path / "unconfined.json", "--run-unsandboxed")
    assert confined["errors"] == [] and "weather (5 items)" in confined["subject"]
    assert confined["findings"] == unconfined["findings"] and confined["findings"]
    assert confined["subject"] == unconfined["subject"]
    assert json.loads(confined_pins)["servers"] == json.loads(unconfined_pins)["servers"]


def test_a_server_that_fails_in_the_sandbox_is_said_to_have_run_there(
    home: Path, tmp_path: Path, look_backend: str, cli: Any
) -> None:
    # An npx server that cannot download its package inside, say: its error was only the SDK's.
    configure_cursor(home, {"fetcher": {"command": sys.executable, "args": ["-c", "raise SystemExit(1)"]}})
    result = cli("inspect", "--scan", "--run", "--timeout", "60", "--format", "json")
    (error,) = result.json()["errors"]
    assert error["message"].endswith(
        "it ran in the sandbox (no network, none of your files; --run-unsandboxed starts it as you)"
    )


def test_run_is_refused_in_one_line_where_no_sandbox_works(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    started = tmp_path / "started"
    code = f"open({str(started)!r}, 'w').write('started')"
    configure_cursor(home, {"helper": {"command": sys.executable, "args": ["-c", code]}})
    monkeypatch.setattr(mcpward.sandbox, "backends", lambda: [])
    refused = cli("inspect", "--scan", "--run")
    assert refused.exit_code == 2 and not started.exists()
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert "no sandbox backend works" in refused.stderr and "--run-unsandboxed" in refused.stderr
    cli("inspect", "--scan", "--run-unsandboxed", "--timeout", "20")
    assert started.exists()


_LEAVES = (
    """
import json, os, signal, sys, time
marker, how = sys.argv[1], sys.argv[2]
if how == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(30)", marker])
"""
    + ANSWERING
    + """
if how == "stubborn":
    time.sleep(30)
"""
)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the sandbox's runner makes the folder of each run (its TMPDIR): one the sandbox's
    uid may pass, as /tmp."""
    folder = Path(tempfile.mkdtemp(prefix="mcpward-test-runs-"))
    folder.chmod(0o755)
    monkeypatch.setenv("TMPDIR", str(folder))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("how", ["setsid", "stubborn"])
def test_what_a_sandboxed_server_leaves_running_ends_with_the_look(
    tmp_path: Path, look_backend: str, how: str, runs: Path
) -> None:
    # ``stubborn``: the server ignores its input's end and SIGTERM. The keeper ended the sandbox's
    # runner at once, which left the run's folder (the server's home) and control groups behind.
    script = server_script(tmp_path, _LEAVES)
    with fresh_marker("inspected") as marker:
        target = ServerTarget(
            "weather", "stdio", command=sys.executable, args=(str(script), marker, how), sandbox=look_backend
        )
        fetched, errors = fetch_all([target], 60)
        assert errors == [] and [item.name for item in fetched[0][1]] == ["get_forecast"]
        assert holders_after(marker, seconds=5) == []
    assert list(runs.iterdir()) == []
