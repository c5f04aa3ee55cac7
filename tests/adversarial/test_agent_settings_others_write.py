"""The fleet agent's settings name where its token goes (``registry``) and which file is the
token. They were read whatever their permissions: settings another local account could write
(a file left 0666, or ``agent.toml`` in a folder anyone may write, where another account
replaces it) let that account point ``registry`` at its own server, and the next run, as the
service account, sent it the fleet's token with a report of every home. Such settings are now
refused, named, before the token is read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cli_kit import mcpward

from loopback import handler_serving
from mcpward.agent import AgentConfig, AgentError

SECRET = "mcpw_" + "T" * 40
TAKEN: list[str] = []


@pytest.fixture
def impostor() -> Iterator[str]:
    """Another account's server on this machine, keeping the tokens it is sent."""
    TAKEN.clear()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            TAKEN.append(self.headers.get("Authorization", ""))
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(201)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield base


def _settings(folder: Path, registry: str, tmp_path: Path) -> Path:
    (tmp_path / "homes" / "alice").mkdir(parents=True, exist_ok=True)
    token = tmp_path / "token"
    token.write_text(SECRET + "\n")
    token.chmod(0o600)
    folder.mkdir(exist_ok=True)
    settings = folder / "agent.toml"
    config = AgentConfig(registry=registry, token_file=str(token), spool=str(tmp_path / "spool"),
                         homes_under=(str(tmp_path / "homes"),))  # fmt: skip
    settings.write_text(config.to_toml())
    return settings


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
@pytest.mark.parametrize("opened", ["file", "folder"])
def test_settings_others_can_change_are_refused(tmp_path: Path, impostor: str, opened: str) -> None:
    settings = _settings(tmp_path / "etc", impostor, tmp_path)
    if opened == "file":
        settings.chmod(0o666)  # another account rewrote registry = ... to its own server
    else:
        settings.parent.chmod(0o777)  # another account may replace the file whole
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="settings")
    assert done.returncode != 0 and "another account" in done.stderr, done.stderr
    assert TAKEN == [], TAKEN
    with pytest.raises(AgentError, match="another account"):
        AgentConfig.load(settings)


def test_settings_only_this_account_can_change_are_read(tmp_path: Path, impostor: str) -> None:
    settings = _settings(tmp_path / "etc", impostor, tmp_path)
    settings.chmod(0o644)
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="settings")
    assert done.returncode == 0, done.stderr
    assert [f"Bearer {SECRET}"] == TAKEN
