"""bubblewrap: new user, pid, network, ipc, uts and cgroup namespaces; the system read-only;
every home hidden; a private /tmp and a writable per-server home; the profile's mounts; a clean
environment; dies with its parent."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from mcpward.sandbox.interface import Availability, Backend, Launch, Profile, server_environment

BRIDGE = Path(__file__).resolve().parents[1] / "_bridge.py"
#: Inside the sandbox: where the proxy socket's folder is mounted, and the bridge's port.
SOCKET_DIR = "/run/mcpward"
PROXY_PORT = 3128


class Bubblewrap(Backend):
    name = "bubblewrap"

    def check(self) -> Availability:
        binary = shutil.which("bwrap")
        if binary is None:
            return Availability(False, "bwrap is not installed (Debian package bubblewrap)")
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
        return Availability(True, "user, pid, network, ipc and uts namespaces work")

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
        home = Path(os.environ.get("HOME") or "/root")
        private_home = state / "home"
        private_home.mkdir(parents=True, exist_ok=True)
        args = [binary, "--unshare-all", "--die-with-parent", "--new-session"]
        # A private, empty /tmp inside the sandbox (not the host's).
        args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]  # noqa: S108
        # Every home, and the runtime folders where sockets to other services live, hidden.
        hidden = ["/tmp", "/home", "/root", "/run", "/var/run", "/mnt", "/media", str(home)]  # noqa: S108
        for folder in hidden[1:]:
            if Path(folder).is_dir() and not Path(folder).is_symlink():
                args += ["--tmpfs", folder]
        args += ["--bind", str(private_home), str(home)]
        # The interpreter the bridge needs, and the bridge, read-only (they may live in a home,
        # so these come after the home is replaced).
        for needed in sorted({sys.base_prefix, sys.prefix, str(BRIDGE.parent)}):
            args += ["--ro-bind", needed, needed]
        # The program, and the script an interpreter is told to run, must be there for the
        # server to start at all: each one under a hidden folder is bound read-only by itself.
        # Other paths on the command line (data a server is pointed at) need the profile.
        bound = (sys.base_prefix, sys.prefix, str(BRIDGE.parent))
        for word in program_files(argv):
            if (
                word.startswith("/")
                and Path(word).exists()
                and any(_under(word, root) for root in hidden)
                and not any(_under(word, root) for root in bound)
            ):
                args += ["--ro-bind", word, word]
        for path in profile.files.read:
            args += ["--ro-bind", str(path), str(path)]
        for path in profile.files.write:
            args += ["--bind", str(path), str(path)]
        args += ["--ro-bind", str(proxy_socket.parent), SOCKET_DIR]
        # Queries go to the bridge, which refuses them and has them recorded.
        resolver = state / "resolv.conf"
        resolver.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n", encoding="utf-8")
        args += ["--ro-bind", str(resolver), "/etc/resolv.conf"]
        args += ["--clearenv", "--chdir", str(home)]
        # /tmp inside is the sandbox's private tmpfs; the bridge listens on PROXY_PORT inside.
        settings = server_environment(
            env,
            home=str(home),
            temporary="/tmp",  # noqa: S108
            proxy_port=PROXY_PORT,
            inspect_tls=profile.inspect.tls,
        )
        for name, value in sorted(settings.items()):
            args += ["--setenv", name, value]
        limits = profile.limits
        args += [
            "--",
            sys.executable,
            "-I",
            str(BRIDGE),
            f"{SOCKET_DIR}/{proxy_socket.name}",
            str(PROXY_PORT),
        ]
        args += [str(limits.cpu_seconds), str(limits.file_size_mb), str(limits.processes)]
        args += [":".join(folder for folder in hidden if folder != "/tmp"), "--", *argv]  # noqa: S108
        return Launch(argv=args, env={})


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


_INTERPRETERS = re.compile(r"^(python[0-9.]*|node|nodejs|deno|bun|ruby|perl|bash|sh)$")


def program_files(argv: list[str]) -> list[str]:
    files = argv[:1]
    if len(argv) > 1 and _INTERPRETERS.match(Path(argv[0]).name) and Path(argv[1]).is_file():
        files.append(argv[1])
    return files
