"""Escapes from the sandbox, tried as a hostile server would (tests/servers/hostile_server.py),
on every backend that works here: sockets other than a TCP stream, host unix sockets, host
processes, capabilities, the kernel's other entries (io_uring, the i386 one), a setuid program
left in the persistent home, root-only host files, and forged reports. Each test checks the
host side: what a listener received, whether a process still runs, what a file's mode is."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from needs import missing, sandbox_backend
from test_sandbox import BACKENDS, docker_host, hostile_command, sandboxed, sandboxed_series

__all__ = ["docker_host"]  # the fixture the docker backend needs, used through `backend`


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return _working(request, str(request.param))


@pytest.fixture(params=["landlock"])
def landlock(request: pytest.FixtureRequest) -> str:
    """What only the Landlock backend has to close itself: it shares the host's network and
    process namespaces (the others have their own, where these reach nothing of the host's)."""
    return _working(request, str(request.param))


def _working(request: pytest.FixtureRequest, name: str) -> str:
    if name == "docker":
        request.getfixturevalue("docker_host")
    sandbox_backend(name)
    return name


class Listener:
    """A host service on loopback that records whether anything reached it."""

    def __init__(self, family: int, kind: int, address: Any) -> None:
        self.socket = socket.socket(family, kind)
        self.socket.bind(address)
        if kind == socket.SOCK_STREAM:
            self.socket.listen(8)
        self.socket.settimeout(0.2)
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                if self.socket.type == socket.SOCK_STREAM:
                    connection, _ = self.socket.accept()
                    with connection:
                        connection.settimeout(2)
                        self.received.append(connection.recv(100) or b"<connected>")
                else:
                    self.received.append(self.socket.recv(100))
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.socket.close()


@pytest.fixture
def host_tcp() -> Iterator[Listener]:
    listener = Listener(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 0))
    yield listener
    listener.close()


@pytest.fixture
def runtime_folder() -> Iterator[Path]:
    """A folder under /run, where host services keep their sockets (Docker's among them)."""
    folder = Path("/run") / f"mcpward-escape-{os.urandom(4).hex()}"
    folder.mkdir(mode=0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_no_socket_but_a_tcp_stream_reaches_a_host_service(
    tmp_path: Path, backend: str, host_tcp: Listener
) -> None:
    """MPTCP is a stream too (Landlock rules TCP only), and a Fast Open send connects with no
    connect() call: neither may reach a host service on loopback."""
    port = str(host_tcp.socket.getsockname()[1])
    attempts = [(action, "127.0.0.1", port) for action in ("mptcp", "fastopen", "direct")]
    outcomes, _ = sandboxed_series(tmp_path, *attempts, backend=backend)
    for attempt, outcome in zip(attempts, outcomes, strict=True):
        assert not outcome["ok"], (attempt, outcome)
    host_tcp.close()
    assert host_tcp.received == []


def test_the_proxys_port_on_another_address_is_not_reached(tmp_path: Path, backend: str) -> None:
    """The server knows the proxy's port (HTTP_PROXY): the same port on another address (here
    127.0.0.2, standing for an attacker's host) must not be reachable."""
    command = hostile_command(tmp_path, "same-port", "127.0.0.2", backend=backend)
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as running:
        assert running.stdout is not None and running.stdin is not None
        port = json.loads(running.stdout.readline())["port"]
        listener = Listener(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.2", port))
        try:
            running.stdin.write(b"go\n")
            running.stdin.close()
            outcome = json.loads(running.stdout.readline())
            running.wait(timeout=60)
        finally:
            listener.close()
    assert listener.received == [] and not outcome["ok"], outcome


def test_no_listening_socket_is_reachable_from_the_host(tmp_path: Path, backend: str) -> None:
    command = hostile_command(tmp_path, "listen", backend=backend)
    received = b""
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as running:
        assert running.stdout is not None and running.stdin is not None
        first = json.loads(running.stdout.readline())
        if "port" in first:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", first["port"]), 5) as tcp,
            ):
                tcp.settimeout(5)
                received = tcp.recv(100)
        running.stdin.close()
        running.wait(timeout=60)  # the server waits 3 s for a connection at most
    assert b"listen-escape" not in received


def test_no_raw_frame_reaches_the_hosts_loopback(tmp_path: Path, backend: str) -> None:
    capture = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88B5))
    capture.bind(("lo", 0))
    capture.settimeout(0.5)
    with capture:
        outcome, _ = sandboxed(tmp_path, "packet", backend=backend)
        frames = []
        with contextlib.suppress(TimeoutError):
            for _ in range(100):  # bounded
                frames.append(capture.recv(100))
    assert not any(b"packet-escape" in frame for frame in frames)
    if backend == "landlock":  # the others may make one in their own network namespace
        assert not outcome["ok"], outcome


def test_no_host_unix_socket_is_reached(tmp_path: Path, backend: str, runtime_folder: Path) -> None:
    """A socket under /run (where Docker's lives), an abstract one, and a datagram socket sent
    to from a socket pair (no socket() call needed)."""
    abstract = f"\0mcpward-escape-{os.urandom(4).hex()}"
    listeners = [
        Listener(socket.AF_UNIX, socket.SOCK_STREAM, str(runtime_folder / "service.sock")),
        Listener(socket.AF_UNIX, socket.SOCK_STREAM, abstract),
        Listener(socket.AF_UNIX, socket.SOCK_DGRAM, str(runtime_folder / "log.sock")),
    ]
    for name in ("service.sock", "log.sock"):
        (runtime_folder / name).chmod(0o777)  # whoever the server runs as
    try:
        attempts = [
            ("unix", str(runtime_folder / "service.sock")),
            ("unix", "@" + abstract[1:]),
            ("unix-datagram", str(runtime_folder / "log.sock")),
        ]
        outcomes, _ = sandboxed_series(tmp_path, *attempts, backend=backend)
        for attempt, outcome in zip(attempts, outcomes, strict=True):
            assert not outcome["ok"], (attempt, outcome)
    finally:
        for listener in listeners:
            listener.close()
    assert [listener.received for listener in listeners] == [[], [], []]


def test_no_host_process_is_read_or_signalled(tmp_path: Path, backend: str) -> None:
    """A host process (standing for the gateway, whose environment holds its secrets): its
    environment is not read and it is not killed."""
    secret = "ghp_" + os.urandom(16).hex()
    with subprocess.Popen(["sleep", "60"], env={"GITHUB_TOKEN": secret}) as host:
        try:
            pid = str(host.pid)
            (read, killed), _ = sandboxed_series(tmp_path, ("environ", pid), ("kill", pid), backend=backend)
            assert host.poll() is None, "the sandboxed server killed a host process"
        finally:
            host.kill()
    assert not read["ok"], read
    assert not killed["ok"], killed


@pytest.fixture
def host_shared_memory() -> Iterator[int]:
    """A System V shared memory segment of a host process, owner-only, holding a secret."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    key = int.from_bytes(os.urandom(3), "big") + 1
    segment = libc.shmget(key, 4096, 0o1000 | 0o2000 | 0o600)  # IPC_CREAT | IPC_EXCL
    assert segment >= 0, os.strerror(ctypes.get_errno())
    address = libc.shmat(segment, None, 0)
    ctypes.memmove(address, b"ghp_" + os.urandom(14).hex().encode(), 32)
    try:
        yield key
    finally:
        libc.shmdt(ctypes.c_void_p(address))
        libc.shmctl(segment, 0, None)  # IPC_RMID


def test_no_host_shared_memory_is_read(tmp_path: Path, backend: str, host_shared_memory: int) -> None:
    outcome, _ = sandboxed(tmp_path, "shared-memory", str(host_shared_memory), backend=backend)
    assert not outcome["ok"], outcome


def test_the_server_holds_no_capability(tmp_path: Path, backend: str) -> None:
    """As root, a server with capabilities (in its own user namespace or, with Landlock, the
    host's) can make namespaces, mounts, file capabilities and raise its own limits."""
    # Nor regains them in a user namespace of its own.
    (held, regained), _ = sandboxed_series(tmp_path, ("capabilities",), ("user-namespace",), backend=backend)
    assert not held["ok"], held
    assert not regained["ok"], regained


def test_the_kernels_other_entries_are_closed(tmp_path: Path, landlock: str) -> None:
    """io_uring makes sockets past seccomp; the i386 entry (int 0x80) has other syscall numbers
    that a filter reading x86_64's would let through (a datagram socket here)."""
    outcome, _ = sandboxed(tmp_path, "io_uring", backend=landlock)
    assert not outcome["ok"], outcome
    if os.uname().machine == "x86_64":
        outcome, _ = sandboxed(tmp_path, "i386-datagram", backend=landlock)
        assert not outcome["ok"], outcome


def test_landlock_refuses_a_kernel_without_scoping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without abstract-socket and signal scoping (Landlock ABI 6), the backend does not run
    weaker: it says why, and `sandbox check` says what each backend enforces."""
    from mcpward.sandbox import _landlock_launcher
    from mcpward.sandbox._backends.landlock import Landlock

    if Landlock().check().works:
        check = subprocess.run(
            [sys.executable, "-m", "mcpward", "sandbox", "check"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        (line,) = [text for text in check.stdout.decode().splitlines() if text.startswith("landlock:")]
        for enforced in ("abstract unix sockets", "signals", "capabilities", "io_uring"):
            assert enforced in line, line
    monkeypatch.setattr(_landlock_launcher, "abi", lambda: 5)
    availability = Landlock().check()
    assert not availability.works and "ABI 5" in availability.why and "6" in availability.why


def _as_nobody(program: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", str(program), "-u"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def shared_data_folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder that other users may traverse (a home with mode 755, as many are)."""
    folder = Path(f"/tmp/mcpward-data-{os.urandom(4).hex()}")
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    monkeypatch.setenv("MCPWARD_DATA_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_setuid_program_left_in_the_home_does_not_run_as_root_on_the_host(
    tmp_path: Path, backend: str, shared_data_folder: Path
) -> None:
    if os.geteuid() != 0:
        missing(backend, "the attack needs the sandbox run as root")
    (planted, directory, _), _ = sandboxed_series(
        tmp_path,
        ("setuid-copy", "~/x"),
        ("setgid-directory", "~/drop"),
        ("file-capability", "~/y"),
        backend=backend,
        server="notes",
    )
    from mcpward.sandbox import server_home

    home = server_home("notes")
    assert str(home).startswith(str(shared_data_folder))
    for path in (home / "x", home / "drop"):
        if path.exists():
            assert not path.stat().st_mode & (stat.S_ISUID | stat.S_ISGID), (path, oct(path.stat().st_mode))
    if (home / "y").exists():
        with pytest.raises(OSError):
            os.getxattr(home / "y", "security.capability")
    # The homes are reachable by their owner only, whatever is left in them.
    assert stat.S_IMODE(home.parent.stat().st_mode) & 0o077 == 0
    if (home / "x").exists():
        os.chmod(home, 0o755)  # noqa: S103 - as the attacker did from inside; its parent still holds
        ran = _as_nobody(home / "x")
        assert ran.stdout.strip() != "0", "a host user ran the server's program as root"
    assert planted["ok"] is False or not (home / "x").stat().st_mode & stat.S_ISUID
    assert directory["ok"] is False or not (home / "drop").stat().st_mode & stat.S_ISGID


def test_privilege_bits_left_in_a_home_are_stripped_after_a_run(
    tmp_path: Path, backend: str, shared_data_folder: Path
) -> None:
    """What an earlier run (or an older version) left in a home: a setuid and setgid program,
    a program with a file capability, and a link to a real setuid program on the host, which
    must not be touched through it."""
    import struct

    from mcpward.sandbox import server_home

    home = server_home("planted")
    home.mkdir(parents=True)
    shutil.copy("/usr/bin/id", home / "x")
    (home / "x").chmod(0o6755)
    shutil.copy("/usr/bin/id", home / "y")
    os.setxattr(home / "y", "security.capability", struct.pack("<5I", 0x02000001, 1 << 13, 0, 0, 0))
    host_program = tmp_path / "host-setuid"
    shutil.copy("/usr/bin/id", host_program)
    host_program.chmod(0o4755)
    (home / "link").symlink_to(host_program)
    sandboxed(tmp_path, "env", "HOME", backend=backend, server="planted")
    assert stat.S_IMODE((home / "x").stat().st_mode) == 0o755
    with pytest.raises(OSError):
        os.getxattr(home / "y", "security.capability")
    assert stat.S_IMODE(host_program.stat().st_mode) == 0o4755


def test_root_only_host_files_and_other_sockets_are_out_of_sight(tmp_path: Path, backend: str) -> None:
    """/etc/shadow (readable by its owner, root, capabilities or not) and a unix socket outside
    the runtime folders (under /var/tmp)."""
    shadow, _ = sandboxed(tmp_path, "read", "/etc/shadow", backend=backend)
    assert not shadow.get("content"), "the sandboxed server read /etc/shadow"  # refused, or empty
    folder = Path(f"/var/tmp/mcpward-escape-{os.urandom(4).hex()}")
    folder.mkdir()
    listener = Listener(socket.AF_UNIX, socket.SOCK_STREAM, str(folder / "service.sock"))
    try:
        outcome, _ = sandboxed(tmp_path, "unix", str(folder / "service.sock"), backend=backend)
    finally:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)
    assert not outcome["ok"] and listener.received == []


def test_the_servers_cannot_forge_the_sandboxs_reports(tmp_path: Path, backend: str) -> None:
    """DNS and file records come from the sandbox's own reporter, never from the server."""
    _, records = sandboxed_series(tmp_path, ("forge", "dns", "20"), ("forge", "file", "20"), backend=backend)
    assert not any(r.get("host") == "forged.attacker.example" for r in records), records[:3]
    assert not any(r.get("path") == "/etc/hostname" for r in records), records[:3]


@pytest.fixture(params=["bubblewrap", "podman", "docker"])
def traced(request: pytest.FixtureRequest) -> str:
    """The backends whose bridge traces file operations (strace) and reports them."""
    return _working(request, str(request.param))


def test_the_reports_are_bounded(tmp_path: Path, traced: str) -> None:
    """A flood of DNS queries for distinct names fills the audit log no further than a bound."""
    outcome, records = sandboxed(tmp_path, "dns-flood", "1500", backend=traced)
    assert outcome["ok"]
    assert 0 < len([r for r in records if r.get("method") == "DNS"]) <= 1000


def test_the_server_cannot_write_trace_lines_or_go_on_untraced(tmp_path: Path, traced: str) -> None:
    outcome, records = sandboxed(tmp_path, "forge-trace", backend=traced)
    assert not any(r.get("path") == "/etc/hostname" for r in records), records
    assert not outcome["ok"], outcome  # it holds no descriptor beyond its standard streams
    # Killing the tracer ends the sandbox (the tracer is the bridge's child): nothing after it.
    command = hostile_command(tmp_path, "stop-tracer", backend=traced, server="tracer")
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert b'"ok": true' not in result.stdout, result.stdout
    from mcpward.sandbox import server_home

    assert not (server_home("tracer") / "after-the-tracer").exists()
