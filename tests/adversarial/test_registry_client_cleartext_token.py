"""The registry token over plain http off this machine: the agent refuses such a registry, but
`scan --report-to URL`, `scan --registry URL` and `enforce --registry URL` sent
MCPWARD_REGISTRY_TOKEN to any plain-http host, where anyone on the path could take it (found
by an independent review, 2026-12-04). A real server on this machine's own address off
loopback (no packet leaves the machine) records the Authorization headers it gets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cli_kit import mcpward

from loopback import handler_serving, own_address

TOKEN = "mcpward-test-token-not-a-secret"


@contextlib.contextmanager
def _recording(address: str, seen: list[str]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            body = b'{"entries": [], "stored": 0}'
            self.send_response(201 if self.command == "POST" else 200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler, address) as url:
        yield url


@pytest.mark.parametrize(
    "command",
    [["scan", "--only-paths", "--path", "{tree}", "--report-to", "{url}"],
     ["scan", "--only-paths", "--path", "{tree}", "--registry", "{url}"],
     ["enforce", "--registry", "{url}", "--root", "{tree}/out"]],
    ids=["report-to", "scan-registry", "enforce-registry"],
)  # fmt: skip
def test_the_token_is_not_sent_over_plain_http_off_this_machine(tmp_path: Path, command: list[str]) -> None:
    seen: list[str] = []
    with _recording(own_address(), seen) as url:
        done = mcpward(
            *(part.format(tree=tmp_path, url=url) for part in command), MCPWARD_REGISTRY_TOKEN=TOKEN
        )
    assert not any(TOKEN in header for header in seen), seen
    assert "the registry token is sent over https only" in done.stderr, (done.returncode, done.stderr)
    assert TOKEN not in done.stdout + done.stderr


def test_on_loopback_the_token_still_goes(tmp_path: Path) -> None:
    seen: list[str] = []
    with _recording("127.0.0.1", seen) as url:
        mcpward(
            "scan", "--only-paths", "--path", str(tmp_path), "--report-to", url, MCPWARD_REGISTRY_TOKEN=TOKEN
        )
    assert seen and all(header == f"Bearer {TOKEN}" for header in seen)
