"""Where mcpward keeps refreshed data (advisories, official package lists), and how it writes
the files only their owner may read."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
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
    replaced whole: written first under a name of its own made anew (``O_EXCL``, so never
    through a link) beside it. A cache file was written through ``NAME.<pid>.tmp``, and where
    another user may write the folder (a cache folder set to a shared place) a link planted
    under that name made the write overwrite, and narrow, whatever file of the user's it
    pointed to. What cannot be written (a read-only home) is not kept: the caller makes it
    anew next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, partial = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        if not isinstance(exc, OSError):
            raise


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
