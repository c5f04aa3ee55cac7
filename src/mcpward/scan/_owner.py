"""Who a config belongs to: the account owning the file, the git remote of its project."""

from __future__ import annotations

import configparser
import os
from functools import lru_cache
from pathlib import Path

from mcpward._documents import DocumentError, read_text
from mcpward.dlp import redact_url

#: Larger than any real ``.git/config``; ``.git`` and ``commondir`` files hold one path.
MAX_GIT_FILE_BYTES = 1_000_000


def file_owner(path: Path) -> str | None:
    try:
        return _account(path.stat().st_uid)
    except OSError:
        return None


@lru_cache(maxsize=256)
def _account(uid: int) -> str | None:
    try:
        import pwd
    except ImportError:  # Windows: no pwd database
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


@lru_cache(maxsize=65536)
def git_remote(directory: Path) -> str | None:
    """The ``origin`` remote (else the first remote) of the repository holding ``directory``,
    read from ``.git/config`` without running git; credentials in the URL are masked. Cached
    per directory, so the projects of one tree share the look-ups of their parents."""
    config = _git_config_path(directory / ".git")
    if config is not None:
        return _remote_from_config(config)
    parent = directory.parent
    return None if parent == directory else git_remote(parent)


def _git_config_path(dot_git: Path) -> Path | None:
    try:
        if dot_git.is_dir():
            return dot_git / "config"
        if dot_git.is_file():  # worktree or submodule: "gitdir: <path>"
            # Read as a config is (a tree's files are anyone's): a regular file, bounded.
            text = read_text(dot_git, MAX_GIT_FILE_BYTES)
            if text.startswith("gitdir:"):
                gitdir = Path(text.split(":", 1)[1].strip())
                if not gitdir.is_absolute():
                    gitdir = dot_git.parent / gitdir
                commondir = gitdir / "commondir"
                if commondir.is_file():
                    gitdir = gitdir / read_text(commondir, MAX_GIT_FILE_BYTES).strip()
                return gitdir / "config"
    except (OSError, ValueError, DocumentError):
        return None
    return None


def _remote_from_config(config_path: Path) -> str | None:
    parser = configparser.RawConfigParser(strict=False)
    try:
        # Not parser.read: it blocks on a FIFO, and reads a link to /dev/zero (size 0) forever.
        parser.read_string(read_text(config_path, MAX_GIT_FILE_BYTES), os.fspath(config_path))
    except (configparser.Error, DocumentError):
        return None
    remotes = [s for s in parser.sections() if s.startswith("remote ")]
    remotes.sort(key=lambda s: s != 'remote "origin"')
    for section in remotes:
        url = parser.get(section, "url", fallback=None)
        if url:
            return redact_url(url.strip())
    return None
