"""The Landlock launcher (standard library only, run as ``python -I`` before the server): for
machines where user namespaces are refused. The server shares the host's network, process and
mount namespaces, so everything it could reach there is closed here, before it starts:

- resource limits, no new privileges, and no capabilities at all (bounding set, ambient set,
  securebits locked where it stays root);
- run by root, the server becomes the sandbox's own uid and gid, with no supplementary group
  (``identity`` in the spec), once Landlock is in force: file permissions then refuse it every
  root-only file of the host, wherever it is; the supervisor becomes the same uid (to take the
  server's socket) and undumpable (the server can neither read nor trace it);
- Landlock (ABI 6 and later): files limited to the given read-only and read-write trees, TCP
  connections to the egress proxy's port only, no abstract unix socket and no signal outside
  the sandbox (scoping), no ptrace of a process outside (which also guards /proc/PID/environ);
- a seccomp filter, an allow-list where it matters: connect() is decided by a supervisor
  outside the sandbox (Landlock rules a port, not an address: the proxy's port on any host
  would do), which connects the server's socket itself to the proxy's loopback address only;
  no listen() (it picks a port on every address without bind()); socket() makes IPv4 and IPv6
  TCP streams only (no UDP, MPTCP, SCTP, raw, packet, netlink or unix sockets: Landlock rules TCP alone and
  leaves named unix sockets open), socketpair() stream pairs only; no Fast Open sends (they
  connect without connect()); no io_uring (it makes sockets past seccomp), no ptrace-like or
  kernel-facing calls, no System V or POSIX IPC (the host's), no namespaces, no setuid or
  setgid mode bits; any other architecture's
  entry (i386's int 0x80, x32) kills the process;
- the launcher itself stays outside, as the server's parent and a child subreaper (``keep``):
  what the server leaves running ends with it, and with the run if the run is killed.

    python -I _landlock_launcher.py SPEC_JSON -- COMMAND ARGS...

The namespace backends' bridge runs it too, as ``--filter DESCRIPTORS -- COMMAND ARGS...``, for
the filter's other parts (no namespaces, setuid bits, io_uring, ptrace and the like) and a
Landlock domain of the server's own (no access to processes outside it, its tracer's memory
included) just before the server starts; DESCRIPTORS is ``-``, the tracer's output to close, or
that and, after a colon, the pipe to write the server's pid to for the bridge. Either way the
server's program alone gets the C library's variables held back from the programs before it.
"""

import contextlib
import ctypes
import errno
import json
import os
import resource
import select
import signal
import socket
import sys

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_PR_SET_NO_NEW_PRIVS, _PR_CAPBSET_DROP, _PR_SET_SECUREBITS, _PR_CAP_AMBIENT = 38, 24, 28, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_PR_SET_PDEATHSIG = 1
# NOROOT, NO_SETUID_FIXUP, KEEP_CAPS and NO_CAP_AMBIENT_RAISE, each with its lock: uid 0 never
# regains capabilities, at exec or otherwise.
_SECUREBITS_LOCKED_DOWN = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80
#: The Landlock ABI that scopes abstract unix sockets and signals.
REQUIRED_ABI = 6
# Filesystem rights by ABI version (each adds to the one before).
_FS_EXECUTE = 1 << 0
_FS_READ = _FS_EXECUTE | (1 << 2) | (1 << 3)  # EXECUTE, READ_FILE, READ_DIR
_FS_WRITE_V1 = (
    (1 << 1)
    | (1 << 4)
    | (1 << 5)
    | (1 << 6)
    | (1 << 7)
    | (1 << 8)
    | (1 << 9)
    | (1 << 10)
    | (1 << 11)
    | (1 << 12)
)
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPort(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def _shown(text: str) -> str:
    """A command's name for a line of standard error: as it is when plain printable ASCII, else
    escaped (``ascii``), so that a config's command holding an OSC 52 or a line break writes
    no clipboard and forges no line where the error is shown (this file imports no mcpward)."""
    return text if text.isascii() and text.isprintable() else ascii(text)


def abi() -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1)))


def restrict(read: list[str], write: list[str], connect_ports: list[int]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    version = abi()
    if version < REQUIRED_ABI:
        raise OSError(f"Landlock ABI {version} cannot scope sockets and signals ({REQUIRED_ABI} needed)")
    fs_write = _FS_WRITE_V1 | _FS_REFER | _FS_TRUNCATE | _FS_IOCTL_DEV
    attr = _RulesetAttr(
        _FS_READ | fs_write, _NET_BIND_TCP | _NET_CONNECT_TCP, _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
    )
    ruleset = libc.syscall(
        _CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0)
    )
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    for paths, rights in ((read, _FS_READ), (write, _FS_READ | fs_write)):
        for path in paths:
            try:
                descriptor = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            # Rights that only apply to directories are refused on a file.
            allowed = (
                rights if os.path.isdir(path) else rights & ((1 << 0) | (1 << 1) | (1 << 2) | _FS_TRUNCATE)
            )
            rule = _PathBeneath(allowed, descriptor)
            if (
                libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0))
                < 0
            ):
                raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
            os.close(descriptor)
    for port in connect_ports:
        port_rule = _NetPort(_NET_CONNECT_TCP, port)
        if libc.syscall(_ADD_RULE, ruleset, _RULE_NET_PORT, ctypes.byref(port_rule), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_add_rule port")
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
    if libc.syscall(_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) < 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    os.close(ruleset)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities() -> None:
    """Every capability, for this process and whatever it executes (uid 0 included)."""
    libc = ctypes.CDLL(None, use_errno=True)
    with open("/proc/sys/kernel/cap_last_cap") as text:
        last = int(text.read())
    privileged = _effective() != 0
    if privileged:
        for capability in range(last + 1):
            if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), f"prctl(CAPBSET_DROP, {capability})")
        if libc.prctl(_PR_SET_SECUREBITS, _SECUREBITS_LOCKED_DOWN, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(SET_SECUREBITS)")
    if libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(CAP_AMBIENT_CLEAR_ALL)")
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two 32-bit words
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    if _effective() != 0:
        raise OSError("capabilities remain after dropping them")


def become(identity: list[int] | None) -> None:
    """The sandbox's uid and gid, no supplementary group, for good (real, effective and saved;
    leaving uid 0 clears every capability), with the bounding set emptied first (while it
    still may be). Nothing when ``identity`` is None."""
    if identity is None:
        return
    uid, gid = identity
    libc = ctypes.CDLL(None, use_errno=True)
    with open("/proc/sys/kernel/cap_last_cap") as text:
        last = int(text.read())
    for capability in range(last + 1):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"prctl(CAPBSET_DROP, {capability})")
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
        raise OSError(f"could not become uid {uid} and gid {gid}")


def _effective() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("CapEff:", "CapPrm:")) and int(line.split()[1], 16):
                return 1
    return 0


# seccomp (classic BPF over struct seccomp_data: nr at 0, arch at 4, args[i] at 16 + 8 * i;
# the low 32-bit word of each argument, which is what the kernel reads for int arguments).
_SECCOMP_SET_MODE_FILTER = 1
_ALLOW, _KILL = 0x7FFF0000, 0x80000000  # SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS
_USER_NOTIF, _NEW_LISTENER = 0x7FC00000, 1 << 3  # SECCOMP_RET_USER_NOTIF, FILTER_FLAG_NEW_LISTENER
_ERRNO = 0x00050000
_LD, _JEQ, _JGE, _JSET, _RET, _AND = 0x20, 0x15, 0x35, 0x45, 0x06, 0x54
_X32_BIT = 0x40000000
_MSG_FASTOPEN = 0x20000000
_SET_ID_BITS = 0o6000  # S_ISUID | S_ISGID
_CREATES = 0o100 | 0o20000000  # O_CREAT | __O_TMPFILE: the calls whose mode argument counts
_NAMESPACES = 0x7E020080  # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
_AF_UNIX, _AF_INET, _AF_INET6 = 1, 2, 10
_SOCK_STREAM, _SOCK_SEQPACKET = 1, 5
_IPPROTO_TCP = 6


class _Arch:
    def __init__(self, audit: int, seccomp: int, numbers: dict[str, int], x32: bool) -> None:
        self.audit, self.seccomp, self.numbers, self.x32 = audit, seccomp, numbers, x32


# fmt: off
_X86_64 = {
    "socket": 41, "socketpair": 53, "connect": 42, "listen": 50, "sendto": 44, "sendmsg": 46,
    "sendmmsg": 307, "clone": 56,
    "clone3": 435, "chmod": 90, "fchmod": 91, "fchmodat": 268, "fchmodat2": 452, "open": 2,
    "openat": 257, "openat2": 437, "creat": 85, "mkdir": 83, "mkdirat": 258, "mknod": 133,
    "mknodat": 259, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "pidfd_getfd": 438, "kcmp": 312, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "keyctl": 250, "add_key": 248, "request_key": 249, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "unshare": 272, "setns": 308,
    "mount": 165, "umount2": 166, "pivot_root": 155, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "open_by_handle_at": 304, "iopl": 172, "ioperm": 173,
    "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65, "semctl": 66,
    "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "mq_open": 240,
    "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
    "mq_getsetattr": 245, "seccomp": 317,
}
_AARCH64 = {
    "socket": 198, "socketpair": 199, "connect": 203, "listen": 201, "sendto": 206, "sendmsg": 211,
    "sendmmsg": 269,
    "clone": 220, "clone3": 435, "fchmod": 52, "fchmodat": 53, "fchmodat2": 452, "openat": 56,
    "openat2": 437, "mkdirat": 34, "mknodat": 33, "ptrace": 117, "process_vm_readv": 270,
    "process_vm_writev": 271, "pidfd_getfd": 438, "kcmp": 272, "bpf": 280,
    "perf_event_open": 241, "userfaultfd": 282, "keyctl": 219, "add_key": 217,
    "request_key": 218, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442, "kexec_load": 104, "kexec_file_load": 294,
    "init_module": 105, "finit_module": 273, "delete_module": 106, "open_by_handle_at": 265,
    "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184,
    "mq_getsetattr": 185, "msgget": 186, "msgctl": 187, "msgrcv": 188, "msgsnd": 189, "semget": 190,
    "semctl": 191, "semtimedop": 192, "semop": 193, "shmget": 194, "shmctl": 195, "shmat": 196,
    "shmdt": 197, "seccomp": 277,
}
# fmt: on
#: Numbers of the calls the filter looks at (a name missing on an architecture, chmod or open
#: on aarch64, is simply not there to refuse), and whether x32's numbers exist beside them.
_ARCHES = {
    "x86_64": _Arch(0xC000003E, 317, _X86_64, x32=True),
    "aarch64": _Arch(0xC00000B7, 277, _AARCH64, x32=False),
}
SECCOMP_MACHINES = tuple(_ARCHES)
#: Refused outright: reading or steering other processes, kernel-facing facilities, io_uring,
#: namespaces and mounts, and System V and POSIX IPC (the host's: there is no IPC namespace).
# fmt: off
_REFUSED = (
    "listen", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "bpf",
    "perf_event_open",
    "userfaultfd", "keyctl", "add_key", "request_key", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "unshare", "setns", "mount", "umount2", "pivot_root", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "open_by_handle_at", "iopl", "ioperm",
    "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop", "msgget", "msgsnd",
    "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
    "mq_getsetattr",
)
# fmt: on
#: Not there, as far as the server can tell: clone3's flags are out of the filter's reach (in
#: memory), and openat2's mode too; C libraries then fall back to clone and openat.
_ABSENT = ("clone3", "openat2")
#: What the filter rules only where the server shares the host's network (Landlock; there, a
#: seccomp listener of its own would answer connect() past the supervisor).
_NETWORK_CALLS = ("connect", "listen", "socket", "socketpair", "sendto", "sendmsg", "sendmmsg", "seccomp")
#: Calls allowed or not by their arguments: the block of the filter that decides each.
# fmt: off
_CHECKED = {
    "connect": "supervised", "socket": "socket", "socketpair": "pair", "clone": "clone", "open": "open",
    "openat": "openat",
    "chmod": "mode1", "fchmod": "mode1", "fchmodat": "mode2", "fchmodat2": "mode2",
    "mkdir": "mode1", "mkdirat": "mode2", "mknod": "mode1", "mknodat": "mode2", "creat": "mode1",
    "sendto": "flags3", "sendmsg": "flags2", "sendmmsg": "flags3", "seccomp": "listener",
}
# fmt: on


def _arg(index: int) -> int:
    return 16 + 8 * index


def seccomp_program(machine: str, *, host_network: bool = True) -> list[tuple[int, int, int, int]]:
    """The filter for ``machine`` as (code, jt, jf, k) instructions. With ``host_network``
    False (a namespace backend: the server's network is its own, loopback only, where the
    bridge answers DNS over UDP), sockets and connect() are left alone."""
    arch = _ARCHES[machine]
    numbers = arch.numbers
    if not host_network:
        numbers = {name: number for name, number in numbers.items() if name not in _NETWORK_CALLS}
    # Written with labels (a bare string) and jumps to them ("" is the next instruction);
    # resolved below, each forward and within 255.
    code: list[str | tuple[int, str, str, int]] = [
        (_LD, "", "", 4), (_JEQ, "", "kill", arch.audit), (_LD, "", "", 0),
    ]  # fmt: skip
    if arch.x32:
        code.append((_JGE, "kill", "", _X32_BIT))
    code += [(_JEQ, "eperm", "", numbers[name]) for name in _REFUSED if name in numbers]
    code += [(_JEQ, "enosys", "", numbers[name]) for name in _ABSENT if name in numbers]
    code += [(_JEQ, label, "", numbers[name]) for name, label in _CHECKED.items() if name in numbers]
    # fmt: off
    code += [
        (_RET, "", "", _ALLOW),
        "supervised", (_RET, "", "", _USER_NOTIF),
        "socket", (_LD, "", "", _arg(0)), (_JEQ, "socket-type", "", _AF_INET),
        (_JEQ, "socket-type", "eacces", _AF_INET6),
        "socket-type", (_LD, "", "", _arg(1)), (_AND, "", "", 0xF), (_JEQ, "", "eacces", _SOCK_STREAM),
        (_LD, "", "", _arg(2)), (_JEQ, "allow", "", 0), (_JEQ, "allow", "eacces", _IPPROTO_TCP),
        "pair", (_LD, "", "", _arg(0)), (_JEQ, "", "eacces", _AF_UNIX),
        (_LD, "", "", _arg(1)), (_AND, "", "", 0xF), (_JEQ, "allow", "", _SOCK_STREAM),
        (_JEQ, "allow", "eacces", _SOCK_SEQPACKET),
        "clone", (_LD, "", "", _arg(0)), (_JSET, "eperm", "allow", _NAMESPACES),
        "open", (_LD, "", "", _arg(1)), (_JSET, "mode2", "allow", _CREATES),
        "openat", (_LD, "", "", _arg(2)), (_JSET, "", "allow", _CREATES),
        (_LD, "", "", _arg(3)), (_JSET, "eperm", "allow", _SET_ID_BITS),
        "mode1", (_LD, "", "", _arg(1)), (_JSET, "eperm", "allow", _SET_ID_BITS),
        "mode2", (_LD, "", "", _arg(2)), (_JSET, "eperm", "allow", _SET_ID_BITS),
        "flags2", (_LD, "", "", _arg(2)), (_JSET, "eperm", "allow", _MSG_FASTOPEN),
        "flags3", (_LD, "", "", _arg(3)), (_JSET, "eperm", "allow", _MSG_FASTOPEN),
        # A filter of the server's own may not take connect()'s notifications: with a listener
        # it could answer them "continue", past the supervisor (one listener a chain, ours).
        "listener", (_LD, "", "", _arg(1)), (_JSET, "eperm", "allow", _NEW_LISTENER),
        "allow", (_RET, "", "", _ALLOW),
        "eperm", (_RET, "", "", _ERRNO | errno.EPERM),
        "eacces", (_RET, "", "", _ERRNO | errno.EACCES),
        "enosys", (_RET, "", "", _ERRNO | errno.ENOSYS),
        "kill", (_RET, "", "", _KILL),
    ]
    # fmt: on
    labels: dict[str, int] = {}
    program: list[tuple[int, str, str, int]] = []
    for instruction in code:
        if isinstance(instruction, str):
            labels[instruction] = len(program)
        else:
            program.append(instruction)

    def offset(target: str, index: int) -> int:
        if not target:
            return 0
        jump = labels[target] - index - 1
        if not 0 <= jump <= 255:
            raise OSError(f"the seccomp filter cannot jump to {target}")
        return jump

    return [
        (opcode, offset(true, index), offset(false, index), constant)
        for index, (opcode, true, false, constant) in enumerate(program)
    ]


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def install_filter(*, host_network: bool = True) -> int:
    """Install the filter; its listener, for the supervisor of connect() (-1 without
    ``host_network``: nothing is handed to a supervisor then)."""
    machine = os.uname().machine
    if machine not in _ARCHES:
        raise OSError(f"the seccomp filter does not know the {machine} architecture")
    program = seccomp_program(machine, host_network=host_network)
    filters = (_SockFilter * len(program))(*(_SockFilter(*instruction) for instruction in program))
    prog = _SockFprog(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
    flags = _NEW_LISTENER if host_network else 0
    listener = libc.syscall(_ARCHES[machine].seccomp, _SECCOMP_SET_MODE_FILTER, flags, ctypes.byref(prog))
    if listener < 0:
        raise OSError(ctypes.get_errno(), "seccomp")
    return int(listener) if host_network else -1


# The supervisor of connect(): a process forked before any restriction (outside Landlock's
# domain: the server can neither signal nor trace it), given the filter's listener.
_NOTIF_RECV, _NOTIF_SEND, _NOTIF_ID_VALID = 0xC0502100, 0xC0182101, 0x40082102
_PIDFD_OPEN, _PIDFD_GETFD = 434, 438
_LOOPBACK_V4 = bytes([127, 0, 0, 1])
#: The proxy listens on 127.0.0.1 alone: as an IPv6 address, only its mapped form reaches it.
_LOOPBACK_V6 = (bytes(10) + b"\xff\xff" + _LOOPBACK_V4,)


class _Notification(ctypes.Structure):
    _fields_ = [
        ("id", ctypes.c_uint64),
        ("pid", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("nr", ctypes.c_int32),
        ("arch", ctypes.c_uint32),
        ("instruction_pointer", ctypes.c_uint64),
        ("args", ctypes.c_uint64 * 6),
    ]


class _Response(ctypes.Structure):
    _fields_ = [
        ("id", ctypes.c_uint64),
        ("val", ctypes.c_int64),
        ("error", ctypes.c_int32),
        ("flags", ctypes.c_uint32),
    ]


class _IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


def allowed_destination(address: bytes, port: int) -> bool:
    """The egress proxy's loopback address and port, and nothing else (AF_UNSPEC dissolves a
    connection, which reaches nothing)."""
    if len(address) < 2:
        return False
    family = int.from_bytes(address[:2], sys.byteorder)
    if family == socket.AF_UNSPEC:
        return True
    if family == socket.AF_INET and len(address) >= 8:
        return int.from_bytes(address[2:4], "big") == port and address[4:8] == _LOOPBACK_V4
    if family == socket.AF_INET6 and len(address) >= 24:
        return int.from_bytes(address[2:4], "big") == port and address[8:24] in _LOOPBACK_V6
    return False


def _connect_for(libc: ctypes.CDLL, listener: int, notification: _Notification, port: int) -> int:
    """Connect the server's socket to the address it gave, if allowed: with the address read
    once into our memory and the socket taken from it by pidfd_getfd, so that nothing the
    server changes after the check counts. The errno it sees (0: connected)."""
    descriptor, pointer, length = (
        notification.args[0] & 0xFFFFFFFF,
        notification.args[1],
        notification.args[2] & 0xFFFFFFFF,  # a socklen_t, as the kernel reads it
    )
    if not 2 <= length <= 128:
        return errno.EINVAL
    address = ctypes.create_string_buffer(int(length))
    local, remote = _IoVec(ctypes.addressof(address), length), _IoVec(pointer, length)
    if libc.process_vm_readv(notification.pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) != length:
        return errno.EFAULT
    if not allowed_destination(address.raw, port):
        return errno.EACCES
    try:
        with open(f"/proc/{notification.pid}/status") as status:
            group = next(int(line.split()[1]) for line in status if line.startswith("Tgid:"))
    except (OSError, StopIteration, ValueError):
        return errno.ESRCH
    pidfd = libc.syscall(_PIDFD_OPEN, group, 0)
    if pidfd < 0:
        return errno.ESRCH
    try:
        # Still the same blocked call: the process the pidfd names is the one that asked.
        if libc.ioctl(listener, _NOTIF_ID_VALID, ctypes.byref(ctypes.c_uint64(notification.id))) != 0:
            return errno.ESRCH
        theirs = libc.syscall(_PIDFD_GETFD, pidfd, descriptor, 0)
        if theirs < 0:
            return int(ctypes.get_errno()) or errno.EBADF
    finally:
        os.close(pidfd)
    try:
        return 0 if libc.connect(theirs, address, ctypes.c_uint32(length)) == 0 else int(ctypes.get_errno())
    finally:
        os.close(theirs)


def supervise(channel: socket.socket, port: int) -> None:
    """Receive the filter's listener, then answer each connect() until the server is gone."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)  # the server's standard streams are not held open by us
    try:
        _, descriptors, _, _ = socket.recv_fds(channel, 1, 1)
    except OSError:
        return
    channel.close()
    if not descriptors:
        return
    listener = descriptors[0]
    with contextlib.suppress(OSError):
        drop_capabilities()
    libc = ctypes.CDLL(None, use_errno=True)
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    while True:
        events = poller.poll()
        if not any(event & select.POLLIN for _, event in events):
            return  # POLLHUP: no process under the filter remains
        notification = _Notification()
        if libc.ioctl(listener, _NOTIF_RECV, ctypes.byref(notification)) != 0:
            continue  # the caller went (ENOENT), or a signal
        error = _connect_for(libc, listener, notification, port)
        response = _Response(notification.id, 0, -error if error else 0, 0)
        libc.ioctl(listener, _NOTIF_SEND, ctypes.byref(response))


def start_supervisor(port: int, identity: list[int] | None = None) -> socket.socket:
    """Fork the supervisor (detached, so the server need not reap it), as the server's uid if
    it has one of its own (taking a process's descriptor needs its uid), and undumpable; the
    channel to hand it the listener."""
    ours, theirs = socket.socketpair()
    middle = os.fork()
    if middle == 0:
        try:
            if os.fork() == 0:
                ours.close()
                ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
                become(identity)
                ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # again: a uid change resets it
                supervise(theirs, port)
        finally:
            os._exit(0)
    os.waitpid(middle, 0)
    theirs.close()
    return ours


#: The variables the C library acts on as a program starts (``LD_PRELOAD`` and the like), held
#: back from every program before the server (``interface.hold_back``), as one JSON object.
HELD_BACK = "MCPWARD_SANDBOX_SERVERS_LOADER"


def servers_environment() -> dict[str, str]:
    """The environment for the server's program, last, once every confinement is in force: ours,
    with what was held back set again (what it loads then runs as the server, inside). Before,
    the sandbox's own programs were given them too: a preloaded library ran on the host."""
    environment = dict(os.environ)
    try:
        held = json.loads(environment.pop(HELD_BACK, "{}"))
    except ValueError:
        held = {}
    if isinstance(held, dict):
        environment.update({str(name): str(value) for name, value in held.items()})
    return environment


def own_domain() -> None:
    """A Landlock domain of the server's own that allows every file operation: the kernel then
    refuses the server ptrace-like access to every process outside it. Under the namespace
    backends its tracer, strace, is its parent, of its uid, and outside the filter: the server
    opened ``/proc/<strace>/mem`` to write (no call the filter sees) and could have run code
    there. Nothing where the kernel has no Landlock (or a container's filter refuses it)."""
    if abi() < 1:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    attr = _RulesetAttr(_FS_EXECUTE, 0, 0)
    ruleset = libc.syscall(
        _CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0)
    )
    if ruleset < 0:
        return
    try:
        root = os.open("/", os.O_PATH | os.O_CLOEXEC)
        try:
            rule = ctypes.byref(_PathBeneath(_FS_EXECUTE, root))
            if libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, rule, ctypes.c_uint32(0)) < 0:
                return
        finally:
            os.close(root)
        libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        libc.syscall(_RESTRICT_SELF, ruleset, ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def filter_only(inherited: str, command: list[str]) -> None:
    """For the namespace backends (run by their bridge, last before the server): the filter
    without its network part, after closing a descriptor the server must not hold (the
    tracer's output, ``-`` for none; ``TRACE:ANNOUNCE``: and one to write our pid to, which is
    the server's, for the bridge to watch, then closed)."""
    trace, _, announce = inherited.partition(":")
    if trace != "-":
        os.close(int(trace))
    if announce:
        with contextlib.suppress(OSError):
            os.write(int(announce), str(os.getpid()).encode())
        os.close(int(announce))
    try:
        install_filter(host_network=False)
    except OSError as exc:
        sys.stderr.write(f"mcpward sandbox: the seccomp filter could not be installed: {exc}\n")
        sys.exit(126)
    own_domain()
    try:
        os.execvpe(command[0], command, servers_environment())  # noqa: S606 - the server's own argv, no shell
    except OSError as exc:
        sys.stderr.write(f"mcpward sandbox: cannot start {_shown(command[0])}: {exc.strerror}\n")
        sys.exit(127)


#: What the keeper asks for at the death of the `sandbox run` process (a signal the server
#: cannot send it: the keeper is outside the server's Landlock domain, which scopes signals).
_RUN_ENDED = signal.SIGUSR2
_PR_SET_CHILD_SUBREAPER = 36
#: How long a server asked to stop (SIGTERM, SIGINT, SIGHUP) may take before it is killed.
STOP_GRACE_SECONDS = 3.0
#: Rounds of ending the processes the keeper adopted (each ended one's children come next).
_MOST_ROUNDS = 200


def keep(server: int) -> None:
    """The server's parent for as long as it runs, outside its sandbox (no pid namespace here
    ends what it starts): a child subreaper, so that whatever the server leaves behind (a
    process in a session of its own) is adopted here, and ended with it. A stop from the run
    is passed on; when the run itself dies (killed outright), the server and everything
    adopted are killed at once. Before, the server was the process the run started, and one
    that ignored the SIGTERM asked for at the run's death, or had left a child, ran on."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    parent = os.getppid()
    for descriptor in (0, 1):  # the server's streams: their end is the server's alone
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, descriptor)
        os.close(null)

    def pass_on(signum: int, frame: object) -> None:
        with contextlib.suppress(OSError):
            os.kill(server, signum)
        # A server that ignores it is killed once the grace has passed (the run waited for it
        # for ever); what it adopted is ended then, as always.
        if not signal.getitimer(signal.ITIMER_REAL)[0]:
            signal.setitimer(signal.ITIMER_REAL, STOP_GRACE_SECONDS)

    def run_ended(signum: int, frame: object) -> None:
        with contextlib.suppress(OSError):
            os.kill(server, signal.SIGKILL)

    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, pass_on)
    signal.signal(_RUN_ENDED, run_ended)
    signal.signal(signal.SIGALRM, run_ended)
    libc.prctl(_PR_SET_PDEATHSIG, _RUN_ENDED, 0, 0, 0)
    if os.getppid() != parent:  # the run was gone already
        run_ended(_RUN_ENDED, None)
    status = 0
    while True:  # adopted processes that end meanwhile are reaped too (each would hold a pid)
        try:
            pid, ended = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == server:
            status = ended
            break
    _end_adopted()
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def _end_adopted() -> None:
    """Every process the keeper adopted, killed and reaped, and theirs in turn (bounded)."""
    mine = os.getpid()
    for _ in range(_MOST_ROUNDS):
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    with open(f"/proc/{entry}/stat") as handle:
                        fields = handle.read().rpartition(")")[2].split()
                    if int(fields[1]) == mine:
                        children.append(int(entry))
        if not children:
            return
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)


def main() -> None:
    separator = sys.argv.index("--")
    command = sys.argv[separator + 1 :]
    if sys.argv[1] == "--filter":
        filter_only(sys.argv[2], command)
    spec = json.loads(sys.argv[1])
    try:
        # Forked before the limits: a server must not wear the supervisor out (RLIMIT_CPU).
        identity = spec.get("identity")
        supervisor = start_supervisor(spec["connect_ports"][0] if spec["connect_ports"] else 0, identity)
        server = os.fork()
    except OSError as exc:
        sys.stderr.write(f"mcpward sandbox: the Landlock sandbox could not be set up: {exc}\n")
        sys.exit(126)
    if server != 0:
        supervisor.close()
        keep(server)
    for limit, value in (
        (resource.RLIMIT_CPU, spec["cpu_seconds"]),
        (resource.RLIMIT_FSIZE, spec["file_size_mb"] * 1024 * 1024),
        # Not as the sandbox's uid: RLIMIT_NPROC counts every process of the uid, every
        # sandboxed server's together (root's control groups limit each server's own).
        *([(resource.RLIMIT_NPROC, spec["processes"])] if spec.get("identity") is None else []),
        (resource.RLIMIT_CORE, 0),
    ):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(limit, (value, value))
    try:
        if identity is None:
            drop_capabilities()
            restrict(spec["read"], spec["write"], spec["connect_ports"])
        else:
            # Landlock first, as root (its rules are opened by the launcher, which may pass
            # folders the server's uid may not), then the server's uid, then no capability.
            parent = os.getppid()
            restrict(spec["read"], spec["write"], spec["connect_ports"])
            become(identity)
            drop_capabilities()
            # A change of uid clears the signal the gateway asked for at its death: again, and
            # gone at once if the gateway already is.
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
            if os.getppid() != parent:
                sys.exit(126)
        listener = install_filter()
        socket.send_fds(supervisor, [b"L"], [listener])
        os.close(listener)
        supervisor.close()
    except OSError as exc:
        sys.stderr.write(f"mcpward sandbox: the Landlock sandbox could not be set up: {exc}\n")
        sys.exit(126)
    try:
        os.execvpe(command[0], command, servers_environment())  # noqa: S606 - the server's own argv, no shell
    except OSError as exc:
        sys.stderr.write(f"mcpward sandbox: cannot start {_shown(command[0])}: {exc.strerror}\n")
        sys.exit(127)


if __name__ == "__main__":
    main()
