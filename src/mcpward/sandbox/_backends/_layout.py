"""What a server sees inside a namespace sandbox (bubblewrap, a container engine): the host's
system folders read-only (programs, libraries, configuration; nothing else of the host's), every
home and runtime folder hidden, a private /tmp and home, the profile's mounts, a resolver that
points at the bridge, and the bridge as the first process. Each such backend turns this one
layout into its own command line, so that they hide the same things (the Landlock backend
grants the same system folders).

Run by root, the server runs as the sandbox's own uid (``server_identity``): the bridge starts
as root without capabilities and drops to it before the server starts, and file permissions
refuse it every root-only file. Run by another user, the server is that user, and the entries
of /etc, /opt and /usr/local other users may not read (secrets that user's groups may open) are
hidden, as they always were."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from mcpward._regex import compiled
from mcpward.sandbox._access import open_to
from mcpward.sandbox.interface import HIDDEN_FOLDERS, Profile, hand_over, server_environment, server_identity

BRIDGE = Path(__file__).resolve().parents[1] / "_bridge.py"
#: Inside the sandbox: where the proxy socket's folder is mounted, and the bridge's port.
SOCKET_DIR = "/run/mcpward"
PROXY_PORT = 3128
TEMPORARY = "/tmp"  # noqa: S108 - the sandbox's own, private and empty
#: The host's folders a server sees, read-only: what runs it. Not /var, /srv, /boot and the
#: like, where services keep their data and sockets (a root-only database, /var/tmp's sockets).
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
#: Where the engines (``bwrap``, ``podman``, ``docker``, ``runc``) are looked for: never the
#: ``PATH`` the gateway was given, which a project's config entry sets (``./bin`` first, the
#: client starting it in the project's folder), so the repository's ``bin/bwrap`` ran as the
#: sandbox and started the server with no confinement.
ENGINE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/homebrew/bin"
#: System folders that also hold secrets (shadow passwords, host keys, private TLS keys): when
#: the server runs as an ordinary user, the entries in them that other users may not read are
#: hidden (that user's groups may open some). Never searched when root runs the sandbox: the
#: server's own uid is refused every root-only file, in these folders and everywhere else.
_SEARCHED_FOR_PRIVATE = ("/etc", "/opt", "/usr/local")


@dataclass(frozen=True, slots=True)
class Mount:
    """``source`` at ``target`` inside; no source is an empty, private tmpfs."""

    source: str | None
    target: str
    writable: bool = False
    #: A tmpfs every user may write (sticky, as /tmp is): the server may not be its owner.
    shared: bool = False


@dataclass(frozen=True, slots=True)
class Layout:
    #: In order: a later mount may sit inside an earlier one.
    mounts: tuple[Mount, ...]
    home: str
    environment: dict[str, str]
    #: The bridge, then the server's command.
    command: tuple[str, ...]
    #: The uid and gid the bridge starts the server as (None: the bridge's own).
    identity: tuple[int, int] | None = None

    def folders_for(self, mount: Mount) -> list[str]:
        """The folders above ``mount`` that the backend makes itself (on an empty tmpfs, not in
        a system folder, another mount or the home, which the layout prepared), outermost first."""
        targets = {m.target for m in self.mounts}
        above = [str(parent) for parent in reversed(Path(mount.target).parents) if str(parent) != "/"]
        return [
            folder
            for folder in above
            if folder not in targets
            and not any(_under(folder, root) for root in SYSTEM_FOLDERS)
            and not _under(folder, self.home)
        ]


def namespace_layout(
    profile: Profile, argv: list[str], *, state: Path, proxy_socket: Path, env: dict[str, str]
) -> Layout:
    # The server's home is at the user's home's path (so configs that name it still work),
    # with the server's private home mounted there.
    home = Path(os.environ.get("HOME") or "/root")
    private_home = state / "home"
    private_home.mkdir(parents=True, exist_ok=True)
    private_home = private_home.resolve()  # a named server's own home, kept between runs
    identity = server_identity()
    if identity is not None:
        hand_over(private_home, identity)
    hidden = [TEMPORARY, *HIDDEN_FOLDERS, str(home)]
    mounts = [
        Mount(None, f, shared=f == TEMPORARY) for f in hidden if Path(f).is_dir() and not Path(f).is_symlink()
    ]
    mounts.append(Mount(None, "/var/tmp", shared=True))  # noqa: S108 - private and empty, as /tmp
    if identity is None:
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
    if identity is not None:
        # The profile's mounts, each opened to the sandbox's uid as the profile says (``_access``).
        for path in profile.files.read:
            open_to(path, identity[0], write=False)
        for path in profile.files.write:
            open_to(path, identity[0], write=True)
    mounts.append(Mount(str(proxy_socket.parent), SOCKET_DIR))
    # Queries go to the bridge, which refuses them and has them recorded.
    resolver = state / "resolv.conf"
    resolver.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n", encoding="utf-8")
    mounts.append(Mount(str(resolver), "/etc/resolv.conf"))
    # A later mount at the same place covers an earlier one entirely (the private home over a
    # hidden /root): only the later is kept, which a container engine needs (it refuses two).
    last = {mount.target: index for index, mount in enumerate(mounts)}
    mounts = [mount for index, mount in enumerate(mounts) if last[mount.target] == index]
    if identity is not None:
        # The folders in the home that mounts inside it need (an interpreter under ~/.pyenv):
        # passable by the server's uid, whatever made them before.
        for mount in mounts:
            if _under(mount.target, str(home)) and mount.target != str(home):
                above = Path(os.path.relpath(mount.target, home)).parent
                if str(above) != ".":
                    passable_folders(private_home, above)
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
        "-" if identity is None else f"{identity[0]}:{identity[1]}",
        "--",
        *argv,
    )
    return Layout(tuple(mounts), str(home), environment, command, identity)


def passable_folders(home: Path, relative: Path) -> None:
    """The folders of ``relative`` in ``home``, made where missing and left 0755, by descriptor.
    What is in a server's home is the server's: a link, a file or a pipe where a folder goes is
    removed, never followed (root would otherwise change a host folder a server linked)."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    descriptor = os.open(home, flags)
    try:
        for name in relative.parts:
            try:
                inner = os.open(name, flags, dir_fd=descriptor)
            except FileNotFoundError:
                os.mkdir(name, 0o755, dir_fd=descriptor)
                inner = os.open(name, flags, dir_fd=descriptor)
            except OSError:  # ELOOP, ENOTDIR: not a folder
                os.unlink(name, dir_fd=descriptor)
                os.mkdir(name, 0o755, dir_fd=descriptor)
                inner = os.open(name, flags, dir_fd=descriptor)
            os.fchmod(inner, 0o755)
            os.close(descriptor)
            descriptor = inner
    finally:
        os.close(descriptor)


def write_in_home(home: Path, relative: Path, data: bytes) -> None:
    """``data`` into the file ``relative`` in a server's ``home`` (0644), by descriptor: a link,
    a pipe or anything but a plain file there, or on the way, is replaced, never followed."""
    passable_folders(home, relative.parent)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    folder = os.open(os.path.join(home, relative.parent), flags)
    try:
        opening = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        for _ in range(2):
            try:
                descriptor = os.open(relative.name, opening, 0o644, dir_fd=folder)
            except OSError:  # a link (ELOOP), a folder, a socket: removed, then made afresh
                with contextlib.suppress(IsADirectoryError, OSError):
                    os.unlink(relative.name, dir_fd=folder)
                with contextlib.suppress(OSError):
                    os.rmdir(relative.name, dir_fd=folder)
                continue
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # a pipe opened for writing
                os.close(descriptor)
                os.unlink(relative.name, dir_fd=folder)
                continue
            with os.fdopen(descriptor, "wb") as handle:
                os.fchmod(handle.fileno(), 0o644)
                handle.write(data)
            return
        raise OSError(f"cannot write {relative} in the server's home")
    finally:
        os.close(folder)


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
    a backend that grants paths rather than hides them: Landlock); all of each when the server
    runs as the sandbox's own uid, which file permissions keep from those entries."""
    if server_identity() is not None:
        return [root for root in SYSTEM_FOLDERS if os.path.exists(root)]
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


_INTERPRETERS = compiled(r"^(python[0-9.]*|node|nodejs|deno|bun|ruby|perl|bash|sh)$")


def program_files(argv: list[str]) -> list[str]:
    files = argv[:1]
    if len(argv) > 1 and _INTERPRETERS.match(Path(argv[0]).name) and Path(argv[1]).is_file():
        files.append(argv[1])
    return files
