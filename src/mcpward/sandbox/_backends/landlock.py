"""Landlock, for machines where user namespaces are refused: the server runs as a process of
the user, in the host's namespaces, with no capabilities; it can read only the system folders
(their private entries excepted, as the namespace backends hide them), its interpreter and the
profile's reads, write only its private home and /tmp and the profile's writes (the user's home,
keys and other configs are out of reach), reach no abstract unix socket and signal no process
outside (Landlock ABI 6 and later); a seccomp filter allows IPv4 and IPv6 TCP streams as its
only sockets (no UDP, so no DNS, no MPTCP, raw, packet or unix sockets), no listen(), and hands
each connect() to a supervisor outside that connects only to the egress proxy's loopback
address and port; it also closes io_uring, ptrace and the like, other architectures' entries
and setuid bits (``_landlock_launcher.py``). Limits are rlimits (and control groups when root),
as with bubblewrap. Where the kernel lacks a part of this, the backend is unavailable and says
why: it never runs weaker.

Run by root, the server becomes the sandbox's own uid once Landlock is in force (file
permissions then refuse it every root-only file, so no folder is searched for them); it walks
the host's own paths, so the folders above its home, interpreter, program and mounts are made
passable to that uid alone (``_access``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mcpward.sandbox._access import open_to, passage_to
from mcpward.sandbox._backends._layout import program_files, readable_system_folders
from mcpward.sandbox.interface import (
    Availability,
    Backend,
    Launch,
    Profile,
    SandboxError,
    hand_over,
    server_environment,
    server_identity,
)

LAUNCHER = Path(__file__).resolve().parents[1] / "_landlock_launcher.py"
_KERNEL_VIEWS = ("/proc", "/sys")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/tty")
#: What the backend enforces, as ``sandbox check`` says it.
ENFORCES = (
    "files and TCP ports (Landlock ABI {abi}), abstract unix sockets and signals scoped, no "
    "capabilities; seccomp: IPv4/IPv6 TCP streams only (no UDP, DNS, MPTCP, raw, packet or unix "
    "sockets), each connection checked by a supervisor (the proxy's loopback address only), no "
    "listening, no io_uring, ptrace, host IPC, namespaces, setuid bits or foreign-architecture calls; "
    "as root, the server runs as the sandbox's own uid"
)


class Landlock(Backend):
    preference = 40
    name = "landlock"
    proxy_over_tcp = True

    def check(self) -> Availability:
        from mcpward.sandbox import _landlock_launcher as launcher

        if not sys.platform.startswith("linux"):
            return Availability(False, "Landlock is a Linux facility")
        version = launcher.abi()
        if version < 1:
            return Availability(False, "the kernel has no Landlock (or it is disabled)")
        if version < launcher.REQUIRED_ABI:
            return Availability(
                False,
                f"Landlock ABI {version} cannot keep a server from abstract unix sockets and from "
                f"signalling host processes (ABI {launcher.REQUIRED_ABI} or later needed)",
            )
        if os.uname().machine not in launcher.SECCOMP_MACHINES:
            return Availability(
                False, f"the seccomp filter knows {' and '.join(launcher.SECCOMP_MACHINES)} only"
            )
        try:
            identity = server_identity()
        except SandboxError as exc:
            return Availability(False, str(exc))
        # Tried for real: every part must hold (as root, becoming the sandbox's uid too), or the
        # backend is not offered. /proc as a launch grants it (the launcher reads it last).
        granted = [*readable_system_folders(), *_KERNEL_VIEWS]
        spec = json.dumps({"read": granted, "write": [], "connect_ports": [],
                           "cpu_seconds": 10, "file_size_mb": 1, "processes": 64,
                           "identity": None if identity is None else list(identity)})  # fmt: skip
        try:
            probe = subprocess.run(
                [sys.executable, "-I", str(LAUNCHER), spec, "--", "/bin/true"],
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Availability(False, f"the Landlock launcher did not run: {exc}")
        if probe.returncode != 0:
            lines = probe.stderr.decode("utf-8", "replace").strip().splitlines()
            return Availability(False, lines[-1] if lines else f"exit status {probe.returncode}")
        return Availability(True, ENFORCES.format(abi=version))

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
        identity = server_identity()
        if identity is not None:
            _open_to_server(identity, home, temporary, argv, profile)
        read = [*readable_system_folders(), *_KERNEL_VIEWS, sys.base_prefix, sys.prefix]
        read += [str(LAUNCHER.parent), *program_files(argv)]
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
            "identity": None if identity is None else list(identity),
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


def _open_to_server(
    identity: tuple[int, int], home: Path, temporary: Path, argv: list[str], profile: Profile
) -> None:
    """Run by root, the server is the sandbox's own uid and walks the host's paths (there is no
    mount namespace here): its home and temporary folder become its own, and it is given
    passage to them, to its interpreter and program, and to the profile's mounts, which are
    opened to it as the profile says (``_access``)."""
    for folder in (home, temporary):
        hand_over(folder, identity)
    reached = [home, temporary, Path(sys.base_prefix), Path(sys.prefix), *map(Path, program_files(argv))]
    for path in [*reached, *profile.files.read, *profile.files.write]:
        if Path(path).exists():
            passage_to(Path(path), identity[0])
    for path in profile.files.read:
        if path.exists():
            open_to(path, identity[0], write=False)
    for path in profile.files.write:
        if path.exists():
            open_to(path, identity[0], write=True)
