"""Where mcpward keeps refreshed data (advisories, official package lists), and how it writes
the files only their owner may read."""

from __future__ import annotations

import contextlib
import os
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


def replace_owner_only(path: Path, data: bytes) -> None:
    """``path`` replaced whole by a file of ``data`` only its owner may read, written first under
    a name of its own made anew (``O_EXCL``, so never through a link) beside it: a cache file
    was written through ``NAME.<pid>.tmp``, and where another user may write the folder (a cache
    folder set to a shared place) a link planted under that name made the write overwrite, and
    narrow, whatever file of the user's it pointed to."""
    descriptor, partial = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
