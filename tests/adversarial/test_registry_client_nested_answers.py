"""Attack: a registry server (or a proxy or captive portal answering for it) answers the agent's
report, ``scan --report-to``, ``enforce --registry`` or the gateway's registry read with JSON
nested thousands of levels deep, well within the size limits. Python's parser ran out of stack
(RecursionError), which no caller expected: the agent's run ended at the first home, every later
home neither reported nor spooled, and ``enforce`` ended with an internal error, until
2026-12-05. Now such an answer is one that is not a registry's: a refusal or receipt that says
nothing readable, or a page that is refused in one line."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cli_kit import mcpward
from test_agent_registry_answers import _agent_run

from loopback import handler_serving
from mcpward.registry import RegistryError, RegistryUnavailable
from mcpward.registry._remote import fetch_entries, inventory, report_inventory

DEEP = b"[" * 50_000  # 50 KB: under every answer limit (64 KiB for a receipt or a refusal)


@pytest.fixture
def deep_registry(request: pytest.FixtureRequest) -> Iterator[str]:
    status = getattr(request, "param", 201)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(DEEP)))
            self.end_headers()
            self.wfile.write(DEEP)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield base


@pytest.mark.parametrize("deep_registry", [200, 201, 400, 401, 500], indirect=True)
def test_the_client_reads_a_deeply_nested_answer_as_no_registrys(deep_registry: str) -> None:
    # A refusal is what the caller handles (a receipt that says nothing is no refusal).
    with contextlib.suppress(RegistryError, RegistryUnavailable):
        report_inventory(deep_registry, inventory([], "/home/alice"), timeout=5)
    with pytest.raises(RegistryError):
        fetch_entries(deep_registry, timeout=5)


@pytest.mark.parametrize("deep_registry", [201, 400], indirect=True)
def test_the_agent_reports_every_home_past_a_nested_answer(tmp_path: Path, deep_registry: str) -> None:
    done = _agent_run(tmp_path, deep_registry, "alice", "bob")
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    # Each home is either reported (a receipt that says nothing) or named with the refusal.
    for home in ("alice", "bob"):
        assert any(
            line.rstrip().endswith(f"/{home}") or f"/{home}:" in line for line in done.stderr.splitlines()
        ), done.stderr


@pytest.mark.parametrize("deep_registry", [200], indirect=True)
def test_enforce_refuses_a_nested_page_in_one_line(tmp_path: Path, deep_registry: str) -> None:
    done = mcpward("enforce", "--root", str(tmp_path / "tree"), "--registry", deep_registry)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "did not answer like an mcpward registry" in done.stderr
    assert not (tmp_path / "tree").exists()
