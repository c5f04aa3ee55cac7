"""Held results: tool results withheld from the model for a reviewer (``[dlp] injection =
"quarantine"``).

A folder beside the audit log (``LOG.held``, mode 700) holds one file per result, named by an
ID the gateway draws at random (128 bits): nothing of the result decides a name, so a result
cannot name, overwrite or reach another one. Files are created exclusively (``O_EXCL``, never
through a link), mode 600, and never rewritten; what is stored is the DLP-redacted result (every
match masked), never a secret value. The folder is bounded in items and bytes, counted under a
lock shared by every gateway: a result that would pass a bound is refused, not held, and
nothing held is ever evicted to make room.

The sha256 of each file is recorded in the quarantine event of the audit chain, and a release
checks it, so a file altered after it was held is not released. A reviewer's release or
discard takes the file out atomically (one reviewer wins), is recorded in the chain, and a
release leaves a one-time allowance: the next identical result (same server, tool and redacted
content) passes once, within ``release_hours``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from mcpward.errors import McpwardError
from mcpward.gateway._audit import AuditLog, check, records

ID = re.compile(r"[0-9a-f]{32}")
_ALLOW = "allow-"
_TAKEN = ".taken"


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
        with self._locked():
            count, size = self._usage()
            if count >= self.bounds.max_items:
                raise QuarantineFull(f"{count} results are already held (at most {self.bounds.max_items})")
            if size + len(data) > self.bounds.max_bytes:
                raise QuarantineFull(f"held results would pass {self.bounds.max_bytes} bytes")
            self._create(f"{held_id}.json", data)
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
            grant = orjson.loads(_read(Path(name), 4096, folder, owned=True))
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
        with self._locked():
            for entry in self._entries():
                held_id = entry.name.removesuffix(".json")
                try:
                    record = orjson.loads(_read(Path(entry.path), self.bounds.max_item_bytes))
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
        record, _ = self._read_held(self._path(held_id))
        return record

    def release(self, held_id: str, *, log: Path, reviewer: str, hours: float) -> dict[str, Any]:
        """Take the result out, check it against its audit record, record the release, and
        allow its next identical answer once; the record (for the reviewer to pass on)."""
        path = self._path(held_id)
        taken = self._take(path)
        try:
            record, data = self._read_held(taken)
            expected = _held_digest(log, held_id)
            if hashlib.sha256(data).hexdigest() != expected:
                raise QuarantineError(
                    f"the held result {held_id} does not match its audit record (altered or forged); "
                    "it was not released (discard it)"
                )
            _record_decision(log, "release", record, reviewer, expected)
        except BaseException:
            os.replace(taken, path)
            raise
        key = allowance_key(str(record.get("server")), str(record.get("subject")), record.get("result"))
        grant = {"id": held_id, "expires": time.time() + hours * 3600}
        with self._locked():
            self._prune_allowances()
            with contextlib.suppress(FileExistsError):  # released before and unused: one will do
                self._create(f"{_ALLOW}{key}", orjson.dumps(grant))
        taken.unlink()
        return record

    def discard(self, held_id: str, *, log: Path, reviewer: str) -> dict[str, Any]:
        path = self._path(held_id)
        taken = self._take(path)
        try:
            try:
                record, data = self._read_held(taken)
            except QuarantineError:
                record, data = {"id": held_id}, _read(taken, self.bounds.max_item_bytes)
            _record_decision(log, "discard", record, reviewer, hashlib.sha256(data).hexdigest())
        except BaseException:
            os.replace(taken, path)
            raise
        taken.unlink()
        return record

    # -- the folder --------------------------------------------------------------------------

    def _path(self, held_id: str) -> Path:
        if not ID.fullmatch(held_id):
            raise QuarantineError(f"{held_id[:80]!r} is not a quarantine ID (32 hexadecimal digits)")
        self._ensure_folder()  # what another account planted is neither shown nor decided on
        return self.folder / f"{held_id}.json"

    def _take(self, path: Path) -> Path:
        """Rename the held file aside: of two reviewers deciding at once, one gets it."""
        taken = path.with_name(path.name + _TAKEN)
        try:
            os.rename(path, taken)
        except FileNotFoundError:
            raise QuarantineError(f"no held result {path.stem} (released, discarded or never held)") from None
        return taken

    def _read_held(self, path: Path) -> tuple[dict[str, Any], bytes]:
        try:
            data = _read(path, self.bounds.max_item_bytes)
        except FileNotFoundError:
            raise QuarantineError(f"no held result {path.name.split('.')[0]}") from None
        except OSError as exc:
            raise QuarantineError(f"cannot read the held result: {exc.strerror or exc}") from None
        try:
            record = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise QuarantineError("the held result is not readable (altered)") from None
        if not isinstance(record, dict) or record.get("id") != path.name.split(".")[0]:
            raise QuarantineError("the held result does not carry its own ID (altered or forged)")
        return record, data

    def _entries(self) -> Iterator[os.DirEntry[str]]:
        for entry in os.scandir(self.folder):
            if entry.name.endswith(".json") and ID.fullmatch(entry.name[:-5]):
                yield entry

    def _usage(self) -> tuple[int, int]:
        count = size = 0
        for entry in os.scandir(self.folder):
            if entry.name.startswith("."):
                continue
            count += not entry.name.startswith(_ALLOW)
            with contextlib.suppress(OSError):
                size += entry.stat(follow_symlinks=False).st_size
        return count, size

    def _prune_allowances(self) -> None:
        for entry in os.scandir(self.folder):
            if not entry.name.startswith(_ALLOW):
                continue
            try:
                grant = orjson.loads(_read(Path(entry.path), 4096))
                if float(grant.get("expires", 0)) < time.time():
                    os.unlink(entry.path)
            except (OSError, orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
                continue

    def _create(self, name: str, data: bytes) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        descriptor = os.open(self.folder / name, flags, 0o600)
        try:
            if os.write(descriptor, data) != len(data):
                raise OSError(f"short write to {name}")
        except BaseException:
            os.close(descriptor)
            os.unlink(self.folder / name)
            raise
        os.close(descriptor)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure_folder()
        descriptor = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def _open_folder(self) -> int:
        """A descriptor of the folder, if it is a folder of this account and not a link."""
        descriptor = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        info = os.fstat(descriptor)
        if info.st_uid != os.geteuid():
            os.close(descriptor)
            raise QuarantineError(f"{self.folder} is not a folder of this account")
        return descriptor

    def _ensure_folder(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(self.folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            raise QuarantineError(f"{self.folder} is not a folder of this account; nothing is held there")
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(self.folder, 0o700)


def _read(path: Path, limit: int, folder: int | None = None, *, owned: bool = False) -> bytes:
    """``path`` (in the folder of descriptor ``folder``, if given), a regular file (of this
    account if ``owned``), up to ``limit`` bytes."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or (owned and info.st_uid != os.geteuid()):
            raise OSError(f"{path.name} is not a regular file{' of this account' if owned else ''}")
        data = os.read(descriptor, limit + 1)
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise OSError(f"{path.name} is larger than a held result may be")
    return data


def _held_digest(log: Path, held_id: str) -> str:
    """The sha256 the audit chain recorded when ``held_id`` was held; the chain must verify."""
    verdict = check(log)
    if verdict.problem is not None:
        raise QuarantineError(f"the audit log does not verify ({verdict.problem}); nothing is released")
    for record in records(log):
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
