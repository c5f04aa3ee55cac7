"""What outbound inspection adds to each request a server makes: a 2 KB JSON e-mail posted to
a local HTTPS API, directly, through the egress proxy's plain tunnel (CONNECT, no inspection),
and through the proxy with TLS inspection (terminated, judged against the call in flight,
re-encrypted). Each in a fresh TLS connection per request (as urllib does) and on one kept-alive
connection. The client and the API each run in their own process, the proxy in this one, as in
a sandbox.

    python bench/outbound_inspection.py [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mcpward.sandbox._authority import CertificateAuthority  # noqa: E402
from mcpward.sandbox._calls import CallTracker  # noqa: E402
from mcpward.sandbox._interception import Interception  # noqa: E402
from mcpward.sandbox._outbound import OutboundInspector  # noqa: E402
from mcpward.sandbox._proxy import EgressProxy  # noqa: E402
from mcpward.sandbox.interface import InspectionRules, NetworkRules  # noqa: E402

API = """
import ssl, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        answer = b'{"MessageID":"m-1"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(sys.argv[1])
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"""
CLIENT = """
import http.client, json, ssl, sys, time
port, proxy, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[4])
cafile, keep = sys.argv[3], sys.argv[5] == "1"
context = ssl.create_default_context(cafile=cafile)
body = json.dumps({"From": "noreply@acme.test", "To": "alice@example.org", "Subject": "Invoice",
                   "TextBody": "Dear Alice, " + "the invoice is attached. " * 80}).encode()
def connect():
    if proxy:
        c = http.client.HTTPSConnection("127.0.0.1", proxy, context=context, timeout=30)
        c.set_tunnel("api.mail.test", 443)
    else:
        c = http.client.HTTPSConnection("api.mail.test", port, context=context, timeout=30)
        c.connect = (lambda c=c: _direct(c))
    return c
def _direct(c):
    import socket
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as http.client's own connect does
    c.sock = context.wrap_socket(raw, server_hostname="api.mail.test")
times = []
connection = connect()
for _ in range(count):
    if not keep:
        connection = connect()
    started = time.perf_counter()
    connection.request("POST", "/email", body=body, headers={"Content-Type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 200, answer.status
    times.append(time.perf_counter() - started)
    if not keep:
        connection.close()
print(json.dumps(times))
"""


def run_client(port: int, proxy: int, cafile: Path, count: int, keep: bool) -> list[float]:
    output = subprocess.run(
        [sys.executable, "-c", CLIENT, str(port), str(proxy), str(cafile), str(count), "1" if keep else "0"],
        capture_output=True,
        check=True,
        timeout=600,
    )
    return list(json.loads(output.stdout))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mcpward-bench-outbound-"))
    public = CertificateAuthority(folder / "public")
    inspecting = CertificateAuthority(folder / "inspection")
    leaf = public.write_leaf("api.mail.test", folder / "api.pem")
    api = subprocess.Popen([sys.executable, "-c", API, str(leaf)], stdout=subprocess.PIPE)
    assert api.stdout is not None
    port = int(api.stdout.readline())
    both = folder / "both.pem"
    both.write_bytes(public.pem + inspecting.pem)
    records: list[dict[str, object]] = []
    upstream = ssl.create_default_context(cadata=public.pem.decode())
    rules = InspectionRules(tls=True, declared=("noreply@acme.test",))
    tracker = CallTracker()
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
               "params": {"name": "send_email", "arguments": {"to": "alice@example.org"}}}  # fmt: skip
    tracker.from_client(json.dumps(message).encode())
    proxies = {}
    for name, inspection in (
        ("tunnel", None),
        (
            "inspected",
            Interception(inspecting, OutboundInspector("mail", rules), tracker, upstream, records.append),
        ),
    ):
        proxy = EgressProxy(
            folder / f"{name}.sock",
            NetworkRules(allow=("api.mail.test",)),
            records.append,
            resolve={"api.mail.test:443": ("127.0.0.1", port)},
            tcp=True,
            inspection=inspection,
        )
        proxy.start()
        proxies[name] = proxy
    try:
        print(f"# outbound inspection, {options.requests} POSTs of a 2 KB JSON e-mail each; "
              f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{time.strftime('%Y-%m-%d')}")  # fmt: skip
        for keep in (False, True):
            trusted = folder / "public" / "ca.pem"
            results = {
                "direct": run_client(port, 0, trusted, options.requests, keep),
                "tunnel": run_client(port, proxies["tunnel"].port, trusted, options.requests, keep),
                "inspected": run_client(port, proxies["inspected"].port, both, options.requests, keep),
            }
            label = "kept-alive connection" if keep else "new TLS connection per request"
            print(f"\n{label}:")
            medians = {name: statistics.median(times) * 1000 for name, times in results.items()}
            for name, times in results.items():
                p95 = statistics.quantiles(times, n=20)[-1] * 1000
                print(f"  {name:10} median {medians[name]:6.2f} ms  p95 {p95:6.2f} ms")
            added = medians["inspected"] - medians["tunnel"]
            print(f"  inspection adds {added:.2f} ms a request over the plain tunnel "
                  f"({medians['inspected'] / medians['tunnel']:.2f}x), "
                  f"{medians['inspected'] - medians['direct']:.2f} ms over direct "
                  f"({medians['inspected'] / medians['direct']:.2f}x)")  # fmt: skip
        judged = [r for r in records if r.get("inspected")]
        assert judged and all(r["decision"] == "allow" for r in judged), judged[:1]
    finally:
        for proxy in proxies.values():
            proxy.stop()
        api.terminate()


if __name__ == "__main__":
    main()
