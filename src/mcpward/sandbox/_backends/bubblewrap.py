"""bubblewrap: new user, pid, network, ipc, uts and cgroup namespaces; no capabilities (but the
bridge's, to answer DNS on port 53, which it drops before the server starts); the host's system
folders read-only and nothing else of the host's; every home hidden; a private /tmp and a
writable per-server home; the profile's mounts; a clean environment; dies with its parent."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from mcpward.sandbox._backends._layout import SYSTEM_FOLDERS, namespace_layout
from mcpward.sandbox._landlock_launcher import SECCOMP_MACHINES
from mcpward.sandbox.interface import Availability, Backend, Launch, Profile


class Bubblewrap(Backend):
    name = "bubblewrap"

    def check(self) -> Availability:
        binary = shutil.which("bwrap")
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
            "user, pid, network, ipc and uts namespaces; no capabilities; seccomp: no user namespaces, "
            "setuid bits, io_uring or ptrace; of the host's files only its system folders, read-only, "
            "their private entries hidden",
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
        binary = shutil.which("bwrap") or "bwrap"
        layout = namespace_layout(profile, argv, state=state, proxy_socket=proxy_socket, env=env)
        # No user namespace of its own inside either: the bridge's seccomp filter refuses it
        # (bwrap's --disable-userns puts the server in a namespace that does not own its
        # network, where the bridge could not answer DNS on port 53).
        args = [binary, "--unshare-all", "--die-with-parent", "--new-session"]
        # As root bwrap keeps every capability in the sandbox's user namespace (mounts, file
        # capabilities, raised limits): none but what the bridge needs (port 53, and the right
        # to drop capabilities for good), which it drops before the server starts.
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_NET_BIND_SERVICE", "--cap-add", "CAP_SETPCAP"]
        for folder in SYSTEM_FOLDERS:
            if os.path.islink(folder):  # /bin -> usr/bin
                args += ["--symlink", os.readlink(folder), folder]
            elif os.path.isdir(folder):
                args += ["--ro-bind", folder, folder]
        args += ["--ro-bind", "/sys", "/sys", "--dev", "/dev", "--proc", "/proc"]
        for mount in layout.mounts:
            if mount.source is None:
                args += ["--tmpfs", mount.target]
            else:
                args += ["--bind" if mount.writable else "--ro-bind", mount.source, mount.target]
        args += ["--chdir", layout.home, "--", *layout.command]
        # bwrap passes its own environment on: exactly these variables, none on its command line.
        return Launch(argv=args, env=layout.environment)
