"""What the attacks on a wrapped entry's ``env`` start from: an entry routed by ``wrap`` (a
Python stdio server that writes the variables it was given to ``seen.json``), its launch line run
the way the client runs it, and loopback ports that record what reaches them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from loopback import Accepting
from mcpward.gateway import wrap
from mcpward.scan import ScanOptions

_SERVER = (
    "import os, sys, json\n"
    "sys.stdin.readline()\n"
    "seen = {k: os.environ.get(k) for k in json.loads(sys.argv[1])}\n"
    "open(sys.argv[2], 'w').write(json.dumps(seen))\n"
)


class Recorder(Accepting):
    """A loopback port that keeps what each connection sent first, then closes it."""

    connection_timeout = 2.0

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.lock = threading.Lock()
        super().__init__()

    def handle(self, connection: socket.socket) -> None:
        with self.lock:
            self.received.append(first_bytes(connection))


def first_bytes(connection: socket.socket) -> bytes:
    try:
        return connection.recv(65536)
    except OSError:
        return b""


def wrapped(
    tmp_path: Path,
    env: dict[str, str],
    settings: str,
    seen: list[str],
    launch: tuple[str, list[str]] | None = None,
    **fields: str,
) -> dict[str, object] | None:
    """The entry as wrap wrote it (None when wrap skipped it): a stdio server (a Python script)
    that writes the named variables of its environment to ``seen.json`` after one line of input,
    or ``launch``; with ``fields`` added to the entry."""
    home = tmp_path / "home"
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "server.py").write_text(_SERVER)
    args = [str(tmp_path / "server.py"), json.dumps(seen), str(tmp_path / "seen.json")]
    command, args = launch or (sys.executable, args)
    servers = {"x": {"command": command, "args": args, "env": env, **fields}}
    config.write_text(json.dumps({"mcpServers": servers}))
    gateway = tmp_path / "gateway.toml"
    gateway.write_text(f'[audit]\npath = "{tmp_path / "audit.jsonl"}"\n{settings}')
    outcome = wrap(ScanOptions(home=home), tmp_path / "backups", config=gateway)
    if not outcome.wrapped:
        return None
    entry: dict[str, object] = json.loads(config.read_text())["mcpServers"]["x"]
    return entry


def run_as_the_client(
    tmp_path: Path, entry: dict[str, object], **users: str
) -> subprocess.CompletedProcess[str]:
    """The launch line run as the client runs it: in the project, the user's environment (with
    ``users`` in it) and the entry's ``env`` over it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "OTEL_", "PG"))}
    environment = {k: v for k, v in environment.items() if "proxy" not in k.lower()}
    environment |= {"MCPWARD_DATA_DIR": str(tmp_path / "data"), "MCPWARD_CACHE_DIR": str(tmp_path / "cache")}
    environment |= users
    if isinstance(env_file := entry.get("envFile"), str):  # as VS Code and Cursor read one
        lines = Path(env_file).read_text().splitlines()
        environment |= dict(line.split("=", 1) for line in lines if "=" in line)
    environment |= dict(entry.get("env", {}))  # type: ignore[call-overload]
    argv = [str(entry["command"]), *entry["args"]]  # type: ignore[misc]
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    return subprocess.run(
        argv,
        cwd=tmp_path,
        env=environment,
        input=json.dumps(initialize) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
