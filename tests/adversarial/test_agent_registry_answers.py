"""A hostile (or impersonated) registry answering the fleet agent's report: the ``detail`` of a
refusal was printed as it came, so a newline forged lines of the agent's log (``reported
/home/root``) and terminal escapes acted on whoever read it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cli_kit import mcpward

from loopback import handler_serving
from mcpward.agent import AgentConfig

FORGED = "refused\nreported /home/forged\x1b]0;owned\x07\x1b[2J"


ANSWERS: dict[str, tuple[int, bytes]] = {"refusal": (400, json.dumps({"detail": FORGED}).encode())}


@pytest.fixture
def hostile_registry(request: pytest.FixtureRequest) -> Iterator[str]:
    status, body = ANSWERS[getattr(request, "param", "refusal")]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield f"{base}"


def _agent_run(tmp_path: Path, registry: str, *homes: str) -> subprocess.CompletedProcess[str]:
    """``agent run`` once, reporting these (empty) homes to ``registry`` with a token."""
    under = tmp_path / "homes"
    for name in homes:
        (under / name).mkdir(parents=True)
    token = tmp_path / "token"
    token.write_text("mcpw_" + "a" * 40 + "\n")
    token.chmod(0o600)
    settings = tmp_path / "agent.toml"
    config = AgentConfig(registry=registry, token_file=str(token), spool=str(tmp_path / "spool"),
                         homes_under=(str(under),))  # fmt: skip
    settings.write_text(config.to_toml())
    return mcpward(
        "agent", "run", "--config", str(settings), "--no-jitter", MCPWARD_MACHINE_ID="agent-attack"
    )


def test_a_refusals_detail_cannot_forge_log_lines_or_reach_the_terminal(
    tmp_path: Path, hostile_registry: str
) -> None:
    done = _agent_run(tmp_path, hostile_registry, "alice")
    assert "answered 400" in done.stderr, done.stderr  # the refusal is reported
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert not any(line.startswith("reported") for line in done.stderr.splitlines()), done.stderr
    assert "a" * 40 not in done.stderr + done.stdout


ANSWERS |= {
    "html": (201, b"<html>stored</html>"),
    "list": (201, b"[1, 2]"),
    "string-count": (201, b'{"stored": "many"}'),
}


@pytest.mark.parametrize("hostile_registry", ["html", "list", "string-count"], indirect=True)
def test_an_unreadable_acceptance_does_not_stop_the_run(tmp_path: Path, hostile_registry: str) -> None:
    # 201 is the registry's "stored": what follows it may be anything (a proxy's page). The
    # run went no further (an internal error), so no later home was reported or spooled.
    done = _agent_run(tmp_path, hostile_registry, "alice", "bob")
    assert done.returncode == 0 and "internal error" not in done.stderr, done.stderr
    assert sorted(
        line.rsplit("/", 1)[-1] for line in done.stderr.splitlines() if line.startswith("reported")
    ) == [
        "alice",
        "bob",
    ]
