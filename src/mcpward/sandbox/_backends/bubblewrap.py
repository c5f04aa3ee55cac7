"""bubblewrap: new pid, network, ipc, uts and cgroup namespaces, and a user namespace when run
by an ordinary user; no capabilities (but the bridge's, to answer DNS on port 53 and, as root,
to become the sandbox's uid, which it drops before the server starts); the host's system folders
read-only and nothing else of the host's; every home hidden; a private /tmp and a writable
per-server home; the profile's mounts; a clean environment; dies with its parent.

Run by root, bubblewrap makes no user namespace: in one, the uid it maps (``--uid``) still
stands for root to the host kernel's permission checks (a server shown as uid 65534 inside
read a root-only 0600 file; tried on 2026-12-03), and only that one uid is mapped, so nothing
inside could become another. Without one, the bridge starts as root holding only the
capabilities below and starts the server as the sandbox's own uid (``server_identity``), which
the host kernel refuses every root-only file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from mcpward.sandbox._backends._layout import ENGINE_PATH, SYSTEM_FOLDERS, namespace_layout
from mcpward.sandbox._landlock_launcher import SECCOMP_MACHINES
from mcpward.sandbox.interface import Availability, Backend, Launch, Profile

#: ``--unshare-all`` but the user namespace (bubblewrap run by root).
_NAMESPACES_BUT_USER = (
    "--unshare-pid",
    "--unshare-net",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
)


class Bubblewrap(Backend):
    preference = 10
    name = "bubblewrap"

    def check(self) -> Availability:
        binary = shutil.which("bwrap", path=ENGINE_PATH)
        if binary is None:
            return Availability(False, "bwrap is not installed (Debian package bubblewrap)")
        if os.uname().machine not in SECCOMP_MACHINES:
            return Availability(
                False, f"the bridge's seccomp filter knows {' and '.join(SECCOMP_MACHINES)} only"
            )
        try:
            probe = subprocess.run(
                [binary, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--", "/bin/true"],
                capture_output=True,
                timeout=20,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Availability(False, f"bwrap did not run: {exc}")
        if probe.returncode != 0:
            reason = probe.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no reason given"]
            return Availability(False, f"the kernel refused the namespaces: {reason[0]}")
        return Availability(
            True,
            "user (but as root), pid, network, ipc and uts namespaces; no capabilities; seccomp: no user "
            "namespaces, setuid bits, io_uring or ptrace; of the host's files only its system folders, "
            "read-only; as root, the server runs as the sandbox's own uid",
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
        binary = shutil.which("bwrap", path=ENGINE_PATH) or "/usr/bin/bwrap"
        layout = namespace_layout(profile, argv, state=state, proxy_socket=proxy_socket, env=env)
        # No user namespace of its own inside either: the bridge's seccomp filter refuses it
        # (bwrap's --disable-userns puts the server in a namespace that does not own its
        # network, where the bridge could not answer DNS on port 53).
        if layout.identity is None:
            args = [binary, "--unshare-all", "--die-with-parent", "--new-session"]
        else:
            args = [binary, *_NAMESPACES_BUT_USER, "--die-with-parent", "--new-session"]
        # As root bwrap keeps every capability (in the sandbox's user namespace, or the host's
        # without one): none but what the bridge needs (port 53, the right to drop capabilities
        # for good and, as root, to become the sandbox's uid), which it drops before the server.
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_NET_BIND_SERVICE", "--cap-add", "CAP_SETPCAP"]
        if layout.identity is not None:
            # To enter the server's home (the sandbox's uid's own) and start there, and to
            # become that uid: the bridge drops the first before anything else runs.
            # and to pass a stop on to the server (another uid's process now).
            args += ["--cap-add", "CAP_DAC_READ_SEARCH", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            args += ["--cap-add", "CAP_KILL"]
        for folder in SYSTEM_FOLDERS:
            if os.path.islink(folder):  # /bin -> usr/bin
                args += ["--symlink", os.readlink(folder), folder]
            elif os.path.isdir(folder):
                args += ["--ro-bind", folder, folder]
        args += ["--ro-bind", "/sys", "/sys", "--dev", "/dev", "--proc", "/proc"]
        made: set[str] = set()
        for mount in layout.mounts:
            if layout.identity is not None:
                # bubblewrap makes the folders a mount needs 0700: the server's uid could not
                # pass them (to its interpreter, its program, the filter's launcher).
                for folder in layout.folders_for(mount):
                    if folder not in made:
                        made.add(folder)
                        args += ["--perms", "0755", "--dir", folder]
            if mount.source is None:
                args += [*(["--perms", "01777"] if mount.shared else []), "--tmpfs", mount.target]
            else:
                args += ["--bind" if mount.writable else "--ro-bind", mount.source, mount.target]
        args += ["--chdir", layout.home, "--", *layout.command]
        # bwrap passes its own environment on: exactly these variables, none on its command line.
        return Launch(argv=args, env=layout.environment)
