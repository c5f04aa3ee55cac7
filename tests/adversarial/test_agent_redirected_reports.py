"""Something in front of the registry that answers the fleet agent's report with a redirect (a
proxy sending plain http to https, a registry moved, a captive portal, an impostor on the
path): the agent follows no redirect (the token stays; test_registry_client_redirects.py), but
it took the redirect for the registry's refusal of the report. Each spooled report was deleted
as "refused" and each fresh one dropped, unsent and unspooled: every report of the machine lost
while the redirect lasted, where an outage keeps them. A redirect now counts as the registry
not reached: the reports wait in the spool for the registry itself."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cli_kit import mcpward

from loopback import free_port, handler_serving
from mcpward.agent import AgentConfig

SEEN: list[str] = []


@pytest.fixture(params=[301, 302, 307, 308])
def redirecting(request: pytest.FixtureRequest) -> Iterator[str]:
    SEEN.clear()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            SEEN.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(request.param)
            self.send_header("Location", "http://127.0.0.1:9/api/fleet/reports")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield base


def _closed_port() -> str:
    return f"http://127.0.0.1:{free_port()}"


def _run(tmp_path: Path, registry: str) -> subprocess.CompletedProcess[str]:
    token = tmp_path / "token"
    token.write_text("mcpw_" + "r" * 40 + "\n")
    token.chmod(0o600)
    (tmp_path / "homes" / "alice").mkdir(parents=True, exist_ok=True)
    (tmp_path / "homes" / "bob").mkdir(parents=True, exist_ok=True)
    settings = tmp_path / "agent.toml"
    config = AgentConfig(registry=registry, token_file=str(token), spool=str(tmp_path / "spool"),
                         homes_under=(str(tmp_path / "homes"),))  # fmt: skip
    settings.write_text(config.to_toml())
    return mcpward("agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="redirected")


def test_a_redirect_keeps_the_reports_for_the_registry(tmp_path: Path, redirecting: str) -> None:
    away = _run(tmp_path, _closed_port())  # the registry away: both homes spooled
    assert away.returncode == 0 and len(os.listdir(tmp_path / "spool")) == 2, away.stderr
    done = _run(tmp_path, redirecting)
    assert done.returncode == 0, done.stderr
    assert SEEN, "the redirecting server was asked"
    assert "refused" not in done.stderr, done.stderr
    assert len(os.listdir(tmp_path / "spool")) == 2, done.stderr  # kept, not deleted as refused
    assert "spooled" in done.stderr, done.stderr
