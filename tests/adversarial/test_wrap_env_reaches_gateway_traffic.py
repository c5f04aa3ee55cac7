"""A config entry's ``env`` (a project's ``.mcp.json``, a plugin's: whoever writes the repository)
is given to the process the client starts, and once ``wrap`` has routed the entry that process is
the gateway: variables meant for the server steered the gateway's own work. Each case runs the
launch line wrap wrote the way the client runs it (the user's environment with the entry's
``env`` over it) against loopback stand-ins.

- ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY`` (any case): the gateway's registry check went
  through the entry's proxy, the user's registry token with it (the proxy could answer the
  approvals too); the OTLP export of the audit records went there as well.
- ``OTEL_*``: the OpenTelemetry SDK the gateway exports its audit records with reads them:
  ``OTEL_SDK_DISABLED`` switched the export off, ``OTEL_RESOURCE_ATTRIBUTES`` forged the service
  and machine the records name.
- ``PG*``: libpq fills what a registry database URL leaves out from them: ``PGHOSTADDR`` and
  ``PGPORT`` sent the gateway's connection, its password with it, to a server of the entry's.
- ``SSLKEYLOGFILE``: the TLS library of the OTLP export wrote the session keys of the gateway's
  connections to a file the entry named.
- ``TMPDIR``: the gateway's sandbox runner (started with the server's environment) made its
  state, the egress proxy's socket and report channel, in a folder of the entry's choosing; its
  ``DOCKER_HOST``/``CONTAINER_HOST`` chose the container engine's daemon the same way.

Before 2026-12-05 each took effect. Now wrap names every variable of a routed entry's ``env`` to
the gateway (``--server-env NAME``; the value stays in ``env``): the gateway takes them out of its
own environment as it starts and gives them to the server alone (its sandbox runner likewise),
so a proxy (or a database's ``PGHOST``) the server needs still reaches it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from wrap_env_kit import Recorder, first_bytes, run_as_the_client, wrapped

from loopback import end_by_closing_input
from mcpward.gateway import unwrap


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_the_registry_check_does_not_go_through_the_entrys_proxy(tmp_path: Path, variable: str) -> None:
    proxy, registry = Recorder(), Recorder()
    try:
        settings = f'[registry]\nenabled = true\nsource = "http://127.0.0.1:{registry.port}"\n'
        entry = wrapped(tmp_path, {variable: f"http://127.0.0.1:{proxy.port}"}, settings, [variable])
        assert entry is not None, "an entry with a proxy for its server is routed"
        run_as_the_client(tmp_path, entry, MCPWARD_REGISTRY_TOKEN="the-users-registry-token")
    finally:
        proxy.close()
        registry.close()
    assert not proxy.received, (
        f"the gateway's registry check went through the entry's proxy: {proxy.received}"
    )
    assert registry.received and b"the-users-registry-token" in registry.received[0]


def test_a_proxy_of_the_entrys_still_reaches_the_server(tmp_path: Path) -> None:
    env = {"HTTPS_PROXY": "http://proxy.internal:3128", "no_proxy": "internal", "A": "b"}
    entry = wrapped(tmp_path, env, "", sorted(env))
    assert entry is not None
    ran = run_as_the_client(tmp_path, entry)
    assert ran.returncode == 0, ran.stderr
    assert json.loads((tmp_path / "seen.json").read_text()) == env


class _Collector(Recorder):
    """An OTLP/HTTP collector that answers 200 to each request."""

    def handle(self, connection: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = first_bytes(connection)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        while len(body) < length and (chunk := first_bytes(connection)):
            body += chunk
        with self.lock:
            self.received.append(head + b"\r\n\r\n" + body)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.mark.parametrize(
    "variable, value",
    [
        ("OTEL_SDK_DISABLED", "true"),
        ("OTEL_RESOURCE_ATTRIBUTES", "service.name=forged-service,host.name=forged-host"),
        ("HTTP_PROXY", "http://127.0.0.1:{proxy}"),
    ],
)
def test_the_audit_export_is_not_steered_by_the_entry(tmp_path: Path, variable: str, value: str) -> None:
    collector, proxy = _Collector(), Recorder()
    try:
        settings = f'otlp_endpoint = "http://127.0.0.1:{collector.port}"\n'
        env = {variable: value.format(proxy=proxy.port)}
        entry = wrapped(tmp_path, env, "", [variable])
        assert entry is not None
        # Under [audit]: the gateway config wrap names has the endpoint beside the log's path.
        gateway = tmp_path / "gateway.toml"
        gateway.write_text(gateway.read_text() + settings)
        run_as_the_client(tmp_path, entry)
    finally:
        collector.close()
        proxy.close()
    assert not proxy.received, "the audit export went through the entry's proxy"
    exported = b"".join(collector.received)
    assert exported, "the audit records were not exported"
    assert b"forged" not in exported
    assert json.loads((tmp_path / "seen.json").read_text()) == env, "the server lost its variable"


class _Postgres(Recorder):
    """Enough of a PostgreSQL server to be sent a password: asks for it in clear text."""

    def handle(self, connection: socket.socket) -> None:
        startup = first_bytes(connection)
        if startup[4:8] == b"\x04\xd2\x16\x2f":  # SSLRequest: not here
            connection.sendall(b"N")
            startup = first_bytes(connection)
        connection.sendall(b"R\x00\x00\x00\x08\x00\x00\x00\x03")  # AuthenticationCleartextPassword
        with self.lock:
            self.received.append(startup + first_bytes(connection))


def test_the_registry_database_connection_is_not_redirected_by_the_entry(tmp_path: Path) -> None:
    fake = _Postgres()
    try:
        # The user's registry database, named by host; the entry adds where to connect instead.
        settings = '[registry]\nenabled = true\nsource = "postgresql://mcpward:db-password@registry.invalid/registry"\n'
        env = {"PGHOSTADDR": "127.0.0.1", "PGPORT": str(fake.port), "PGCONNECT_TIMEOUT": "5"}
        entry = wrapped(tmp_path, env, settings, sorted(env))
        assert entry is not None
        run_as_the_client(tmp_path, entry)
    finally:
        fake.close()
    assert not any(b"db-password" in sent for sent in fake.received), (
        "the password went to the entry's server"
    )
    assert not fake.received


def test_the_tls_keys_of_the_audit_export_are_not_written_where_the_entry_says(tmp_path: Path) -> None:
    collector = Recorder()  # takes the ClientHello and closes: the file is opened before
    keys = tmp_path / "keys.log"
    try:
        entry = wrapped(tmp_path, {"SSLKEYLOGFILE": str(keys)}, "", ["SSLKEYLOGFILE"])
        assert entry is not None
        gateway = tmp_path / "gateway.toml"
        gateway.write_text(gateway.read_text() + f'otlp_endpoint = "https://127.0.0.1:{collector.port}"\n')
        run_as_the_client(tmp_path, entry)
    finally:
        collector.close()
    assert collector.received, "the export was not attempted"
    assert not keys.exists(), "the gateway wrote its TLS keys where the entry said"
    assert json.loads((tmp_path / "seen.json").read_text()) == {"SSLKEYLOGFILE": str(keys)}


@pytest.mark.skipif(shutil.which("bwrap") is None or sys.platform != "linux", reason="needs bubblewrap")
def test_the_sandbox_does_not_keep_its_state_where_the_entrys_tmpdir_says(tmp_path: Path) -> None:
    """The gateway starts its sandbox runner with the server's environment: the entry's
    ``TMPDIR`` chose where the runner made its state (the egress proxy's socket, the report
    channel), a folder of the repository's; its ``DOCKER_HOST`` would choose the engine."""
    chosen = tmp_path / "repository" / "tmp"
    chosen.mkdir(parents=True)
    profile = tmp_path / "profile.toml"
    profile.write_text("")
    entry = wrapped(
        tmp_path, {"TMPDIR": str(chosen)}, f'[sandbox]\nprofile = "{profile}"\n', [], ("/bin/sleep", ["3"])
    )
    assert entry is not None
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    environment |= {"MCPWARD_DATA_DIR": str(tmp_path / "data"), "MCPWARD_CACHE_DIR": str(tmp_path / "cache")}
    environment |= dict(entry["env"])  # type: ignore[call-overload]
    argv = [str(entry["command"]), *entry["args"]]  # type: ignore[misc]
    gateway = subprocess.Popen(argv, cwd=tmp_path, env=environment, stdin=subprocess.PIPE)
    made: list[str] = []
    try:
        for _ in range(400):  # while the server sleeps (at most 20 s)
            made += [p.name for p in chosen.iterdir() if p.name.startswith("mcpward-sandbox-")]
            if made or gateway.poll() is not None:
                break
            threading.Event().wait(0.05)
    finally:
        end_by_closing_input(gateway)
    assert not made, f"the sandbox made its state in the entry's TMPDIR: {made}"
    assert any("sandbox-start" in line for line in (tmp_path / "audit.jsonl").read_text().splitlines())


@pytest.mark.parametrize("name", ["-x", "A=B", "${HOME_TOKEN}", ""])
def test_an_entry_with_a_variable_that_cannot_be_named_is_not_routed(tmp_path: Path, name: str) -> None:
    """Named on the gateway's line, ``-x`` read as an option, ``${..}`` replaced by the client."""
    assert wrapped(tmp_path, {name: "1", "A": "b"}, "", []) is None


def test_an_entry_edited_since_is_put_back_with_its_env_named_to_the_gateway(tmp_path: Path) -> None:
    """unwrap reads ``--server-env`` as wrap's own, in an entry it puts back in an edited file."""
    entry = wrapped(tmp_path, {"HTTPS_PROXY": "http://proxy.internal:3128"}, "", [])
    assert entry is not None
    args: list[str] = entry["args"]  # type: ignore[assignment]
    assert args[args.index("--") - 2 : args.index("--")] == ["--server-env", "HTTPS_PROXY"]
    config = tmp_path / "home" / ".cursor" / "mcp.json"
    document = json.loads(config.read_text())
    document["mcpServers"]["added"] = {"command": "node", "args": ["added.js"]}
    config.write_text(json.dumps(document))
    restored, problems = unwrap(tmp_path / "backups")
    assert restored and not problems, problems
    back = json.loads(config.read_text())["mcpServers"]
    assert back["x"]["command"] == sys.executable and "--server-env" not in back["x"]["args"]
    assert back["x"]["env"] == {"HTTPS_PROXY": "http://proxy.internal:3128"} and "added" in back
