"""Attack: whoever is on the path to a registry server read over plain http off this machine
(``enforce --registry http://...``, ``scan --registry``, the gateway's ``[registry] source``)
answers for it. With no token set nothing was refused: the answer was read as the registry's
approvals, so a made-up entry approved any package for the gateway and was written into every
client's managed files, until 2026-12-05 (the token rule guarded the token, not the answer). Now
the entries are read over https only, or over plain http on this machine, token or not. A real
server on this machine's own address off loopback (no packet leaves the machine) answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cli_kit import mcpward

from loopback import handler_serving, own_address
from mcpward.registry import RegistryError, approval_index

FORGED = {
    "entries": [
        {
            "id": 1,
            "name": "io.github.mallory/anything",
            "identity": {
                "kind": "package",
                "ecosystem": "npm",
                "name": "@mallory/anything",
                "version": "6.6.6",
            },
            "scope": {},
            "owner": "mallory",
            "tier": 1,
            "derived_tier": 1,
            "status": "approved",
            "revision": 2,
            "requested_by": "mallory",
            "requested_at": "2026-12-01T00:00:00Z",
            "updated_at": "2026-12-01T00:00:00Z",
            "review_due": "2099-01-01",
        }
    ],
    "total": 1,
}


@pytest.fixture
def on_the_path() -> Iterator[str]:
    body = json.dumps(FORGED).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler, own_address()) as url:
        yield url


def test_enforce_does_not_take_approvals_from_plain_http_off_this_machine(
    tmp_path: Path, on_the_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MCPWARD_REGISTRY_TOKEN", raising=False)
    done = mcpward("enforce", "--root", str(tmp_path / "tree"), "--registry", on_the_path)
    assert done.returncode == 2, done.stderr
    assert "over https only" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "tree").exists()  # was: @mallory/anything in every client's files


def test_the_gateways_registry_read_is_refused_too(on_the_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCPWARD_REGISTRY_TOKEN", raising=False)
    with pytest.raises(RegistryError, match="over https only"):
        approval_index(on_the_path)
