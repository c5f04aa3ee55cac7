"""Huge and unfinished request heads against ``mcpward registry serve``, from a client holding
no token: as ``gateway serve`` did (test_gateway_serve_headers.py), uvicorn's own protocol held
a head whole however long it grew, and a connection that never sent a whole head for good.
Since 2026-12-05 both servers run the bounded protocol (``mcpward._http_server``): a head past
64 KiB is refused and closed, one not whole within 10 s is closed."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
from gateway_attack_kit import memory_kb
from test_gateway_serve_headers import _closed_within, _endless_head

from loopback import free_port, wait_for


def test_an_endless_or_unfinished_head_is_not_held_by_the_registry(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "mcpward", "registry", "serve", "--port", str(port),
               "--database", f"sqlite:///{tmp_path / 'registry.db'}"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, process)
        base = f"http://127.0.0.1:{port}"
        silent = socket.create_connection(("127.0.0.1", port))
        before = memory_kb(process.pid, "VmRSS")
        sent = _endless_head(base, b"X-A: b\r\n", 64)
        grown_mb = (memory_kb(process.pid, "VmRSS") - before) / 1024
        assert sent < 64 and grown_mb < 32, f"the registry read {sent} MB of one head, held {grown_mb:.0f} MB"
        with silent:
            assert _closed_within(silent, 25), "a connection that sent nothing was held"
        assert (
            httpx.get(f"{base}/v0/servers", headers={"X-Padding": "p" * 20_000}, timeout=30).status_code
            == 200
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
