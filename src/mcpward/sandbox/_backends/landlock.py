"""Landlock, for machines where user namespaces are refused: the server runs as a process of
the user, but can read only the system folders, its interpreter and the profile's reads, write
only its private home and /tmp and the profile's writes (the user's home, keys and other
configs are out of reach), and open TCP connections only to the egress proxy's loopback port
(Landlock ABI 4 and later); a seccomp filter refuses UDP and raw sockets, so there is no DNS
either. Limits are rlimits (and control groups when root), as with bubblewrap."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from mcpward.sandbox._backends._layout import program_files
from mcpward.sandbox.interface import Availability, Backend, Launch, Profile, server_environment

LAUNCHER = Path(__file__).resolve().parents[1] / "_landlock_launcher.py"
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt", "/proc", "/sys", "/dev")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/tty")


class Landlock(Backend):
    name = "landlock"
    proxy_over_tcp = True

    def check(self) -> Availability:
        from mcpward.sandbox._landlock_launcher import abi

        if not sys.platform.startswith("linux"):
            return Availability(False, "Landlock is a Linux facility")
        version = abi()
        if version < 1:
            return Availability(False, "the kernel has no Landlock (or it is disabled)")
        if version < 4:
            return Availability(
                False, f"Landlock ABI {version} cannot restrict TCP connections (4 or later needed)"
            )
        if os.uname().machine not in ("x86_64", "aarch64"):
            return Availability(False, "the seccomp filter that closes UDP knows x86_64 and aarch64 only")
        return Availability(
            True, f"Landlock ABI {version} for files and TCP, seccomp for UDP and raw sockets"
        )

    def launch(
        self,
        profile: Profile,
        argv: list[str],
        *,
        state: Path,
        proxy_socket: Path,
        env: dict[str, str],
        proxy_port: int = 0,
    ) -> Launch:
        home, temporary = state / "home", state / "tmp"
        home.mkdir(parents=True, exist_ok=True)
        home = home.resolve()  # a named server's own home, kept between runs
        temporary.mkdir(parents=True, exist_ok=True)
        read = [*_SYSTEM, sys.base_prefix, sys.prefix, str(LAUNCHER.parent), *program_files(argv)]
        read += [str(path) for path in profile.files.read]
        write = [str(home), str(temporary), *_DEVICES, *(str(path) for path in profile.files.write)]
        limits = profile.limits
        spec = {
            "read": read,
            "write": write,
            "connect_ports": [proxy_port],
            "cpu_seconds": limits.cpu_seconds,
            "file_size_mb": limits.file_size_mb,
            "processes": limits.processes,
        }
        settings = server_environment(
            env,
            home=str(home),
            temporary=str(temporary),
            proxy_port=proxy_port,
            inspect_tls=profile.inspect.tls,
        )
        command = [sys.executable, "-I", str(LAUNCHER), json.dumps(spec), "--", *argv]
        return Launch(argv=command, env=settings)
