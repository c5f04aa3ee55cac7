"""The Landlock launcher (standard library only, run as ``python -I`` before the server): for
machines where user namespaces are refused. It sets resource limits and no-new-privileges,
restricts the filesystem to the given read-only and read-write trees and TCP connections to
the egress proxy's port (Landlock ABI 4 and later), refuses UDP and raw sockets with a seccomp
filter (so no DNS either), then executes the server.

    python -I _landlock_launcher.py SPEC_JSON -- COMMAND ARGS...
"""

import contextlib
import ctypes
import json
import os
import resource
import sys

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_PR_SET_NO_NEW_PRIVS = 38
# Filesystem rights by ABI version (each adds to the one before).
_FS_READ = (1 << 0) | (1 << 2) | (1 << 3)  # EXECUTE, READ_FILE, READ_DIR
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


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPort(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def abi() -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1)))


def restrict(read: list[str], write: list[str], connect_ports: list[int]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    version = abi()
    if version < 1:
        raise OSError("Landlock is not available")
    fs_write = _FS_WRITE_V1 | (_FS_REFER if version >= 2 else 0) | (_FS_TRUNCATE if version >= 3 else 0)
    fs_write |= _FS_IOCTL_DEV if version >= 5 else 0
    handled_net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if version >= 4 else 0
    attr = _RulesetAttr(_FS_READ | fs_write, handled_net)
    size = ctypes.sizeof(_RulesetAttr) if version >= 4 else 8
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
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
    if handled_net:
        for port in connect_ports:
            port_rule = _NetPort(_NET_CONNECT_TCP, port)
            if (
                libc.syscall(_ADD_RULE, ruleset, _RULE_NET_PORT, ctypes.byref(port_rule), ctypes.c_uint32(0))
                < 0
            ):
                raise OSError(ctypes.get_errno(), "landlock_add_rule port")
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
    if libc.syscall(_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) < 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    os.close(ruleset)


# seccomp: a filter that refuses IPv4 and IPv6 sockets other than TCP streams, so that UDP (and
# with it DNS) and raw sockets are closed where Landlock cannot reach (it rules TCP only).
_SECCOMP_SET_MODE_FILTER, _SECCOMP_RET_ALLOW, _SECCOMP_RET_ERRNO = 1, 0x7FFF0000, 0x00050000
_AUDIT_ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}  # (arch, __NR_socket)
_EACCES = 13


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def refuse_datagram_sockets() -> bool:
    """Install the filter; False where the architecture is not one it knows."""
    machine = os.uname().machine
    if machine not in _AUDIT_ARCH:
        return False
    arch, socket_nr = _AUDIT_ARCH[machine]
    ld, jeq, ret, alu_and = 0x20, 0x15, 0x06, 0x54  # BPF_LD|W|ABS, JMP|JEQ|K, RET|K, ALU|AND|K
    # seccomp_data: nr at 0, arch at 4, args[0] at 16, args[1] at 24 (low words, little-endian).
    program = [
        (ld, 0, 0, 4),
        (jeq, 1, 0, arch),
        (ret, 0, 0, _SECCOMP_RET_ALLOW),  # another arch: allow
        (ld, 0, 0, 0),
        (jeq, 1, 0, socket_nr),
        (ret, 0, 0, _SECCOMP_RET_ALLOW),  # not socket(): allow
        (ld, 0, 0, 16),
        (jeq, 2, 0, 2),
        (jeq, 1, 0, 10),
        (ret, 0, 0, _SECCOMP_RET_ALLOW),  # AF_INET(6) only
        (ld, 0, 0, 24),
        (alu_and, 0, 0, 0xF),
        (jeq, 1, 0, 1),  # SOCK_STREAM
        (ret, 0, 0, _SECCOMP_RET_ERRNO | _EACCES),
        (ret, 0, 0, _SECCOMP_RET_ALLOW),
    ]
    filters = (_SockFilter * len(program))(*(_SockFilter(*instruction) for instruction in program))
    prog = _SockFprog(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
    if (
        libc.syscall(317 if machine == "x86_64" else 277, _SECCOMP_SET_MODE_FILTER, 0, ctypes.byref(prog))
        != 0
    ):
        raise OSError(ctypes.get_errno(), "seccomp")
    return True


def main() -> None:
    separator = sys.argv.index("--")
    spec = json.loads(sys.argv[1])
    command = sys.argv[separator + 1 :]
    for limit, value in (
        (resource.RLIMIT_CPU, spec["cpu_seconds"]),
        (resource.RLIMIT_FSIZE, spec["file_size_mb"] * 1024 * 1024),
        (resource.RLIMIT_NPROC, spec["processes"]),
        (resource.RLIMIT_CORE, 0),
    ):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(limit, (value, value))
    try:
        restrict(spec["read"], spec["write"], spec["connect_ports"])
        refuse_datagram_sockets()
    except OSError as exc:
        sys.stderr.write(f"mcpward sandbox: Landlock could not be applied: {exc}\n")
        sys.exit(126)
    try:
        os.execvp(command[0], command)  # noqa: S606 - the server's own argv, no shell
    except OSError as exc:
        sys.stderr.write(f"mcpward sandbox: cannot start {command[0]}: {exc.strerror}\n")
        sys.exit(127)


if __name__ == "__main__":
    main()
