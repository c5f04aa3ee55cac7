"""What a server sees inside a namespace sandbox (bubblewrap, a container engine): the host's
system folders read-only (programs, libraries, configuration; nothing else of the host's), with
the files in them that other users may not read hidden, every home and runtime folder hidden, a
private /tmp and home, the profile's mounts, a resolver that points at the bridge, and the
bridge as the first process. Each such backend turns this one layout into its own command
line, so that they hide the same things (the Landlock backend grants the same system folders)."""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from mcpward.sandbox.interface import HIDDEN_FOLDERS, Profile, server_environment

BRIDGE = Path(__file__).resolve().parents[1] / "_bridge.py"
#: Inside the sandbox: where the proxy socket's folder is mounted, and the bridge's port.
SOCKET_DIR = "/run/mcpward"
PROXY_PORT = 3128
TEMPORARY = "/tmp"  # noqa: S108 - the sandbox's own, private and empty
#: The host's folders a server sees, read-only: what runs it. Not /var, /srv, /boot and the
#: like, where services keep their data and sockets (a root-only database, /var/tmp's sockets).
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
#: System folders that also hold secrets (shadow passwords, host keys, private TLS keys): the
#: entries in them that other users may not read are hidden (the server may run as root, the
#: owner of them all, who needs no capability to read them).
_SEARCHED_FOR_PRIVATE = ("/etc", "/opt", "/usr/local")


@dataclass(frozen=True, slots=True)
class Mount:
    """``source`` at ``target`` inside; no source is an empty, private tmpfs."""

    source: str | None
    target: str
    writable: bool = False


@dataclass(frozen=True, slots=True)
class Layout:
    #: In order: a later mount may sit inside an earlier one.
    mounts: tuple[Mount, ...]
    home: str
    environment: dict[str, str]
    #: The bridge, then the server's command.
    command: tuple[str, ...]


def namespace_layout(
    profile: Profile, argv: list[str], *, state: Path, proxy_socket: Path, env: dict[str, str]
) -> Layout:
    # The server's home is at the user's home's path (so configs that name it still work),
    # with the server's private home mounted there.
    home = Path(os.environ.get("HOME") or "/root")
    private_home = state / "home"
    private_home.mkdir(parents=True, exist_ok=True)
    private_home = private_home.resolve()  # a named server's own home, kept between runs
    hidden = [TEMPORARY, *HIDDEN_FOLDERS, str(home)]
    mounts = [Mount(None, f) for f in hidden if Path(f).is_dir() and not Path(f).is_symlink()]
    mounts.append(Mount(None, "/var/tmp"))  # noqa: S108 - private and empty, as /tmp
    empty = state / "empty"
    empty.touch(mode=0o444)
    mounts += [Mount(None if Path(path).is_dir() else str(empty), path) for path in private_files()]
    mounts.append(Mount(str(private_home), str(home), writable=True))
    # The interpreter the bridge needs, and the bridge, read-only (they may live in a home, so
    # these come after the home is replaced).
    bound = sorted({sys.base_prefix, sys.prefix, str(BRIDGE.parent)})
    mounts += [Mount(folder, folder) for folder in bound]
    # The program, and the script an interpreter is told to run, must be there for the server
    # to start at all: each one under a hidden folder is bound read-only by itself. Other paths
    # on the command line (data a server is pointed at) need the profile.
    for word in program_files(argv):
        seen = any(_under(word, root) for root in SYSTEM_FOLDERS) and not any(
            _under(word, root) for root in hidden
        )
        if (
            word.startswith("/")
            and Path(word).exists()
            and not seen
            and not any(_under(word, root) for root in bound)
        ):
            mounts.append(Mount(word, word))
    mounts += [Mount(str(path), str(path)) for path in profile.files.read]
    mounts += [Mount(str(path), str(path), writable=True) for path in profile.files.write]
    mounts.append(Mount(str(proxy_socket.parent), SOCKET_DIR))
    # Queries go to the bridge, which refuses them and has them recorded.
    resolver = state / "resolv.conf"
    resolver.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n", encoding="utf-8")
    mounts.append(Mount(str(resolver), "/etc/resolv.conf"))
    # A later mount at the same place covers an earlier one entirely (the private home over a
    # hidden /root): only the later is kept, which a container engine needs (it refuses two).
    last = {mount.target: index for index, mount in enumerate(mounts)}
    mounts = [mount for index, mount in enumerate(mounts) if last[mount.target] == index]
    environment = server_environment(
        env, home=str(home), temporary=TEMPORARY, proxy_port=PROXY_PORT, inspect_tls=profile.inspect.tls
    )
    limits = profile.limits
    command = (
        sys.executable,
        "-I",
        str(BRIDGE),
        f"{SOCKET_DIR}/{proxy_socket.name}",
        str(PROXY_PORT),
        str(limits.cpu_seconds),
        str(limits.file_size_mb),
        str(limits.processes),
        ":".join(hidden[1:]),  # where a missing file is worth reporting (it may exist outside)
        "--",
        *argv,
    )
    return Layout(tuple(mounts), str(home), environment, command)


def private_files() -> list[str]:
    """Entries of the searched system folders that other users may not read (a folder they may
    not enter counts as one, and is not looked into), sorted."""
    found = []
    for root in _SEARCHED_FOR_PRIVATE:
        for folder, folders, files in os.walk(root):
            for name in [*folders, *files]:
                path = os.path.join(folder, name)
                try:
                    mode = os.lstat(path).st_mode
                except OSError:
                    continue
                if stat.S_ISLNK(mode):
                    continue
                needed = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
                if mode & needed != needed:
                    found.append(path)
            folders[:] = [name for name in folders if os.path.join(folder, name) not in found]
    return sorted(found)


def readable_system_folders() -> list[str]:
    """The system folders as the fewest paths that cover them but their private entries (for
    a backend that grants paths rather than hides them: Landlock)."""
    private = set(private_files())

    def cover(path: str) -> list[str]:
        if path in private:
            return []
        if not any(_under(entry, path) for entry in private):
            return [path]
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return []
        return [part for name in names for part in cover(os.path.join(path, name))]

    return [part for root in SYSTEM_FOLDERS if os.path.exists(root) for part in cover(root)]


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


_INTERPRETERS = re.compile(r"^(python[0-9.]*|node|nodejs|deno|bun|ruby|perl|bash|sh)$")


def program_files(argv: list[str]) -> list[str]:
    files = argv[:1]
    if len(argv) > 1 and _INTERPRETERS.match(Path(argv[0]).name) and Path(argv[1]).is_file():
        files.append(argv[1])
    return files
