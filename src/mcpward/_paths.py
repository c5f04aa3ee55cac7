"""Where mcpward keeps refreshed data (advisories, official package lists), and how it writes
the files only their owner may read."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path


def user_data_dir() -> Path:
    """``MCPWARD_DATA_DIR``, else the platform's user data folder."""
    override = os.environ.get("MCPWARD_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir as platform_data_dir

    return Path(platform_data_dir("mcpward", appauthor=False))


def user_cache_dir() -> Path:
    """``MCPWARD_CACHE_DIR``, else the platform's user cache folder: what can be made again."""
    override = os.environ.get("MCPWARD_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir as platform_cache_dir

    return Path(platform_cache_dir("mcpward", appauthor=False))


def write_owner_only(path: Path, data: bytes) -> None:
    """``data`` into ``path``, readable by its owner only before the first byte is written (a
    file that existed with a looser mode is narrowed too, not only a new one)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(data)


def keep_owner_only(path: Path, data: bytes) -> None:
    """Keep ``data`` as ``path`` (its folder made if missing), a file only its owner may read,
    replaced whole (see ``replace_whole``). A cache file was written through
    ``NAME.<pid>.tmp``, and where another user may write the folder (a cache folder set to a
    shared place) a link planted under that name made the write overwrite, and narrow, whatever
    file of the user's it pointed to. What cannot be written (a read-only home) is not kept:
    the caller makes it anew next time."""
    with contextlib.suppress(OSError):
        replace_whole(path, data)


def replace_whole(target: Path, data: bytes, mode: int = 0o600, owner: tuple[int, int] | None = None) -> Path:
    """``data`` as ``target`` with ``mode`` (and ``owner``, uid and gid, when given) (its folder
    made if missing), replaced whole: written under a name made anew beside it (``O_EXCL``,
    never through a link), synced, then moved into place; on any failure nothing is left
    behind and the old file stands. A device, FIFO or socket at ``target`` is refused: moved
    over, ``-o /dev/full`` replaced the device itself."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        kind = os.lstat(target).st_mode
        if not (stat.S_ISREG(kind) or stat.S_ISLNK(kind) or stat.S_ISDIR(kind)):
            raise OSError(errno.EINVAL, "not a regular file", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if owner is not None:
            os.chown(partial, *owner)
        os.chmod(partial, mode)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    return target


@contextlib.contextmanager
def exclusive_lock(path: Path, wait: float) -> Iterator[None]:
    """Hold an advisory lock on the file ``path`` (made owner-only if missing, never through a
    link) for one read-modify-write across processes; ``TimeoutError`` when another process
    holds it for more than ``wait`` seconds (a run that hangs must not hang every later one).
    Closing the file releases the lock, also when the holder dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(descriptor):
            if time.monotonic() >= deadline:
                raise TimeoutError(errno.EAGAIN, f"{path} is held by another process")
            time.sleep(0.05)
        yield
    finally:
        os.close(descriptor)


def _try_lock(descriptor: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
            return False
        raise
    return True


def read_own(path: Path, limit: int | None = None) -> bytes | None:
    """The bytes of ``path`` (at most ``limit``) if it is a regular file of this user's that no
    one else may write, else None (absent too). For what mcpward keeps to read back (a compiled
    pattern database, a container engine's probe): where the folder is shared, another user's
    file there must not be taken for one's own (a Hyperscan database that matches nothing blinds
    the checks that use it). Checked on the open descriptor, so a file swapped in between
    counts as what was read. Opened without blocking and without following a link as the last
    part of the path: a FIFO planted under the name blocked ``open`` for ever (before any
    check), hanging every start; the writer, ``keep_owner_only``, makes neither. Where the
    platform has no user ids (Windows) the owner cannot be checked here: None, so the caller
    makes the data anew (``os.getuid`` raised ``AttributeError`` out of every check that
    compiles a pattern database)."""
    own = getattr(os, "geteuid", None)  # the owner of the files this process creates
    if own is None:
        return None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "rb") as handle:
            facts = os.fstat(handle.fileno())
            if not stat.S_ISREG(facts.st_mode) or facts.st_uid != own() or facts.st_mode & 0o022:
                return None
            return handle.read() if limit is None else handle.read(limit)
    except OSError:
        return None


def read_own_named(path: Path, name: str, limit: int | None = None) -> bytes | None:
    """What :func:`keep_owner_only_named` kept as ``path`` under ``name`` (its first line), read
    as :func:`read_own` reads; None when the file begins otherwise. The owner check alone took a
    file of the user's own standing under another key's name (a link planted in a shared folder,
    or the user's own file renamed where others may write the folder): a compiled database or
    code of other expressions, one that matches nothing, blinded the check that loaded it."""
    data = read_own(path, limit)
    header = f"{name}\n".encode()
    if data is None or not data.startswith(header):
        return None  # absent, unreadable, not this user's own, or another key's
    return data[len(header) :]


def keep_owner_only_named(path: Path, name: str, data: bytes) -> None:
    """``data`` kept as ``path`` (see :func:`keep_owner_only`) beginning with the line ``name``,
    the key it was made for (see :func:`read_own_named`)."""
    keep_owner_only(path, f"{name}\n".encode() + data)


def foreign_home(home: Path) -> os.stat_result | None:
    """The status of the folder ``home`` when this process is root and another account owns
    it, else None. Root reads and writes such a home with more rights than its owner, who can
    plant links there to what is not theirs: what is read is then only what that account owns
    (scan, the agent, wrap), and what is written goes through no link of theirs (wrap)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    try:
        facts = os.stat(home)
    except OSError:
        return None
    return facts if facts.st_uid != 0 else None


def _trusted(facts: os.stat_result, own: int) -> bool:
    """Only this account or root can change what is in (or at) it: owned by one of them and
    writable by no one else, unless sticky (``/tmp``: others cannot replace what we put there)."""
    return facts.st_uid in (own, 0) and (not facts.st_mode & 0o022 or _sticky(facts))


def _sticky(facts: os.stat_result) -> bool:
    return stat.S_ISDIR(facts.st_mode) and bool(facts.st_mode & stat.S_ISVTX)


def writable_by_anyone(path: Path) -> Path | None:
    """The first place on the way to ``path`` (the file, a folder holding it, not sticky) that
    any account may write; None when there is none. Places absent or unreadable are skipped:
    the reader says what is wrong with them."""
    absolute = path.absolute()
    for place in (absolute, *absolute.parents):
        try:
            facts = os.stat(place)
        except OSError:
            continue
        if facts.st_mode & stat.S_IWOTH and not _sticky(facts):
            return place
    return None


def changeable_by_others(path: Path) -> Path | None:
    """The first place on the way to the file ``path`` names (a link on the way, the file, a
    folder holding it) that an account other than this one or root can change; None when there
    is none, or the platform has no user ids (Windows). For settings that say where a secret
    goes: whoever can change them chooses where it goes."""
    own = getattr(os, "geteuid", None)
    if own is None:
        return None
    absolute = path.absolute()
    try:
        for prefix in (absolute, *absolute.parents):
            facts = os.lstat(prefix)
            if stat.S_ISLNK(facts.st_mode) and facts.st_uid not in (own(), 0):
                return prefix
        target = absolute.resolve(strict=True)
        for place in (target, *target.parents):
            if not _trusted(os.stat(place), own()):
                return place
    except OSError:
        return None  # absent or unreadable: the reader says which
    return None


def _refuse(path: str, why: str) -> OSError:
    return OSError(errno.EPERM, f"{path} {why}; refused")


def below(root: Path, path: str) -> Path:
    """``path`` (absolute on its platform) below ``root``: ``C:/Program Files/x`` ->
    ``root/C/Program Files/x``; ValueError for a ``.`` or ``..`` in it."""
    return root.joinpath(*_plain_parts(path))


def _plain_parts(path: str) -> list[str]:
    parts = [part for part in path.replace(":", "").split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise ValueError(f"not a plain path: {path}")
    return parts


def place_at(root: Path, path: str, data: bytes, mode: int = 0o644) -> Path:
    """``place_file`` of ``path`` (absolute on its platform, see ``below``) under ``root``."""
    return place_file(root, _plain_parts(path), data, mode)


def place_file(
    root: Path,
    parts: Sequence[str],
    data: bytes,
    mode: int = 0o644,
    *,
    owner: tuple[int, int] | None = None,
    tenant: int | None = None,
) -> Path:
    """``data`` as ``root/parts...`` with ``mode``, for a file other accounts or the system read
    (a client's managed settings, a scheduler's unit), usually written as root. The folders
    below ``root`` are made 0755 whatever the umask (a 0700 folder would keep each user's client
    from reading its managed file, which turns enforcement off). The file is written under a
    name made anew (``O_EXCL``) and moved into place, so a link planted at the target or at the
    temporary name is replaced, never followed; each folder on the way (root's own ancestors
    included) is opened without following a link below ``root`` and must be one that only
    this account or root can change: before, a predictable temporary name was written and
    chmod-ed through a link, so another account that made a folder of the tree first could have
    a root run overwrite any file and make it world-readable.

    ``owner`` (uid, gid): the file's, when not this account's. ``tenant``: an account that may
    own the folders on the way too (root writing into that user's home: the folders are
    theirs, whatever they put there is theirs already, and what the walk refuses is a link of
    theirs, which made root's write land in another account's folder or in one of root's)."""
    own = getattr(os, "geteuid", None)
    if own is None or not {os.open, os.mkdir, os.rename} <= os.supports_dir_fd:
        return replace_whole(root.joinpath(*parts), data, mode, owner)  # Windows: no owners, no dir_fd
    uid = own()
    root.mkdir(parents=True, exist_ok=True)
    # A link on the way to root that another account owns (one planted in /tmp) is theirs to
    # point anywhere, as the kernel's protected_symlinks says; links root or we made are kept.
    for prefix in (root.absolute(), *root.absolute().parents):
        facts = os.lstat(prefix)
        if stat.S_ISLNK(facts.st_mode) and facts.st_uid not in (uid, 0):
            raise _refuse(str(prefix), "is a symbolic link another account owns")
    resolved = root.resolve(strict=True)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    descriptor = os.open("/", flags)
    try:
        walked = Path("/")
        for index, part in enumerate((*resolved.parts[1:], *parts[:-1])):
            below_root = index >= len(resolved.parts) - 1
            walked = walked / part
            if below_root:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=descriptor)
                    folder = os.open(part, flags, dir_fd=descriptor)
                    os.fchmod(folder, 0o755)
                    os.close(folder)
            try:
                folder = os.open(part, flags, dir_fd=descriptor)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise _refuse(str(walked), "is a symbolic link or not a folder") from None
                raise
            os.close(descriptor)
            descriptor = folder
            facts = os.fstat(descriptor)
            theirs = tenant is not None and _trusted(facts, tenant)
            if not _trusted(facts, uid) and not theirs:
                raise _refuse(str(walked), "can be changed by another account")
        name = parts[-1]
        partial = f".{name}.{secrets.token_hex(8)}.tmp"
        exclusive = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        handle = os.open(partial, exclusive, 0o600, dir_fd=descriptor)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                if owner is not None:
                    os.fchown(out.fileno(), *owner)
                os.fchmod(out.fileno(), mode)
                os.fsync(out.fileno())  # whole on disk before it replaces the old file
            os.replace(partial, name, src_dir_fd=descriptor, dst_dir_fd=descriptor)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial, dir_fd=descriptor)
            raise
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return root.joinpath(*parts)
