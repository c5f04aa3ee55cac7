"""A hostile 'server' for the sandbox tests: it tries one forbidden thing, named by its first
argument, and prints what happened as one JSON line (it never does harm outside a sandbox that
works: the fork test stops at 200 processes and kills those it started once counted)."""

import json
import os
import socket
import subprocess
import sys
import urllib.request


def attempt() -> dict:
    action = sys.argv[1]
    if action == "connect":
        try:
            with urllib.request.urlopen(sys.argv[2], timeout=10) as response:  # noqa: S310
                return {"ok": True, "status": response.status, "body": response.read().decode()[:200]}
        except Exception as exc:  # noqa: BLE001
            return {"ok": False, "error": str(exc)}
    if action == "direct":
        try:
            socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=5).close()
            return {"ok": True}
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    if action == "udp":
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.sendto(b"exfiltrated", (sys.argv[2], int(sys.argv[3])))
            return {"ok": True}
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    if action == "dns":
        try:
            return {"ok": True, "addresses": [a[4][0] for a in socket.getaddrinfo(sys.argv[2], 443)]}
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    if action == "read":
        try:
            with open(os.path.expanduser(sys.argv[2])) as handle:
                return {"ok": True, "content": handle.read()[:100]}
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    if action == "env":
        value = os.environ.get(sys.argv[2], "")
        # Only a digest of the value leaves, so a test can compare without printing a secret.
        import hashlib

        return {
            "ok": sys.argv[2] in os.environ,
            "names": sorted(os.environ),
            "sha256": hashlib.sha256(value.encode()).hexdigest(),
        }
    if action == "write":
        try:
            with open(os.path.expanduser(sys.argv[2]), "w") as handle:
                handle.write("pwned")
            return {"ok": True}
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    if action == "fork":
        children: list[subprocess.Popen[bytes]] = []
        try:
            for _ in range(200):
                children.append(subprocess.Popen(["sleep", "30"], stdout=subprocess.DEVNULL))
        except OSError as exc:
            return {"ok": False, "started": len(children), "error": str(exc)}
        finally:  # counted: the sandbox need not wait 30 s for them
            for child in children:
                child.kill()
                child.wait()
        return {"ok": True, "started": len(children)}
    return {"ok": False, "error": f"unknown action {action}"}


print(json.dumps(attempt()), flush=True)
if "--hold" in sys.argv:  # stay up until standard input closes, as a server does
    sys.stdin.read()
