"""What the sandbox costs: start-up (time from launch to a server's answer to ``initialize``,
with and without the sandbox) and throughput through the egress proxy (a download from a
loopback HTTP server through the sandbox's proxy, against the same download made directly).

    python bench/sandbox_overhead.py [--runs 10] [--megabytes 64] [--backend NAME ...]

Each backend that works here is measured (``mcpward sandbox check``) unless some are named.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "servers" / "mcp_test_server.py"
_PARAMS = {
    "protocolVersion": "2025-06-18",
    "capabilities": {},
    "clientInfo": {"name": "bench", "version": "1"},
}
INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": _PARAMS}) + "\n"
FETCH = """
import sys, time, urllib.request
started = time.perf_counter()
with urllib.request.urlopen(sys.argv[1], timeout=120) as response:
    size = 0
    while chunk := response.read(1 << 20):
        size += len(chunk)
print(size, time.perf_counter() - started)
"""


def first_answer(command: list[str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(INITIALIZE.encode())
    process.stdin.flush()
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    assert b'"result"' in line, line
    process.stdin.close()
    process.wait(timeout=30)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--megabytes", type=int, default=64)
    parser.add_argument("--backend", action="append", help="a backend to measure (repeatable)")
    args = parser.parse_args()
    from mcpward.sandbox import backends

    chosen = args.backend or [b.name for b in backends() if not b.explicit_only and b.check().works]
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    payload = os.urandom(1 << 20) * args.megabytes

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: object) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    port = site.server_address[1]
    with tempfile.TemporaryDirectory() as scratch:
        profile = Path(scratch) / "profile.toml"
        profile.write_text(
            '[network]\nallow = ["data.example:80"]\n'
            f'resolve = {{ "data.example:80" = "127.0.0.1:{port}" }}\n'
        )
        server = [sys.executable, str(SERVER), "stdio"]
        script = Path(scratch) / "fetch.py"
        script.write_text(FETCH)
        d = statistics.median(first_answer(server) for _ in range(args.runs))
        plain = subprocess.run(
            [sys.executable, str(script), f"http://127.0.0.1:{port}/blob"], capture_output=True, check=True
        )
        size, seconds = plain.stdout.split()
        direct_rate = int(size) / float(seconds) / 1e6
        print(f"direct: start-up to first answer {d * 1000:.0f} ms (median of {args.runs}); "
              f"download of {args.megabytes} MB {direct_rate:.0f} MB/s")  # fmt: skip
        for backend in chosen:
            sandbox = [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(profile),
                       "--backend", backend, "--audit-log", f"{scratch}/audit.jsonl", "--"]  # fmt: skip
            b = statistics.median(first_answer(sandbox + server) for _ in range(args.runs))
            proxied = subprocess.run(
                [*sandbox, sys.executable, str(script), "http://data.example/blob"],
                capture_output=True,
                check=True,
            )
            size, seconds = proxied.stdout.split()
            proxy_rate = int(size) / float(seconds) / 1e6
            share = proxy_rate / direct_rate
            print(f"{backend}: start-up {b * 1000:.0f} ms (+{(b - d) * 1000:.0f} ms, {b / d:.2f}x direct); "
                  f"through the egress proxy {proxy_rate:.0f} MB/s ({share:.0%} of direct)")  # fmt: skip
    site.shutdown()


if __name__ == "__main__":
    main()
