"""The sandbox profile ``inspect --run --sandbox-profile`` starts stdio servers with: the same
file ``mcpward sandbox run --profile`` and the gateway's ``[sandbox] profile`` take, checked
before any server starts so that what it grants is exactly what it names.

The file is read once, here; the runner is given the validated copy (with each server's own
variables), never the user's path again, so a profile changed after this check changes nothing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mcpward.sandbox import Profile, SandboxError, load_profile


def load_run_profile(path: Path) -> Profile:
    """The profile at ``path``, which must be the file the user named (not a link to another),
    theirs (or root's) and writable by no one else, with every mount an absolute path to what
    exists there, named as itself (no link on the way), a folder or a regular file:
    :class:`SandboxError` otherwise, one line."""
    shown = str(path)
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise SandboxError(f"--sandbox-profile {shown}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        # The grants are the file's: a link lets whoever controls its target choose them.
        raise SandboxError(
            f"--sandbox-profile {shown}: a symbolic link (to {os.readlink(path)[:200]}); give the file itself"
        )
    if not stat.S_ISREG(info.st_mode):
        raise SandboxError(f"--sandbox-profile {shown}: not a regular file")
    try:
        # The owner and mode checked on the file opened, and a link refused again there: the
        # checks above were by name, and whoever may write the folder could put a link or a
        # file of theirs at that name in between.
        profile = load_profile(path, no_link=True, accept=_others_may_change)
    except SandboxError as exc:
        raise SandboxError(f"--sandbox-profile {exc}") from None
    for kind, paths in (("read", profile.files.read), ("write", profile.files.write)):
        for mount in paths:
            _check_mount(shown, kind, mount)
    return profile


def _others_may_change(info: os.stat_result) -> str | None:
    """Why a profile file with this status is not the user's to trust, or None."""
    if info.st_uid not in (os.geteuid(), 0) or info.st_mode & stat.S_IWOTH:
        # Another user who may rewrite it may mount the user's keys into the next look.
        return (
            f"another user may change it (owner uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):o}); "
            "use a profile only you may write"
        )
    return None


def _check_mount(shown: str, kind: str, mount: Path) -> None:
    """A mount as the backends bind it: at the same path inside, following whatever link it is.
    ``~/.npm`` or ``cache`` was bound relative to wherever the look was started, and a link
    bound what it points to (``/tmp/cache`` -> ``~/.ssh``) where the profile named another."""
    where = f"--sandbox-profile {shown}: files.{kind} {str(mount)[:200]!r}"
    if not mount.is_absolute():
        raise SandboxError(f"{where} is not an absolute path (no ~, nothing relative: name it in full)")
    written = os.path.normpath(mount)
    try:
        real = os.path.realpath(mount, strict=True)
    except OSError as exc:
        raise SandboxError(f"{where}: {exc.strerror or 'cannot be resolved'}") from None
    if real != written:
        raise SandboxError(f"{where} leads to {real[:200]!r} through a symbolic link; name that path itself")
    kind_of = os.stat(real).st_mode
    if not (stat.S_ISDIR(kind_of) or stat.S_ISREG(kind_of)):
        # A disk, a terminal or a socket is no package cache or data folder; as root the
        # sandbox also opens a mount's own entry to its uid (an ACL entry on the host's device).
        raise SandboxError(f"{where} is not a folder or a regular file (a device, a socket, a FIFO?)")
