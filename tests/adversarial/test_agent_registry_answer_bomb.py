"""Attack: a hostile registry (or whatever answers for it: a compromised server, its reverse
proxy) answers the fleet agent's report with 19 KB of gzip inside gzip (``Content-Encoding:
gzip, gzip``) that inflates to 8 GiB. The HTTP library decoded each chunk whole before the
agent's bound on an answer (64 KiB) counted a byte, so the run took gigabytes of memory on every
machine of the fleet at once, and ended in an internal error where memory ran out, until
2026-12-06. The same answer held ``scan --registry`` and ``enforce --registry``.

Now every client of a registry asks for its answers as they are (``Accept-Encoding:
identity``) and reads them undecoded: an answer in an encoding it did not ask for is no
refusal's reason and no receipt (a report it took is counted as stored), and a page of entries
in one is refused. The agent runs here with its memory capped (2 GiB), so the attack ends as
a MemoryError rather than taking the machine's memory."""

from __future__ import annotations

import gzip
import json
import resource
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cli_kit import mcpward

from loopback import handler_serving
from mcpward.agent import AgentConfig

_ASKED: list[str] = []


def _bomb(gibibytes: int) -> bytes:
    """gzip of a gzip stream of ``gibibytes`` GiB of zeros (made from one flushed block repeated;
    its trailer, never reached, left out)."""
    zeros = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    return gzip.compress(head + block * (gibibytes * 1024 - 1), compresslevel=9)


def _registry(status: int, body: bytes, encoding: str) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            _ASKED.append(self.headers.get("Accept-Encoding", ""))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.answer()

        def do_GET(self) -> None:
            self.answer()

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield base


@pytest.fixture
def bombing_registry(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _registry(request.param, _bomb(8), "gzip, gzip")


def _capped_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _settings(tmp_path: Path, registry: str) -> Path:
    (tmp_path / "homes" / "alice").mkdir(parents=True)
    token = tmp_path / "token"
    token.write_text("mcpw_" + "a" * 40 + "\n")
    token.chmod(0o600)
    settings = tmp_path / "agent.toml"
    config = AgentConfig(registry=registry, token_file=str(token), spool=str(tmp_path / "spool"),
                         homes_under=(str(tmp_path / "homes"),))  # fmt: skip
    settings.write_text(config.to_toml())
    return settings


@pytest.mark.parametrize("bombing_registry", [201, 400, 503], indirect=True)
def test_an_answer_that_inflates_to_gigabytes_is_never_inflated(
    bombing_registry: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, bombing_registry)
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter",
                   preexec_fn=_capped_memory, MCPWARD_MACHINE_ID="agent-attack")  # fmt: skip
    assert done.returncode == 0 and "internal error" not in done.stderr, done.stderr[-2000:]
    assert "identity" in _ASKED[-1]  # asked for the answer as it is


@pytest.mark.parametrize("bombing_registry", [200], indirect=True)
def test_a_page_of_entries_that_inflates_is_refused_in_one_line(
    bombing_registry: str, tmp_path: Path
) -> None:
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": {}}))
    done = mcpward("scan", "--home", str(tmp_path), "--registry", bombing_registry, preexec_fn=_capped_memory)
    assert "internal error" not in done.stderr and "encoding" in done.stderr, done.stderr[-2000:]


def test_a_registry_answering_as_it_is_asked_is_read(tmp_path: Path) -> None:
    # The registry's own answer to a report, uncompressed: the report counts as stored.
    for base in _registry(201, json.dumps({"stored": 0}).encode(), ""):
        done = mcpward("agent", "run", "--config", str(_settings(tmp_path, base)), "--no-jitter",
                       MCPWARD_MACHINE_ID="agent-clean")  # fmt: skip
        assert done.returncode == 0 and "reported" in done.stderr and "mcpward:" not in done.stderr, (
            done.stderr
        )
