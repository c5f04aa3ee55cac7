"""Who a config belongs to: the account owning the file, the git remote of its project."""

from __future__ import annotations

import configparser
import os
from functools import lru_cache
from pathlib import Path

from mcpward.dlp import redact_url


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
            text = dot_git.read_text(encoding="utf-8", errors="replace")[:4096]
            if text.startswith("gitdir:"):
                gitdir = Path(text.split(":", 1)[1].strip())
                if not gitdir.is_absolute():
                    gitdir = dot_git.parent / gitdir
                commondir = gitdir / "commondir"
                if commondir.is_file():
                    gitdir = gitdir / commondir.read_text(encoding="utf-8").strip()
                return gitdir / "config"
    except OSError:
        return None
    return None


def _remote_from_config(config_path: Path) -> str | None:
    parser = configparser.RawConfigParser(strict=False)
    try:
        if config_path.stat().st_size > 1_000_000:
            return None
        parser.read(os.fspath(config_path), encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return None
    remotes = [s for s in parser.sections() if s.startswith("remote ")]
    remotes.sort(key=lambda s: s != 'remote "origin"')
    for section in remotes:
        url = parser.get(section, "url", fallback=None)
        if url:
            return redact_url(url.strip())
    return None
