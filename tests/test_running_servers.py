"""``scan --processes`` and ``--probe-ports``: real SDK servers started under a stand-in client
process are found with their parent and user, and matched to a configured server; real
servers listening on loopback are found by the initialize probe, with and without a bearer
check. Linux only (``/proc``)."""

from __future__ import annotations

import json
import os
import pwd
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loopback import free_port, wait_for
from mcpward.model import Report, Transport
from mcpward.scan import ScanOptions, TargetOS, run_scan

SERVERS = Path(__file__).parent / "servers"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _interpreters_running(script: str) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                argv = Path(entry.path, "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            count += argv[0].decode(errors="replace") == sys.executable and script.encode() in argv
    return count


@pytest.fixture
def client_with_servers() -> Iterator[tuple[subprocess.Popen[str], list[list[str]]]]:
    server = [sys.executable, str(SERVERS / "mcp_test_server.py"), "stdio"]
    unconfigured = [*server, "--poisoned"]
    through_shell = ["sh", "-c", f"{' '.join(unconfigured)}; true"]
    not_mcp = [sys.executable, "-c", "import time; time.sleep(120)"]
    client = subprocess.Popen(
        [sys.executable, str(SERVERS / "fake_client.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdin is not None and client.stdout is not None
    for argv in (server, through_shell, not_mcp):
        client.stdin.write(json.dumps(argv) + "\n")
    client.stdin.write("\n")
    client.stdin.flush()
    for _ in range(3):
        assert client.stdout.readline().strip() == "started"
    # A child is visible with its own command line only once it has exec'd (the shell's child
    # later still): wait until both servers' interpreters run, as a client's would be by then.
    deadline = time.monotonic() + 30
    while _interpreters_running(str(SERVERS / "mcp_test_server.py")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield client, [server, unconfigured]
    finally:
        client.stdin.close()
        client.wait(timeout=30)


def test_servers_under_a_client_are_found_with_parent_user_and_match(
    tmp_path: Path, client_with_servers: tuple[subprocess.Popen[str], list[list[str]]]
) -> None:
    client, (configured, _unconfigured) = client_with_servers
    home = tmp_path / "home"
    config = home / ".config" / "Claude" / "claude_desktop_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(
        json.dumps({"mcpServers": {"weather": {"command": configured[0], "args": configured[1:]}}})
    )
    report = run_scan(ScanOptions(home=home, target_os=TargetOS.LINUX, processes=True, workers=1))
    mine = [
        s
        for s in report.servers
        if s.source == "process" and s.process and s.process.parent_pid == client.pid
    ]
    assert len(mine) == 2, [s.name for s in report.servers if s.source == "process"]
    by_args = {s.args[-1]: s for s in mine}
    configured_record = next(s for s in report.servers if s.host == "claude-desktop")
    found = by_args["stdio"]
    assert found.process is not None and found.process.configured_as == (configured_record.id,)
    assert found.process.user == pwd.getpwuid(os.getuid()).pw_name
    assert found.process.parent is not None and "fake_client.py" in found.process.parent
    assert found.transport is Transport.STDIO
    # The one started through sh is reported once, as the python process, with the same client.
    shadow = by_args["--poisoned"]
    assert shadow.process is not None and shadow.process.configured_as == ()
    assert {f.rule for f in report.findings if f.server_id == shadow.id} == {"unconfigured-server"}
    assert not [f for f in report.findings if f.server_id == found.id]
    # Neither the client, the shell nor the sleeping non-MCP child is an MCP server.
    pids = {s.process.pid for s in report.servers if s.process}
    assert client.pid not in pids
    assert not [s for s in report.servers if s.source == "process" and "time.sleep" in " ".join(s.args)]


@pytest.fixture
def listening_servers() -> Iterator[dict[str, tuple[int, subprocess.Popen[bytes]]]]:
    open_port, guarded_port = free_port(), free_port()
    while guarded_port == open_port:
        guarded_port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(SERVERS / "bearer_mcp_server.py"),
            str(open_port),
            str(guarded_port),
            "s3cret-probe",
        ]
    )
    try:
        wait_for(open_port, process)
        wait_for(guarded_port, process)
        yield {"open": (open_port, process), "guarded": (guarded_port, process)}
    finally:
        process.kill()
        process.wait()


def _not_mcp_listener() -> tuple[int, socket.socket]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer() -> None:
        for _ in range(4):
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.recv(4096)
            connection.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            connection.close()

    threading.Thread(target=answer, daemon=True).start()
    return int(listener.getsockname()[1]), listener


def probe(ports: set[int], home: Path) -> Report:
    return run_scan(
        ScanOptions(home=home, target_os=TargetOS.LINUX, probe_ports=True, ports=frozenset(ports), workers=1)
    )


def test_probe_finds_open_and_guarded_servers(
    tmp_path: Path,
    listening_servers: dict[str, tuple[int, subprocess.Popen[bytes]]],
) -> None:
    other_port, listener = _not_mcp_listener()
    # The guarded one is configured in Cursor (as localhost): a known server, not a shadow one.
    guarded_url = f"http://localhost:{listening_servers['guarded'][0]}/mcp"
    cursor = tmp_path / ".cursor" / "mcp.json"
    cursor.parent.mkdir(parents=True)
    cursor.write_text(
        json.dumps(
            {"mcpServers": {"notes": {"url": guarded_url, "headers": {"Authorization": "Bearer ${T}"}}}}
        )
    )
    try:
        report = probe({port for port, _ in listening_servers.values()} | {other_port}, tmp_path)
    finally:
        listener.close()
    open_port, open_process = listening_servers["open"]
    guarded_port, _ = listening_servers["guarded"]
    by_port = {s.process.listening[0]: s for s in report.servers if s.process and s.process.listening}
    assert set(by_port) == {f"127.0.0.1:{open_port}", f"127.0.0.1:{guarded_port}"}
    opened = by_port[f"127.0.0.1:{open_port}"]
    assert opened.transport is Transport.HTTP and opened.url == f"http://127.0.0.1:{open_port}/mcp"
    assert opened.name.startswith("notes-probe-test on 127.0.0.1")
    assert opened.process is not None and opened.process.pid == open_process.pid
    rules = {(f.server_id, f.rule) for f in report.findings}
    assert (opened.id, "served-without-auth") in rules
    assert (opened.id, "unconfigured-server") in rules
    guarded = by_port[f"127.0.0.1:{guarded_port}"]
    configured = next(s for s in report.servers if s.host == "cursor")
    assert guarded.process is not None and guarded.process.configured_as == (configured.id,)
    assert not [r for r in rules if r[0] == guarded.id]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("npx", "-y", "@modelcontextprotocol/server-memory@2025.8.4"), True),
        (("uvx", "mcp-server-fetch"), True),
        (("/usr/bin/python3", "/srv/tools/github_mcp/server.py"), True),
        (("fastmcp", "run", "app.py"), True),
        (("docker", "run", "-i", "--rm", "mcp/fetch"), True),
        # Clean: platforms (inventoried by their own modules), test runners, the scanner itself,
        # shells, ordinary programs whose arguments merely mention MCP files.
        (("uvx", "litellm", "--config", "config.yaml"), False),
        (("npx", "n8n", "start"), False),
        (("python", "-m", "pytest", "tests/test_mcp_things.py"), False),
        (("/usr/local/bin/mcpward", "scan", "--processes"), False),
        (("bash",), False),
        (("vim", "mcp.json"), False),
        (("/usr/bin/python3", "/opt/tools/server.py"), False),
    ],
)
def test_what_is_an_mcp_process(argv: tuple[str, ...], expected: bool) -> None:
    from mcpward.scan._processes import is_mcp_process

    assert is_mcp_process(argv) is expected


def test_cli_refuses_a_port_without_the_probe(cli: Any) -> None:
    result = cli("scan", "--only-paths", "--port", "8080")
    assert result.exit_code == 2
    assert "--port is used with --probe-ports" in result.stderr
    result = cli("scan", "--only-paths", "--probe-ports", "--port", "70000")
    assert result.exit_code == 2 and "1 to 65535" in result.stderr
