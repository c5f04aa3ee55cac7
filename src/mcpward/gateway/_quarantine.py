"""Held results: tool results withheld from the model for a reviewer (``[dlp] injection =
"quarantine"``).

A folder beside the audit log (``LOG.held``, mode 700) holds one file per result, named by an
ID the gateway draws at random (128 bits): nothing of the result decides a name, so a result
cannot name, overwrite or reach another one. Every file is reached through one descriptor of
the folder, opened without following a link and checked after it is opened (a folder another
account swaps after the check is never written or read). Files are created exclusively
(``O_EXCL``, never through a link), mode 600, and never rewritten; what is stored is the
DLP-redacted result (every match masked), never a secret value. The folder is bounded in items
and bytes, counted under a lock shared by every gateway: a result that would pass a bound is
refused, not held, and nothing held is ever evicted to make room.

The sha256 of each file is recorded in the quarantine event of the audit chain, and a release
checks it, so a file altered after it was held is not released. A reviewer's release or discard
takes the file out atomically under a lock (one reviewer wins; a file a decision that died left
aside is decided again), is recorded in the chain, and a release leaves a one-time allowance
(written whole before the release is recorded, put in place after: a step that fails puts the
held file back, so no ID is left stuck): the next identical result (same server, tool and
redacted content) passes once, within ``release_hours``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from mcpward._regex import compiled
from mcpward.errors import McpwardError
from mcpward.gateway._audit import AuditLog, Verdict, check, checked

ID = compiled(r"[0-9a-f]{32}")
_ALLOW = "allow-"
_TAKEN = ".taken"
_NOT_OURS = "{} is not a folder of this account; nothing is held there"


class QuarantineError(McpwardError):
    """A held result that cannot be used as asked (unknown ID, altered file, full folder);
    the message is safe to show: it never quotes the result."""


class QuarantineFull(QuarantineError):
    """A result that would pass the folder's bounds: refused instead of held."""


@dataclass(frozen=True, slots=True)
class Bounds:
    max_items: int = 1000
    max_bytes: int = 64 * 1024 * 1024
    max_item_bytes: int = 8 * 1024 * 1024


def default_folder(log_path: Path) -> Path:
    return log_path.with_name(log_path.name + ".held")


def allowance_key(server: str, subject: str, redacted: Any) -> str:
    """What a release lets through once: this server's ``subject`` answering this content."""
    content = orjson.dumps(redacted, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(b"\0".join((server.encode(), subject.encode(), content))).hexdigest()


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Quarantine:
    def __init__(self, folder: Path, bounds: Bounds = Bounds()) -> None:
        self.folder = folder
        self.bounds = bounds

    # -- the gateway's side ------------------------------------------------------------------

    def hold(self, record: dict[str, Any]) -> tuple[str, str]:
        """Store ``record`` (already redacted) under a new ID: (ID, sha256 of the file)."""
        held_id = secrets.token_hex(16)
        data = orjson.dumps({**record, "id": held_id}, option=orjson.OPT_SORT_KEYS)
        if len(data) > self.bounds.max_item_bytes:
            raise QuarantineFull(
                f"the result is larger than a held result may be ({self.bounds.max_item_bytes} bytes)"
            )
        with self._opened() as folder, _locked(folder):
            count, size = _usage(folder)
            if count >= self.bounds.max_items:
                raise QuarantineFull(f"{count} results are already held (at most {self.bounds.max_items})")
            if size + len(data) > self.bounds.max_bytes:
                raise QuarantineFull(f"held results would pass {self.bounds.max_bytes} bytes")
            _create(folder, f"{held_id}.json", data)
        return held_id, hashlib.sha256(data).hexdigest()

    def use_allowance(self, key: str) -> str | None:
        """The ID a reviewer released this result under, if an unused, unexpired release
        allows it; the allowance is spent (only one caller can unlink it)."""
        name = f"{_ALLOW}{key}"
        try:
            # Only in a folder of this account, as results are held, read through one descriptor
            # of it (a folder swapped for a link or another's after the check is not read): an
            # allowance planted by another account would pass an answer no one reviewed.
            folder = self._open_folder()
        except (QuarantineError, OSError):
            return None
        try:
            grant = orjson.loads(_read(folder, name, 4096, owned=True))
            os.unlink(name, dir_fd=folder)
            if not isinstance(grant, dict) or float(grant.get("expires", 0)) < time.time():
                return None
        except (OSError, orjson.JSONDecodeError, TypeError, ValueError):
            return None
        finally:
            os.close(folder)
        held_id = grant.get("id")
        return held_id if isinstance(held_id, str) and ID.fullmatch(held_id) else None

    # -- the reviewer's side -----------------------------------------------------------------

    def pending(self) -> list[dict[str, Any]]:
        """The held results, oldest first, each with ``bytes``; unreadable files are named."""
        found: list[dict[str, Any]] = []
        with self._opened() as folder, _locked(folder):
            for entry in _entries(folder):
                held_id = entry.name.split(".")[0]
                try:
                    record = orjson.loads(_read(folder, entry.name, self.bounds.max_item_bytes))
                except (OSError, orjson.JSONDecodeError):
                    record = {"unreadable": True}
                if not isinstance(record, dict) or record.get("id") != held_id:
                    record = {"unreadable": True}
                try:
                    size = entry.stat(follow_symlinks=False).st_size
                except FileNotFoundError:
                    continue  # a reviewer took it meanwhile
                found.append({**record, "id": held_id, "bytes": size})
        return sorted(found, key=lambda r: str(r.get("at", "")))

    def show(self, held_id: str) -> dict[str, Any]:
        name = _name(held_id)
        with self._opened() as folder:
            try:
                record, _ = self._read_held(folder, name)
            except QuarantineError:  # or taken aside, by a decision under way or one that died
                record, _ = self._read_held(folder, name + _TAKEN)
        return record

    def release(self, held_id: str, *, log: Path, reviewer: str, hours: float) -> dict[str, Any]:
        """Take the result out, check it against its audit record, record the release, and
        allow its next identical answer once; the record (for the reviewer to pass on). Whole
        or nothing: a step that fails (a full disk) takes back the steps before it, and the
        result stays held for the reviewer to decide again."""
        name = _name(held_id)
        with self._opened() as folder, _decision(folder, name) as taken:
            draft = None
            try:
                record, data = self._read_held(folder, taken)
                expected = _held_digest(log, held_id)
                if hashlib.sha256(data).hexdigest() != expected:
                    raise QuarantineError(
                        f"the held result {held_id} does not match its audit record (altered or forged); "
                        "it was not released (discard it)"
                    )
                key = allowance_key(
                    str(record.get("server")), str(record.get("subject")), record.get("result")
                )
                grant = orjson.dumps({"id": held_id, "expires": time.time() + hours * 3600})
                with _locked(folder):
                    _prune_allowances(folder)
                    # Written whole before the release is recorded, put in place after: no gateway
                    # passes an answer on a release the chain does not hold.
                    draft = f"{_ALLOW}{key}.{secrets.token_hex(8)}"
                    _create(folder, draft, grant)
                _record_decision(log, "release", record, reviewer, expected)
                # Released before and unused: the newer grant replaces the older, of the same answer.
                os.replace(draft, f"{_ALLOW}{key}", src_dir_fd=folder, dst_dir_fd=folder)
            except BaseException:
                if draft is not None:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(draft, dir_fd=folder)
                raise
        return record

    def discard(self, held_id: str, *, log: Path, reviewer: str) -> dict[str, Any]:
        name = _name(held_id)
        with self._opened() as folder, _decision(folder, name) as taken:
            try:
                record, data = self._read_held(folder, taken)
            except QuarantineError:
                record, data = {"id": held_id}, _read(folder, taken, self.bounds.max_item_bytes)
            _record_decision(log, "discard", record, reviewer, hashlib.sha256(data).hexdigest())
        return record

    # -- the folder --------------------------------------------------------------------------

    def _read_held(self, folder: int, name: str) -> tuple[dict[str, Any], bytes]:
        held_id = name.split(".")[0]
        try:
            data = _read(folder, name, self.bounds.max_item_bytes)
        except FileNotFoundError:
            raise QuarantineError(f"no held result {held_id}") from None
        except OSError as exc:
            raise QuarantineError(f"cannot read the held result: {exc.strerror or exc}") from None
        try:
            record = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise QuarantineError("the held result is not readable (altered)") from None
        if not isinstance(record, dict) or record.get("id") != held_id:
            raise QuarantineError("the held result does not carry its own ID (altered or forged)")
        return record, data

    @contextlib.contextmanager
    def _opened(self) -> Iterator[int]:
        """A descriptor of the folder (made if missing), checked after it is opened: every name
        in it is used through this descriptor, so a folder another account swaps for a link or
        its own after the check is never written or read."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = self._open_folder()
        try:
            if stat.S_IMODE(os.fstat(folder).st_mode) & 0o077:
                os.fchmod(folder, 0o700)
            yield folder
        finally:
            os.close(folder)

    def _open_folder(self) -> int:
        """A descriptor of the folder, if it is a folder of this account and not a link."""
        try:
            descriptor = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except (NotADirectoryError, OSError) as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            raise QuarantineError(
                f"{self.folder} is not a folder of this account; nothing is held there"
            ) from None
        info = os.fstat(descriptor)
        if info.st_uid != os.geteuid():
            os.close(descriptor)
            raise QuarantineError(f"{self.folder} is not a folder of this account; nothing is held there")
        return descriptor


def _name(held_id: str) -> str:
    if not ID.fullmatch(held_id):
        raise QuarantineError(f"{held_id[:80]!r} is not a quarantine ID (32 hexadecimal digits)")
    return f"{held_id}.json"


def _take(folder: int, name: str) -> tuple[str, int]:
    """Lock the held file and rename it aside: of two reviewers deciding at once, one gets it.
    The lock (held on the descriptor returned, until the decision is done) dies with a decision
    that dies (killed, a worker's timeout): the file it left aside is taken again, and is not
    stuck there for ever, unlisted and undecidable."""
    taken = name + _TAKEN
    for current in (name, taken):
        try:
            descriptor = os.open(current, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Still the file of that name: not decided and removed, or put back, meanwhile.
            here = os.stat(current, dir_fd=folder, follow_symlinks=False)
            if not os.path.samestat(os.fstat(descriptor), here):
                raise FileNotFoundError(current)
            if current == name:
                os.rename(name, taken, src_dir_fd=folder, dst_dir_fd=folder)
        except (BlockingIOError, FileNotFoundError):
            os.close(descriptor)
            break  # another reviewer is deciding, or has decided
        except BaseException:
            os.close(descriptor)
            raise
        return taken, descriptor
    held_id = name.split(".")[0]
    raise QuarantineError(f"no held result {held_id} (released, discarded, being decided or never held)")


@contextlib.contextmanager
def _decision(folder: int, name: str) -> Iterator[str]:
    """The held file ``name`` taken aside (see ``_take``) for one decision: put back where the
    decision fails, so the result stays held, and removed once it is made."""
    taken, lock = _take(folder, name)
    try:
        yield taken
    except BaseException:
        os.replace(taken, name, src_dir_fd=folder, dst_dir_fd=folder)
        raise
    else:
        os.unlink(taken, dir_fd=folder)
    finally:
        os.close(lock)


def _left_aside(folder: int, name: str) -> bool:
    """Whether ``name`` (a file taken aside) was left by a decision that died (no lock on it)."""
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


@contextlib.contextmanager
def _locked(folder: int) -> Iterator[None]:
    """The lock every gateway and reviewer of the folder shares for its counts and allowances."""
    descriptor = os.open(".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600, dir_fd=folder)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _entries(folder: int) -> Iterator[os.DirEntry[str]]:
    """The held files, and those a decision that died left aside (decided again)."""
    for entry in os.scandir(folder):
        held_id, _, kind = entry.name.partition(".")
        if ID.fullmatch(held_id) and (
            kind == "json" or (kind == "json" + _TAKEN and _left_aside(folder, entry.name))
        ):
            yield entry


def _usage(folder: int) -> tuple[int, int]:
    count = size = 0
    for entry in os.scandir(folder):
        if entry.name.startswith("."):
            continue
        count += not entry.name.startswith(_ALLOW)
        with contextlib.suppress(OSError):
            size += entry.stat(follow_symlinks=False).st_size
    return count, size


def _prune_allowances(folder: int) -> None:
    for entry in os.scandir(folder):
        if not entry.name.startswith(_ALLOW):
            continue
        try:
            grant = orjson.loads(_read(folder, entry.name, 4096))
            if float(grant.get("expires", 0)) < time.time():
                os.unlink(entry.name, dir_fd=folder)
        except (OSError, orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
            continue


def _create(folder: int, name: str, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(name, flags, 0o600, dir_fd=folder)
    try:
        if os.write(descriptor, data) != len(data):
            raise OSError(f"short write to {name}")
    except BaseException:
        os.close(descriptor)
        os.unlink(name, dir_fd=folder)
        raise
    os.close(descriptor)


def _read(folder: int, name: str, limit: int, *, owned: bool = False) -> bytes:
    """``name`` in the folder of descriptor ``folder``, a regular file (of this account if
    ``owned``), up to ``limit`` bytes."""
    descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or (owned and info.st_uid != os.geteuid()):
            raise OSError(f"{name} is not a regular file{' of this account' if owned else ''}")
        data = os.read(descriptor, limit + 1)
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise OSError(f"{name} is larger than a held result may be")
    return data


def _held_digest(log: Path, held_id: str) -> str:
    """The sha256 the audit chain recorded when ``held_id`` was held; the chain must verify."""
    verdict = check(log)
    if verdict.problem is not None:
        raise QuarantineError(f"the audit log does not verify ({verdict.problem}); nothing is released")
    # Read again, and checked as read: lines appended after the check (a record of holding
    # made without the key, naming a planted file's digest) were taken from a second read.
    again = Verdict()
    for record in checked(log, again):
        if record.get("stage") != "response":
            continue
        for event in record.get("events") or ():
            detail = event.get("detail") if isinstance(event, dict) else None
            if (
                isinstance(detail, dict)
                and event.get("kind") == "quarantined"
                and detail.get("id") == held_id
            ):
                digest = detail.get("sha256")
                if isinstance(digest, str):
                    return digest
    if again.problem is not None:
        raise QuarantineError(f"the audit log does not verify ({again.problem}); nothing is released")
    raise QuarantineError(
        f"the audit log {log} has no record of holding {held_id}; it was not released (discard it, "
        "or give the audit log the gateway wrote with --audit-log)"
    )


def _record_decision(
    log_path: Path, decision: str, record: dict[str, Any], reviewer: str, digest: str
) -> None:
    log = AuditLog(log_path)
    try:
        log.append(
            {
                "at": now_text(),
                "server": record.get("server"),
                "client": reviewer,
                "stage": "review",
                "method": f"quarantine/{decision}",
                "decision": decision,
                "tool": record.get("tool"),
                "quarantine_id": record.get("id"),
                "sha256": digest,
            }
        )
    finally:
        log.close()
