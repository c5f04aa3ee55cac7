"""The fleet agent's token printed whole in its own log: a token file holding a character a
header cannot carry (a NUL, as ``printf 'mcpw_…\\0'`` or an editor's stray byte leaves; a
newline inside it) passed the agent's check (only whitespace at the ends, and whitespace
anywhere, were refused), and the HTTP library's refusal quoted the header, ``Illegal header
value b'Bearer mcpw_…'``. The agent printed that on every run, into the journal or launchd's
log, where others than the service account read it; ``scan --report-to`` did the same with
``MCPWARD_REGISTRY_TOKEN``. Such a token is now refused before anything is sent, unquoted."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cli_kit import mcpward

from loopback import handler_serving
from mcpward.agent import AgentConfig

SECRET = "mcpw_" + "S" * 40


@pytest.fixture
def accepting_registry() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "12")
            self.end_headers()
            self.wfile.write(b'{"stored":0}')

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield base


def _agent_run(tmp_path: Path, registry: str, token: bytes) -> subprocess.CompletedProcess[str]:
    (tmp_path / "homes" / "alice").mkdir(parents=True)
    token_file = tmp_path / "token"
    token_file.write_bytes(token)
    token_file.chmod(0o600)
    settings = tmp_path / "agent.toml"
    config = AgentConfig(registry=registry, token_file=str(token_file), spool=str(tmp_path / "spool"),
                         homes_under=(str(tmp_path / "homes"),))  # fmt: skip
    settings.write_text(config.to_toml())
    return mcpward("agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="token-leak")


@pytest.mark.parametrize("token", [f"{SECRET}\x00\n", f"{SECRET[:20]}\x00{SECRET[20:]}", f"{SECRET}\x7f"])
def test_a_token_a_header_cannot_carry_is_refused_unquoted(
    tmp_path: Path, accepting_registry: str, token: str
) -> None:
    done = _agent_run(tmp_path, accepting_registry, token.encode())
    assert done.returncode != 0, done.stderr
    assert "does not hold one token" in done.stderr, done.stderr
    assert "S" * 20 not in done.stderr + done.stdout, done.stderr
    assert not (tmp_path / "spool").exists()  # nothing was sent, or kept to send


def test_a_report_to_token_with_a_newline_is_refused_unquoted(
    tmp_path: Path, accepting_registry: str
) -> None:
    done = mcpward(
        "scan", "--home", str(tmp_path), "--report-to", accepting_registry,
        MCPWARD_REGISTRY_TOKEN=f"{SECRET[:20]}\nX-Forged: 1{SECRET[20:]}", MCPWARD_MACHINE_ID="token-leak",
    )  # fmt: skip
    assert done.returncode != 0, done.stderr
    assert "S" * 20 not in done.stderr + done.stdout, done.stderr


def test_a_plain_token_is_still_sent(tmp_path: Path, accepting_registry: str) -> None:
    done = _agent_run(tmp_path, accepting_registry, f"{SECRET}\n".encode())
    assert done.returncode == 0 and "reported" in done.stderr, done.stderr
