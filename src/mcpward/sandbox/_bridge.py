"""The sandbox's first process (standard library only: it runs inside, from a read-only bind).

It listens on a loopback port inside the sandbox's empty network namespace and forwards each
connection to the egress proxy's unix socket, bind-mounted from the host: the only way out.
Before anything else it opens the sandbox's report channel (``report.sock`` beside the proxy's
socket): the proxy takes the first connection only, so that DNS and file records come from the
bridge and never from the server, which starts later. Then it drops every capability (it may
have kept one to answer DNS on port 53) and makes itself undumpable (the server, same uid,
cannot trace it or take its descriptors), sets the resource limits, starts the server with the
seccomp filter of ``_landlock_launcher.py --filter`` (no user namespaces, setuid bits, io_uring,
ptrace and the like) and the given environment (standard input and output are the gateway's),
waits for it (by the pid the filter's launcher writes to it: strace outlasts a server that left
a process running), ends whatever else runs in the sandbox and exits with its status. A stop
(SIGTERM, SIGINT, SIGHUP) is passed on; past a grace of 3 s everything in the sandbox is killed.

    python -I _bridge.py SOCKET PORT CPU_SECONDS FILE_MB PROCESSES HIDDEN IDENTITY -- COMMAND ARGS...

HIDDEN is ``-``, or the folders the sandbox hides, colon-separated: file operations are then
traced (strace, where it works) and refused ones reported. IDENTITY is ``-``, or ``UID:GID``:
the server (and its tracer) then run as that uid and gid with no supplementary groups, while
the bridge stays the root it started as, keeping only CAP_KILL once the server has started (to
pass a stop on to it; the bridge's pid namespace holds nothing else). It starts with
CAP_DAC_READ_SEARCH too, to enter the server's home and the folders its interpreter is in, and
drops it before anything else, keeping CAP_SETUID and CAP_SETGID for the server's start.
"""

import contextlib
import ctypes
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time


def _shown(text: str) -> str:
    """A command's name for a line of standard error: as it is when plain printable ASCII, else
    escaped (``ascii``), so that a config's command holding an OSC 52 or a line break writes
    no clipboard and forges no line where the error is shown (this file imports no mcpward)."""
    return text if text.isascii() and text.isprintable() else ascii(text)


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _serve(listener: socket.socket, path: str) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(path)
        except OSError:
            client.close()
            continue
        threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()


class _Reports:
    """The report channel to the egress proxy: one connection, opened before the server runs,
    held by the bridge alone (not inherited), one record a line."""

    def __init__(self, path: str) -> None:
        self._channel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._channel.connect(path)
        self._lock = threading.Lock()

    def send(self, verb: str, text: str) -> None:
        printable = "".join(c if " " <= c < "\x7f" else "?" for c in text)
        with self._lock, contextlib.suppress(OSError):
            self._channel.sendall(f"{verb} {printable}\n".encode("ascii", "replace"))


def _resolver() -> socket.socket | None:
    try:
        resolver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        resolver.bind(("127.0.0.1", 53))
    except OSError:
        return None  # not allowed to bind here: queries then simply fail
    return resolver


def _report_dns(resolver: socket.socket, reports: _Reports) -> None:
    """Answer every DNS query inside the sandbox with REFUSED, and tell the egress proxy which
    name was asked for, so that the attempt is in the audit log."""
    asked: set[str] = set()
    while True:
        try:
            query, client = resolver.recvfrom(4096)
        except OSError:
            return
        if len(query) < 12:
            continue
        labels: list[str] = []
        position = 12
        while position < len(query) and query[position] and len(labels) < 64:
            length = query[position]
            labels.append(query[position + 1 : position + 1 + length].decode("ascii", "replace"))
            position += 1 + length
        name = ".".join(labels)[:253]
        flags = 0x8000 | (query[2] & 0x01) << 8 | 5  # a response, recursion as asked, REFUSED
        answer = (
            query[:2] + flags.to_bytes(2, "big") + query[4:6] + b"\0\0\0\0\0\0" + query[12 : position + 5]
        )
        with contextlib.suppress(OSError):
            resolver.sendto(answer, client)
        if name not in asked and len(asked) < _MOST_REPORTS:  # each name once, and bounded
            asked.add(name)
            reports.send("DNS", name)


#: CAP_SETGID and CAP_SETUID: what the bridge keeps to start the server as the sandbox's uid.
_SET_IDS = (1 << 6) | (1 << 7)
#: CAP_KILL: what it keeps then, to pass a stop on to the server (another uid's process; the
#: bridge's pid namespace holds nothing but the sandbox's processes).
_KILL = 1 << 5


def _drop_capabilities(keep: int = 0) -> None:
    """Every capability (but ``keep``, a mask of the first 32), for the bridge (this thread,
    whose children the server and strace are) and whatever it executes, uid 0 included; the
    bridge undumpable. What is kept is neither inheritable nor in the bounding set: an exec as
    another uid ends it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    with open("/proc/sys/kernel/cap_last_cap") as text:
        last = int(text.read())
    for capability in range(last + 1):
        libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP (refused without CAP_SETPCAP)
    libc.prctl(28, 0xEF, 0, 0, 0)  # PR_SET_SECUREBITS: NOROOT, NO_SETUID_FIXUP, ..., locked
    libc.prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    if libc.capset(header, (ctypes.c_uint32 * 6)(keep, keep, 0, 0, 0, 0)) != 0:
        raise OSError(ctypes.get_errno(), "capset")


_MOST_REPORTS = 1000

#: File operations traced (strace's names); a failure of one is a refused read or write.
_TRACED = (
    "open,openat,openat2,creat,mkdir,mkdirat,unlink,unlinkat,rename,renameat,renameat2,truncate,"
    "link,linkat,symlink,symlinkat,chmod,fchmodat"
)
_FAILED = re.compile(r'^\d+\s+(\w+)\((?:AT_FDCWD, |\d+, )?"((?:[^"\\]|\\.)*)"(.*)\) = -1 (E[A-Z]+)')
_REFUSED = ("EROFS", "EACCES", "EPERM")


def _traced(
    command: list[str], hidden: list[str], reports: _Reports
) -> tuple[list[str], tuple[int, ...], list[threading.Thread], tuple[int, int] | None]:
    """``command`` under strace, its failed file operations reported to the egress proxy (so
    that refused reads and writes reach the audit log): refusals (read-only, permission), and
    missing files under the folders the sandbox hides (the proxy keeps those that exist on the
    host: a planted key, a config). Also the descriptor strace writes to, for the server's
    start to pass on, and the pipe the server's pid comes by (its reading and writing ends).
    Without a working strace, ``command`` under the filter only."""
    strace = shutil.which("strace", path="/usr/bin:/bin")
    if strace is None or subprocess.run([strace, "-qq", "-e", "trace=none", "true"],
                                        capture_output=True, check=False).returncode != 0:  # fmt: skip
        return _filtered(command), (), [], None
    reading, writing = os.pipe()
    # strace opens it again by /proc/self/fd: as the sandbox's uid it may not open the bridge's
    # pipe (root's, 0600) unless others may write it (it is reachable by no other path).
    os.fchmod(writing, 0o602)
    reader = threading.Thread(target=_report_files, args=(reading, hidden, reports), daemon=True)
    # -I 2: strace passes a terminating signal on to the server and goes (with output to a
    # file it would otherwise ignore every such signal, and the server would outlive a stop).
    output = f"/proc/self/fd/{writing}"
    # strace's children would inherit the pipe's end (it is passed to strace open): the filter
    # closes it before the server starts, so that the server cannot write trace lines.
    traced = [strace, "-f", "--seccomp-bpf", "-Z", "-qq", "-I", "2", "-e", f"trace={_TRACED}",
              "-e", "signal=none", "-s", "4096", "-o", output, "--"]  # fmt: skip
    # The filter's launcher writes its pid (the server's, once it executes it) to the second
    # pipe and closes it: strace ends only once every process it traces has, so the server's
    # own end is watched (``_announced``).
    announced, announcing = os.pipe()
    filtered = _filtered(command, f"{writing}:{announcing}")
    return [*traced, *filtered], (writing,), [reader], (announced, announcing)


def _filtered(command: list[str], inherited: str = "-") -> list[str]:
    """``command`` under the sandbox's seccomp filter (``_landlock_launcher.py --filter``): no
    user namespace of its own, no setuid or setgid bits, no io_uring, ptrace and the like;
    installed after strace attaches (it traces with ptrace)."""
    launcher = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_landlock_launcher.py")
    return [sys.executable, "-I", launcher, "--filter", inherited, "--", *command]


def _report_files(descriptor: int, hidden: list[str], reports: _Reports) -> None:
    seen: set[tuple[str, str, str]] = set()
    with os.fdopen(descriptor, "rb") as lines:
        for raw in lines:
            match = _FAILED.match(raw.decode("utf-8", "replace"))
            if match is None or len(seen) >= _MOST_REPORTS:
                continue
            syscall, name, rest, error = match.groups()
            if error not in _REFUSED and not (
                error == "ENOENT" and any(name == root or name.startswith(root + "/") for root in hidden)
            ):
                continue
            writes = not syscall.startswith("open") or any(
                f in rest for f in ("O_WRONLY", "O_RDWR", "O_CREAT")
            )
            key = (name, error, "write" if writes else "read")
            if key in seen:
                continue
            seen.add(key)
            report = json.dumps({"operation": key[2], "call": syscall, "path": name, "error": error})
            reports.send("FILE", report)


def main() -> None:
    separator = sys.argv.index("--")
    path, port, cpu, file_mb, processes, hidden, identity_text = sys.argv[1:separator]
    identity = None if identity_text == "-" else tuple(int(part) for part in identity_text.split(":"))
    command = sys.argv[separator + 1 :]
    try:
        reports = _Reports(os.path.join(os.path.dirname(path), "report.sock"))
    except OSError as exc:
        sys.stderr.write(f"mcpward sandbox: the report channel could not be opened: {exc.strerror}\n")
        sys.exit(126)
    resolver = _resolver()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(port)))
    listener.listen(128)
    # Before any thread starts: each inherits the capabilities of the thread that made it (the
    # threads start once the last is gone).
    try:
        _drop_capabilities(_SET_IDS | _KILL if identity is not None else 0)
    except OSError as exc:
        sys.stderr.write(f"mcpward sandbox: capabilities could not be dropped: {exc}\n")
        sys.exit(126)
    threads: list[threading.Thread] = []
    passed: tuple[int, ...] = ()
    announcement: tuple[int, int] | None = None
    if hidden not in ("-", ""):
        command, passed, threads, announcement = _traced(command, hidden.split(":"), reports)
    else:
        command = _filtered(command)
    #: The trace reader: what strace wrote before the server ended is reported before we exit.
    tracing = list(threads)
    threads.append(threading.Thread(target=_serve, args=(listener, path), daemon=True))
    if resolver is not None:
        threads.append(threading.Thread(target=_report_dns, args=(resolver, reports), daemon=True))
    for limit, value in (
        (resource.RLIMIT_CPU, int(cpu)),
        (resource.RLIMIT_FSIZE, int(file_mb) * 1024 * 1024),
        # Not as the sandbox's uid: RLIMIT_NPROC counts every process of the uid, every
        # sandboxed server's together (root's control groups limit each server's own).
        *([(resource.RLIMIT_NPROC, int(processes))] if identity is None else []),
        (resource.RLIMIT_CORE, 0),
    ):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(limit, (value, value))
    # The sandbox's uid and gid, no supplementary group (root's would open files to it).
    as_identity = {} if identity is None else {"user": identity[0], "group": identity[1], "extra_groups": []}
    try:
        server = subprocess.Popen(  # type: ignore[call-overload]
            command, pass_fds=(*passed, *(announcement[1:] if announcement else ())), **as_identity
        )
    except OSError as exc:
        sys.stderr.write(f"mcpward sandbox: cannot start {_shown(command[0])}: {exc.strerror}\n")
        sys.exit(127)
    if identity is not None:
        try:
            _drop_capabilities(_KILL)
        except OSError as exc:
            server.kill()
            sys.stderr.write(f"mcpward sandbox: capabilities could not be dropped: {exc}\n")
            sys.exit(126)
    for thread in threads:
        thread.start()

    if announcement is not None:
        os.close(announcement[1])  # the launcher's alone: its exit is read as the end too

    def forward(signum: int, frame: object) -> None:
        with contextlib.suppress(OSError):
            server.send_signal(signum)
        # A server that ignores it is ended once the grace has passed, with all it started:
        # the run waited for it for ever.
        if not signal.getitimer(signal.ITIMER_REAL)[0]:
            signal.setitimer(signal.ITIMER_REAL, _STOP_GRACE_SECONDS)

    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, forward)
    signal.signal(signal.SIGALRM, lambda signum, frame: _end_the_rest(keep=()))
    if announcement is not None:
        # strace ends once every process it traces has: the server's end is watched instead.
        watched = _announced(announcement[0])
        if watched is not None:
            _wait_for(watched)
            _end_the_rest(keep=(server.pid,))
    status = server.wait()
    _end_the_rest(keep=())
    # Our end of the trace pipe is the last writer once strace is gone: closed, the reader sees
    # the end of what strace wrote. Exiting at once lost the last refusals under load.
    for descriptor in passed:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    for reader in tracing:
        reader.join(timeout=_DRAIN_SECONDS)
    sys.exit(status)


def _announced(reading: int) -> int | None:
    """The server's pid, as the filter's launcher wrote it before it executed the server (None
    if it wrote none: it could not start)."""
    try:
        # One read: strace holds the pipe's other end too, until it ends (the launcher writes
        # its pid at once, or has ended without, and strace with it).
        text = os.read(reading, 32).strip()
    finally:
        os.close(reading)
    return int(text) if text.isdigit() else None


def _ended(pid: int) -> bool:
    with contextlib.suppress(OSError, IndexError), open(f"/proc/{pid}/stat") as text:
        return text.read().rpartition(")")[2].split()[0] in ("Z", "X")
    return True


def _wait_for(pid: int) -> None:
    """Until ``pid`` (not our child: we cannot wait for it) has ended."""
    try:
        handle = os.pidfd_open(pid)
    except OSError:
        return  # gone already
    try:
        select.select([handle], [], [])  # readable once it has exited
    finally:
        os.close(handle)


def _end_the_rest(keep: tuple[int, ...]) -> None:
    """Every process in the sandbox killed but this bridge, the pid namespace's init and
    ``keep`` (strace, which then ends as the last it traced does), in rounds (bounded): what the
    server left running (a process in a session of its own) kept bubblewrap's init, which waits
    for every process, and so the run, alive after the server had ended. Only in a pid namespace
    of its own, where the bridge is its first process or bubblewrap's init's child."""
    mine = os.getpid()
    if mine > 2:
        return
    spared = {1, mine, *keep}
    for _ in range(_MOST_ROUNDS):
        others = [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and int(entry) not in spared]
        living = [pid for pid in others if not _ended(pid)]
        if not living:
            return
        for pid in living:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


#: Rounds of killing what the server left (each killed one's children may come next).
_MOST_ROUNDS = 200
#: How long a server asked to stop may take before it is ended, with all it started.
_STOP_GRACE_SECONDS = 3.0
#: How long the trace lines left in the pipe may take to be reported once the server ended.
_DRAIN_SECONDS = 5.0


if __name__ == "__main__":
    main()
