"""Anchoring a hash chain: a secret key and an authenticated head, so that a chain's reader
(who can recompute sha256 hashes) cannot rewrite, shorten or empty it unnoticed.

A hash chain alone proves only that its records agree with one another: anyone who can write
the file can delete its newest records, or change one and recompute every hash after it. Two
things anchor it:

- every record carries ``mac``, a MAC (keyed BLAKE2b) of its hash under a key that only the writer's
  account can read (a file, mode 600, ideally kept apart from the log); a forged or recomputed
  record has no valid MAC;
- a *head* (the last record's number and hash, with its own MAC) kept beside the chain and
  rewritten with each record; records removed from the end, or a chain emptied, no longer
  reach the head.

What it cannot tell: anything done by someone who can read the key (the writer's own
account); a head and chain both rolled back to an earlier copy of the pair; the key and the
head deleted together (the next writer takes the chain for one made before keys and anchors
it afresh, so the key must live where the attacker cannot delete it: a folder only the
writer's account can write) or everything deleted (only a copy kept elsewhere, such as the
audit mirrors, shows that). Used by the gateway's audit log (key, MACs and a head file) and by
the registry's audit trail (key and MACs; its heads, one per database, in registry/_anchor.py).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import orjson

from mcpward.errors import McpwardError

#: A head is written in place, padded to this size, with one ``pwrite``: smaller than a page,
#: so it is never seen half written.
_HEAD_SIZE = 512


class AnchorError(McpwardError):
    """The key or the head cannot be used (unreadable, or forged): the message says which."""


def load_key(path: Path, *, create: bool, private: bool = False) -> bytes | None:
    """The key in ``path`` (hex); with ``create``, a new random one if there is none (made
    atomically, so that writers starting together agree on one key). None if absent.

    ``private``: a key mcpward makes beside what it anchors, which must be this account's own
    file, not a link, that no one else can read or write (a key someone else made or read
    signs their forgeries as well as ours); the registry's may be a mounted secret."""
    try:
        text = (_private_text(path) if private else path.read_text("ascii")).strip()
    except FileNotFoundError:
        if not create:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise AnchorError(f"cannot create the key {path}: {exc.strerror or exc}") from None
        try:
            os.write(descriptor, secrets.token_hex(32).encode() + b"\n")
            os.fsync(descriptor)  # a key lost in a crash would orphan every MAC made with it
        finally:
            os.close(descriptor)
        with contextlib.suppress(FileExistsError):  # another writer made one first: use theirs
            os.link(draft, path)
        draft.unlink()
        return load_key(path, create=False, private=private)
    except AnchorError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchorError(f"cannot read the key {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise AnchorError(f"the key {path} is not a key (64 hex digits)") from None
    if len(key) < 16:
        raise AnchorError(f"the key {path} is too short")
    return key


def open_own(path: Path, flags: int, what: str, mode: int = 0o600) -> int:
    """A descriptor of the regular file at ``path``, never through a symbolic link: whoever can
    write the folder could otherwise point the name at any file of ours, which we would then
    write into (the log, the head) or take a key from."""
    try:
        descriptor = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise AnchorError(f"{what} {path} is a symbolic link: refused (use the file itself)") from None
        raise
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise AnchorError(f"{what} {path} is not a regular file")
    return descriptor


def file_id(descriptor: int) -> tuple[int, int]:
    """The device and inode of an open file, to tell later whether its path still names it."""
    status = os.fstat(descriptor)
    return status.st_dev, status.st_ino


def names(path: Path, file: tuple[int, int]) -> bool:
    """``path`` names the file ``file`` (:func:`file_id`): not renamed over, moved or deleted."""
    try:
        status = os.lstat(path)
    except OSError:
        return False
    return (status.st_dev, status.st_ino) == file


def _private_text(path: Path) -> str:
    descriptor = open_own(path, os.O_RDONLY, "the key")
    try:
        status = os.fstat(descriptor)
        owner = os.geteuid()
        # Root checking another account's log: the key is that account's (the folder's owner).
        owners = {owner, path.parent.stat().st_uid} if owner == 0 else {owner}
        if status.st_uid not in owners:
            raise AnchorError(
                f"the key {path} is not owned by the account that writes the log (uid "
                f"{' or '.join(map(str, sorted(owners)))}): someone else made it, and can sign "
                "records with it"
            )
        if status.st_mode & 0o077:
            raise AnchorError(
                f"the key {path} has mode {stat.S_IMODE(status.st_mode):o}: others can read or replace "
                "it, so records signed with it prove nothing (if no one else read it: chmod 600)"
            )
        return os.read(descriptor, 4096).decode("ascii")
    finally:
        os.close(descriptor)


def seal(key: bytes, label: str, value: str) -> str:
    """A MAC (hex) of ``value`` for the use ``label`` (a record's hash, a head): keyed BLAKE2b
    (RFC 7693's MAC mode), a third of HMAC-SHA256's cost on the relay's path."""
    return hashlib.blake2b(f"{label}:{value}".encode(), key=key[:64], digest_size=32).hexdigest()


def sealed(key: bytes, label: str, value: str, mac: object) -> bool:
    return isinstance(mac, str) and same_secret(seal(key, label, value), mac)


def same_secret(expected: str, given: str) -> bool:
    """``given == expected``, in constant time, as UTF-8 bytes: given two strings,
    ``compare_digest`` takes ASCII alone, and one that was not (a MAC written into a log or a
    database, a form's CSRF token, a sign-in's state) raised ``TypeError`` where a refusal was due."""
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass")
    )


@dataclass(frozen=True, slots=True)
class Head:
    #: The number and hash of the chain's last record (0 and the genesis hash when empty).
    seq: int
    hash: str
    #: The first record that carries a MAC (records before it predate the key; each is still
    #: covered through the chain by the first MAC after it).
    since: int

    def text(self) -> str:
        return f"{self.seq}:{self.hash}:{self.since}"


class HeadFile:
    """The head of one chain, in a small file rewritten in place under the writer's lock."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self.key = key
        self._fd: int | None = None
        self._file: tuple[int, int] | None = None

    def read(self) -> Head | None:
        """The head, None if there is no head file; :class:`AnchorError` if it is not one the
        key sealed."""
        try:
            if self._fd is None:
                descriptor = open_own(self.path, os.O_RDONLY, "the head")
                try:
                    raw = os.read(descriptor, _HEAD_SIZE)
                finally:
                    os.close(descriptor)
            else:
                raw = os.pread(self._fd, _HEAD_SIZE, 0)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AnchorError(f"cannot read the head {self.path}: {exc.strerror or exc}") from None
        if not raw.strip() and self._fd is not None:
            return None  # opened for writing but not yet written
        try:
            document = orjson.loads(raw)
            head = Head(int(document["seq"]), str(document["hash"]), int(document["since"]))
            mac = document["mac"]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise AnchorError(f"the head {self.path} is not a head") from None
        if not sealed(self.key, "head", head.text(), mac):
            raise AnchorError(f"the head {self.path} was not written with this key (forged or replaced)")
        return head

    def write(self, head: Head) -> None:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Opened by name again after it was read: not through a link put there since.
            self._fd = open_own(self.path, os.O_RDWR | os.O_CREAT, "the head")
            self._file = file_id(self._fd)
        document = {"seq": head.seq, "hash": head.hash, "since": head.since,
                    "mac": seal(self.key, "head", head.text())}  # fmt: skip
        data = orjson.dumps(document).ljust(_HEAD_SIZE - 1) + b"\n"
        if os.pwrite(self._fd, data, 0) != len(data):
            raise OSError(f"short write to the head {self.path}")

    def moved(self) -> bool:
        """The head's path no longer names the file this writes (renamed over, moved, deleted):
        heads written on would be read by no one."""
        return self._file is not None and not names(self.path, self._file)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
