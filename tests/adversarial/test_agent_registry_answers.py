"""A hostile (or impersonated) registry answering the fleet agent's report: the ``detail`` of a
refusal was printed as it came, so a newline forged lines of the agent's log (``reported
/home/root``) and terminal escapes acted on whoever read it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mcpward.agent import AgentConfig

SRC = str(Path(__file__).resolve().parents[2] / "src")
FORGED = "refused\nreported /home/forged\x1b]0;owned\x07\x1b[2J"


@pytest.fixture
def hostile_registry() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = json.dumps({"detail": FORGED}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_refusals_detail_cannot_forge_log_lines_or_reach_the_terminal(
    tmp_path: Path, hostile_registry: str
) -> None:
    homes = tmp_path / "homes"
    (homes / "alice").mkdir(parents=True)
    token = tmp_path / "token"
    token.write_text("mcpw_" + "a" * 40 + "\n")
    token.chmod(0o600)
    settings = tmp_path / "agent.toml"
    config = AgentConfig(registry=hostile_registry, token_file=str(token), spool=str(tmp_path / "spool"),
                         homes_under=(str(homes),))  # fmt: skip
    settings.write_text(config.to_toml())
    done = subprocess.run(
        [sys.executable, "-m", "mcpward", "agent", "run", "--config", str(settings), "--no-jitter"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=SRC, MCPWARD_MACHINE_ID="agent-attack"),
    )
    assert "answered 400" in done.stderr, done.stderr  # the refusal is reported
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert not any(line.startswith("reported") for line in done.stderr.splitlines()), done.stderr
    assert "a" * 40 not in done.stderr + done.stdout
