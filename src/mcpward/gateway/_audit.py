"""The call-level audit log: JSON lines, each carrying the sha256 of the one before.

Several gateways (one per stdio server) may append to the same file: an exclusive lock around
"read the last hash, append the next line" keeps the chain linear. A record is written with
one ``write`` on an ``O_APPEND`` descriptor before the call it describes is forwarded, so a
gateway killed at any moment leaves every forwarded call recorded and the chain whole.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

GENESIS = "0" * 64
_TAIL = 1 << 16


def _hash(previous: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(previous.encode() + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        #: The chain's end after our last write, and the file size it was at.
        self._last: tuple[int, str, int] | None = None

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            seq, previous, size = self._tail()
            body = {**record, "seq": seq + 1, "prev": previous}
            digest = _hash(previous, body)
            line = orjson.dumps({**body, "hash": digest}, option=orjson.OPT_SORT_KEYS) + b"\n"
            written = os.write(self._fd, line)
            if written != len(line):
                raise OSError(f"short write to the audit log {self.path}")
            # Under the lock, on an O_APPEND descriptor: the file grew by our line alone.
            self._last = (seq + 1, digest, size + written)
            return {**body, "hash": digest}
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _tail(self) -> tuple[int, str, int]:
        """The last record's number and hash, and the file's size."""
        size = os.fstat(self._fd).st_size
        if self._last is not None and self._last[2] == size:
            return self._last[0], self._last[1], size  # nobody else wrote since: no need to read
        if size == 0:
            return 0, GENESIS, 0
        with self.path.open("rb") as handle:
            handle.seek(max(0, size - _TAIL))
            lines = handle.read().rstrip(b"\n").rsplit(b"\n", 1)
        try:
            last = orjson.loads(lines[-1])
            return int(last["seq"]), str(last["hash"]), size
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise OSError(
                f"the audit log {self.path} does not end with a record; run `mcpward audit verify`"
            ) from None

    def close(self) -> None:
        os.close(self._fd)


def records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for line in handle:
            yield orjson.loads(line)


def verify(path: Path) -> tuple[int, str | None]:
    """How many records hold, and the first problem (None when the chain is whole)."""
    previous, count = GENESIS, 0
    try:
        handle = path.open("rb")
    except OSError as exc:
        return 0, f"cannot read {path}: {exc.strerror or exc}"
    with handle:
        for number, line in enumerate(handle, 1):
            try:
                record = orjson.loads(line)
                claimed = record.pop("hash")
            except (orjson.JSONDecodeError, KeyError, AttributeError, TypeError):
                return count, f"line {number} is not an audit record"
            if record.get("prev") != previous:
                return count, f"line {number} does not follow the record before it (removed or reordered)"
            if _hash(previous, record) != claimed:
                return count, f"line {number} was altered"
            previous, count = claimed, count + 1
    return count, None
