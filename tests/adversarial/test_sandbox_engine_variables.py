"""A container backend gave the server's variables to the engine's client (Podman, Docker), the
only way it had to keep their values off a command line, and so to the engine itself and what
it starts (conmon, the OCI runtime), on the host, before the container existed. Those the engine
reads changed the engine, not the server: a profile's ``NOTIFY_SOCKET`` naming a host unix
socket had Podman connect to it and give the container a socket (``/run/notify/notify.sock``)
whose messages conmon forwarded there, a way out of the sandbox to a host service; a gateway run
as a systemd service gave every container its own notify socket the same way. Now such
variables reach the container by a file the engine reads (``--env-file``), and the run's own
notify socket reaches no engine."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from needs import sandbox_backend

#: The server: whether it has a notify socket, and the variable's value.
SERVER = (
    "import json, os; print(json.dumps([os.path.exists('/run/notify'), os.environ.get('NOTIFY_SOCKET')]), "
    "flush=True)"
)


@pytest.fixture
def host_socket() -> Iterator[socket.socket]:
    """A host service's datagram socket, as systemd's notify socket is."""
    folder = tempfile.mkdtemp(prefix="mw-notify-", dir="/tmp")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(os.path.join(folder, "notify.sock"))
    listener.setblocking(False)
    yield listener
    listener.close()
    shutil.rmtree(folder, ignore_errors=True)


def _run(tmp_path: Path, profile: str, env: dict[str, str]) -> list[object]:
    config = tmp_path / "profile.toml"
    config.write_text(profile, encoding="utf-8")
    command = [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(config), "--backend", "podman",
               "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable, "-c", SERVER]  # fmt: skip
    result = subprocess.run(command, capture_output=True, timeout=120, env={**os.environ, **env}, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return list(json.loads(result.stdout.decode().strip().splitlines()[-1]))


def _received(listener: socket.socket) -> list[bytes]:
    got = []
    while True:
        try:
            got.append(listener.recv(4096))
        except BlockingIOError:
            return got


def test_a_profiles_notify_socket_reaches_no_host_socket(tmp_path: Path, host_socket: socket.socket) -> None:
    sandbox_backend("podman")
    path = host_socket.getsockname()
    has_socket, value = _run(tmp_path, f'[env]\nset = {{ NOTIFY_SOCKET = "{path}" }}\n', {})
    assert not has_socket, "the container was given a socket forwarding to the host's"
    assert _received(host_socket) == []
    assert value == path  # the server's variable, as the profile set it


def test_the_runs_own_notify_socket_reaches_no_container(tmp_path: Path, host_socket: socket.socket) -> None:
    """A gateway run as a systemd service (Type=notify) has systemd's socket in its environment."""
    sandbox_backend("podman")
    has_socket, value = _run(tmp_path, "", {"NOTIFY_SOCKET": host_socket.getsockname()})
    assert not has_socket and value is None
    assert _received(host_socket) == []
