"""What the sandbox's own uid may reach of the host's files, when root runs the sandbox: the
server runs as that uid (``interface.server_identity``), and the host's permissions apply to it
as to any user. Where the profile gives it a folder or a file that its permissions close to
others (a project in root's 0700 home), mcpward opens that one entry to the sandbox's uid with a
POSIX ACL entry naming it (read, or read and write, as the profile says), and, for the Landlock
backend (no mount namespace: the server walks the host's own paths), passage (search, never
listing or reading) through the folders above it. Nothing else is opened, no owner or mode is
changed, and the entries stay (``getfacl`` shows them; an id no user or group has, that only
sandboxed servers run as, confined to what their profile names)."""

from __future__ import annotations

import errno
import os
import stat
import struct
from pathlib import Path

from mcpward.sandbox.interface import SandboxError

_ACCESS = "system.posix_acl_access"
_VERSION = 2
_USER_OBJ, _USER, _GROUP_OBJ, _GROUP, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_UNDEFINED = 0xFFFFFFFF
_READ, _WRITE, _SEARCH = 4, 2, 1


def open_to(path: Path, uid: int, *, write: bool) -> None:
    """``path`` itself readable (a folder also listable and passable) by ``uid``, and writable
    if ``write``; what is inside keeps its own permissions."""
    info = os.stat(path)
    wanted = _READ | (_WRITE if write else 0) | (_SEARCH if stat.S_ISDIR(info.st_mode) else 0)
    _allow(str(path), info, uid, wanted)


def passage_to(path: Path, uid: int) -> None:
    """Search (never read) for ``uid`` through every folder above ``path``, as it is named and
    as its links resolve (the kernel walks both)."""
    for named in {str(path), os.path.realpath(path)}:
        for folder in reversed(Path(named).parents):
            try:
                info = os.stat(folder)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                _allow(str(folder), info, uid, _SEARCH)


def _allow(path: str, info: os.stat_result, uid: int, wanted: int) -> None:
    if _granted(info, uid) & wanted == wanted:
        return
    try:
        raw = os.getxattr(path, _ACCESS)
    except OSError as exc:
        if exc.errno not in (errno.ENODATA, errno.EOPNOTSUPP):
            raise SandboxError(f"cannot read the permissions of {path}: {exc.strerror}") from None
        raw = b""
    entries = _parse(raw) if raw else _from_mode(info.st_mode)
    held = next((perm for tag, perm, ident in entries if tag == _USER and ident == uid), 0)
    # A chmod since (pytest's of its own folder, say) narrows the mask, and the entry with it.
    mask_now = next((perm for tag, perm, _ in entries if tag == _MASK), 7)
    if held & mask_now & wanted == wanted:
        return
    others = [(tag, perm, ident) for tag, perm, ident in entries if not (tag == _USER and ident == uid)]
    others.append((_USER, held | wanted, uid))
    group_class = [perm for tag, perm, _ in others if tag in (_USER, _GROUP_OBJ, _GROUP)]
    mask = 0
    for perm in group_class:
        mask |= perm
    others = [(tag, perm, ident) for tag, perm, ident in others if tag != _MASK]
    others.append((_MASK, mask, _UNDEFINED))
    others.sort(key=lambda entry: (entry[0], entry[2]))
    data = struct.pack("<I", _VERSION) + b"".join(struct.pack("<HHI", *entry) for entry in others)
    try:
        os.setxattr(path, _ACCESS, data)
    except OSError as exc:
        raise SandboxError(
            f"the sandbox's uid {uid} may not reach {path}, and its file system refused to open it to "
            f"that uid alone (an ACL entry: {exc.strerror}); make it readable by other users, or run "
            "mcpward as an ordinary user"
        ) from None


def _granted(info: os.stat_result, uid: int) -> int:
    """What ``uid`` (in no group of the file's) may do by the mode bits alone."""
    mode = info.st_mode
    return (mode >> 6) & 7 if info.st_uid == uid else mode & 7


def _from_mode(mode: int) -> list[tuple[int, int, int]]:
    return [
        (_USER_OBJ, (mode >> 6) & 7, _UNDEFINED),
        (_GROUP_OBJ, (mode >> 3) & 7, _UNDEFINED),
        (_OTHER, mode & 7, _UNDEFINED),
    ]


def _parse(raw: bytes) -> list[tuple[int, int, int]]:
    if len(raw) < 4 or (len(raw) - 4) % 8 or struct.unpack_from("<I", raw)[0] != _VERSION:
        raise SandboxError("an ACL in an unknown format")
    return [struct.unpack_from("<HHI", raw, offset) for offset in range(4, len(raw), 8)]
