"""The call-level audit log: JSON lines, each carrying the sha256 of the one before, anchored
by a key and a head (``mcpward._anchor``).

Several gateways (one per stdio server) may append to the same file: an exclusive lock around
"read the last hash, append the next line, move the head" keeps the chain linear. A record is
written with one ``write`` on an ``O_APPEND`` descriptor before the call it describes is
forwarded, so a gateway killed at any moment leaves every forwarded call recorded and the
chain whole. A record is any size (the writer finds the last one however long it is); a line
cut short by a writer killed mid-``write`` is an *incomplete* line: its call was never
forwarded, the next writer ends it with a newline and chains from the last whole record, and
verify skips it and names it, the same way.

Beside ``LOG`` the gateway keeps ``LOG.key`` (a MAC key, mode 600, made on first use) and
``LOG.head`` (the last record's number and hash, sealed with the key). Each record carries
``mac``, a MAC of its hash under the key. Verify then also tells records removed from the end, a chain
recomputed from the genesis, and an emptied log; see ``mcpward._anchor`` for what it cannot.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from mcpward._anchor import AnchorError, Head, HeadFile, file_id, load_key, names, open_own, seal, sealed
from mcpward.errors import McpwardError

GENESIS = "0" * 64
_BLOCK = 1 << 16
#: Lines cut short that verify names by number (the rest it counts).
_NAMED_INCOMPLETE = 100


def _hash(previous: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(previous.encode() + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def default_audit_log() -> Path:
    """Where the gateway and the sandbox append their records when no path is given."""
    from mcpward._paths import user_data_dir

    return user_data_dir() / "gateway-audit.jsonl"


def anchor_paths(path: Path) -> tuple[Path, Path]:
    """The key and the head of the log at ``path``."""
    return path.with_name(path.name + ".key"), path.with_name(path.name + ".head")


class AuditLogBroken(McpwardError, OSError):
    """The log no longer agrees with its head or key (tampered with, or its head lost):
    nothing is written to it, so nothing is forwarded, until someone looks (``why`` says
    what, without the path, for a client's error)."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"the audit log {path}: {why}; run `mcpward audit verify`")
        self.why = why


@dataclass(frozen=True, slots=True)
class _Tail:
    seq: int
    hash: str
    #: The ``prev`` of the last record (None when there is none).
    prev: str | None
    #: The file does not end with a newline: its last line was cut short.
    cut: bool
    #: The last record's MAC (None when there is none).
    mac: object = None


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._fd = open_own(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, "the audit log")
        except AnchorError as exc:
            raise OSError(str(exc)) from None
        self._file = file_id(self._fd)
        #: flock excludes other processes, not the threads of this one sharing the descriptor
        #: (``gateway serve`` judges large messages, and writes their records, in threads).
        self._threads = threading.Lock()
        #: The chain's end after our last write, and the file size it was at.
        self._last: tuple[int, str, int] | None = None
        try:
            self._key, self._head, self._since = self._anchor()
        except BaseException:
            os.close(self._fd)
            raise

    def _anchor(self) -> tuple[bytes, HeadFile, int]:
        """The key and the head, made for a new log (or one written before logs had keys);
        under the lock, so that writers starting together agree on one key and head."""
        key_path, head_path = anchor_paths(self.path)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            existed = key_path.exists()
            key = load_key(key_path, create=True, private=True)
            assert key is not None
            head_file = HeadFile(head_path, key)
            head = head_file.read()
            if head is None:
                tail = self._tail(os.fstat(self._fd).st_size)
                if existed:
                    # The key and the head are made together: a key without its head is a log
                    # whose head was deleted, with its records or not (an emptied log anchored
                    # afresh at record 0 verified as whole).
                    held = "it has records" if tail.seq else "it has its key"
                    raise AuditLogBroken(
                        self.path,
                        f"{held} but its head {head_path.name} is gone, so records may have "
                        "been removed (move the log, its .key and .head aside to start a new one)",
                    )
                head = Head(tail.seq, tail.hash, tail.seq + 1)
                head_file.write(head)
            return key, head_file, head.since
        except AnchorError as exc:
            raise OSError(str(exc)) from None
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        with self._threads:
            return self._append(record)

    def _append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            if not names(self.path, self._file) or self._head.moved():
                # Written on, the records would go into a file no longer in the folder (a copy
                # renamed over it, or it deleted), while verify and the report read the copy.
                raise AuditLogBroken(
                    self.path,
                    "its path, or its head's, is no longer the file this gateway writes (renamed "
                    "over, moved or deleted): records written on would be read by no one",
                )
            size = os.fstat(self._fd).st_size
            prefix = b""
            if self._last is not None and self._last[2] == size:
                seq, previous = self._last[0], self._last[1]  # nobody else wrote since: no need to read
            else:
                tail = self._tail(size)
                if self._last is not None and tail.seq < self._last[0]:
                    # The log and its head put back together agree with each other; only a
                    # writer that remembers its own last record can tell.
                    raise AuditLogBroken(
                        self.path,
                        f"it ends at record {tail.seq} but this gateway wrote record {self._last[0]}: "
                        "the log was put back to an earlier copy (and its head with it)",
                    )
                self._check_head(tail)
                seq, previous = tail.seq, tail.hash
                prefix = b"\n" if tail.cut else b""  # end the cut line; our record starts afresh
            body = {**record, "seq": seq + 1, "prev": previous}
            # Serialised once: the hashed bytes are the line, with the hash and the MAC added
            # at its end (verify parses the line and hashes the rest, so their place is free).
            encoded = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
            digest = hashlib.sha256(previous.encode() + encoded).hexdigest()
            mac = seal(self._key, "record", digest)
            line = b'%s%s,"hash":"%s","mac":"%s"}\n' % (prefix, encoded[:-1], digest.encode(), mac.encode())
            written = os.write(self._fd, line)
            if written != len(line):
                raise OSError(f"short write to the audit log {self.path}")
            try:
                self._head.write(Head(seq + 1, digest, self._since))
            except AnchorError as exc:  # the record stands: the log is one past its head
                raise AuditLogBroken(self.path, str(exc)) from None
            # Under the lock, on an O_APPEND descriptor: the file grew by our line alone.
            self._last = (seq + 1, digest, size + written)
            return {**body, "hash": digest, "mac": mac}
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _check_head(self, tail: _Tail) -> None:
        """Another writer wrote since us: the file must still reach the head (at it, or one
        record past it when a writer died between its record and its head)."""
        try:
            head = self._head.read()
        except AnchorError as exc:
            raise AuditLogBroken(self.path, str(exc)) from None
        if head is None:
            raise AuditLogBroken(self.path, "its head is gone")
        if (tail.seq, tail.hash) == (head.seq, head.hash) or (
            tail.seq == head.seq + 1 and tail.prev == head.hash
        ):
            if tail.seq != head.seq and not sealed(self._key, "record", tail.hash, tail.mac):
                # One past the head is a writer's that died before moving it, MAC and all: a
                # record anyone appended was chained on, and the head sealed past it.
                raise AuditLogBroken(
                    self.path, f"its last record ({tail.seq}) was not written with the log's key (forged)"
                )
            self._since = head.since
            return
        if tail.seq > head.seq + 1:
            raise AuditLogBroken(
                self.path,
                f"it runs to record {tail.seq} but its head names record {head.seq}: an earlier head "
                "was put back in place of the current one, or records were added past it",
            )
        raise AuditLogBroken(
            self.path, f"it no longer reaches its head (record {head.seq}): records were removed or rewritten"
        )

    def _tail(self, size: int) -> _Tail:
        """The last whole record's number and hash (however long it is), skipping lines cut short."""
        cut = size > 0 and os.pread(self._fd, 1, size - 1) != b"\n"
        skipped = unparsable = 0
        for line in _lines_backward(self._fd, size):
            last = _parsed(line)
            if last is None or last is _UNPARSABLE:
                # A line cut short by a writer that died: verify skips it too.
                skipped, unparsable = skipped + 1, unparsable + (last is _UNPARSABLE)
                if problem := _too_many(skipped, unparsable):
                    raise AuditLogBroken(self.path, f"at its end, {problem}")
                continue
            try:
                return _Tail(int(last["seq"]), str(last["hash"]), str(last.get("prev")), cut, last.get("mac"))
            except (KeyError, TypeError, ValueError):
                raise AuditLogBroken(self.path, "it does not end with a record") from None
        return _Tail(0, GENESIS, None, cut)

    def close(self) -> None:
        os.close(self._fd)
        self._head.close()


def _lines_backward(fd: int, size: int) -> Iterator[bytes]:
    """The file's lines from the last to the first (without their newlines), read in blocks
    that double, so a line of any length is found in few reads. Each block is split once and a
    line's blocks joined once: the blocks of a long line were put each in front of all read
    before and split again, which cost a 256 MiB line twenty times a 32 MiB one."""
    position, block = size, _BLOCK
    #: The blocks read of the line being found, from the last backwards.
    pieces: list[bytes] = []
    while position > 0:
        start = max(0, position - block)
        parts = os.pread(fd, position - start, start).split(b"\n")
        position, block = start, min(block * 2, 1 << 24)
        if len(parts) > 1:
            pieces.append(parts[-1])
            yield b"".join(reversed(pieces))
            yield from reversed(parts[1:-1])
            pieces = []
        pieces.append(parts[0])
    line = b"".join(reversed(pieces))
    if line:
        yield line


def records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of the log, skipping lines cut short."""
    with path.open("rb") as handle:
        for line in handle:
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield record


@dataclass(slots=True)
class Verdict:
    #: Records that hold, and the first problem (None when the log is whole).
    count: int = 0
    problem: str | None = None
    #: Checked against the key and the head (False: the log has no key; only its chain was checked).
    anchored: bool = False
    head: Head | None = None
    #: Lines cut short by a writer that died (their calls were not forwarded), skipped: the
    #: first numbers, and how many in all (each kept, a flood of newlines took gigabytes).
    incomplete: list[int] = field(default_factory=list)
    incomplete_lines: int = 0


def check(path: Path) -> Verdict:
    """The chain, each record's MAC and the head; the head is read first, since the log only
    grows after it."""
    verdict = Verdict()
    for _ in checked(path, verdict):
        pass
    return verdict


def checked(path: Path, verdict: Verdict) -> Iterator[dict[str, Any]]:
    """The records of the log that hold (with their hash, without their MAC), in order, as
    :func:`check` checks them, filling ``verdict``; it ends at the first problem. What reads
    the records (the audit report, the mirror) and what verifies them read the same bytes in
    one pass: a second read could be of another file swapped in between, or of lines appended."""
    key_path, head_path = anchor_paths(path)
    key: bytes | None = None
    try:
        key = load_key(key_path, create=False, private=True)
        if key is None and os.path.lexists(head_path):
            # Writers make the key and the head together: the key was deleted, and a chain
            # recomputed without it would be checked by its hashes alone.
            verdict.problem = f"its head {head_path} is there but its key {key_path} is gone (deleted)"
            return
        if key is not None:
            verdict.head = HeadFile(head_path, key).read()
            if verdict.head is None:
                verdict.problem = (
                    f"the head {head_path} is missing: records removed from the end would not show"
                )
                return
            verdict.anchored = True
    except AnchorError as exc:
        verdict.problem = str(exc)
        return
    head = verdict.head
    previous, last_seq, reached = GENESIS, 0, head is None or head.seq == 0
    #: The hashes of the last two records read, for the head as it is once they are read.
    recent: dict[int, str] = {}
    unparsable = 0
    try:
        handle = _regular_file(path)
    except OSError as exc:
        verdict.problem = f"cannot read {path}: {exc.strerror or exc}"
        return
    if handle is None:
        # A FIFO held verify (and the report) forever in the open; /dev/zero was one endless line.
        verdict.problem = f"{path} is not a regular file"
        return
    with handle:
        for number, line in enumerate(handle, 1):
            record = _parsed(line)
            if record is None or record is _UNPARSABLE:
                verdict.incomplete_lines += 1  # the writer skips it the same way
                if len(verdict.incomplete) < _NAMED_INCOMPLETE:
                    verdict.incomplete.append(number)
                unparsable += record is _UNPARSABLE
                if problem := _too_many(verdict.incomplete_lines, unparsable):
                    verdict.problem = f"by line {number}, {problem}"
                    return
                continue
            try:
                claimed = record.pop("hash")
                mac = record.pop("mac", None)
                seq = int(record.get("seq", 0))
            except (KeyError, AttributeError, TypeError, ValueError):
                verdict.problem = f"line {number} is not an audit record"
                return
            if seq != last_seq + 1:
                # Writers number records one by one; a record's own seq must not decide
                # whether its MAC is checked (one numbered below ``since`` would skip it).
                verdict.problem = f"line {number} is out of sequence (inserted or forged)"
                return
            if record.get("prev") != previous:
                verdict.problem = f"line {number} does not follow the record before it (removed or reordered)"
                return
            encoded = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
            if hashlib.sha256(previous.encode() + encoded).hexdigest() != claimed:
                verdict.problem = f"line {number} was altered"
                return
            if key is not None and head is not None and seq >= head.since:
                if not sealed(key, "record", claimed, mac):
                    verdict.problem = (
                        f"line {number} was not written with the log's key (forged or recomputed)"
                    )
                    return
                if not _as_written(line, encoded, record, claimed, mac):
                    verdict.problem = f"line {number} was altered (not as its writer wrote it)"
                    return
            if key is not None and head is not None and seq == head.seq:
                if claimed != head.hash:
                    verdict.problem = f"line {number} is not the record the head names (rewritten)"
                    return
                reached = True
            recent = {seq - 1: previous, seq: claimed}
            previous, last_seq, verdict.count = claimed, seq, verdict.count + 1
            record["hash"] = claimed  # what the mirror knows a record by
            yield record
    if not reached and head is not None:
        verdict.problem = (
            f"the log ends at record {last_seq} but its head names record {head.seq}: "
            "records were removed from its end, or it was emptied"
        )
    elif key is not None and head is not None:
        verdict.problem = _head_now(HeadFile(head_path, key), last_seq, recent)


#: Lines of a record's shape that do not parse, skipped by verify and the writer (a gateway
#: killed mid-write leaves one); past this many the log is broken, not cut short by writers.
_UNPARSABLE_LINES = 10_000
#: Lines that are not records in all (blank ones, junk), past which the same: each costs a
#: fraction of a microsecond, and a gigabyte of them minutes of verify and of a writer's call.
_NOT_RECORDS = 1_000_000
#: :func:`_parsed` of a line of a record's shape that does not parse.
_UNPARSABLE: Any = object()


def _regular_file(path: Path) -> BinaryIO | None:
    """``path`` opened for reading without waiting (a FIFO), None when it is not a regular
    file (a link to one is followed: a reader may name a copy so)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            return None
        os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "rb")


def _parsed(line: bytes) -> Any:
    """The line's JSON value; None when it has not a record's shape (a writer writes ``{...}``
    and a newline), ruled out without a parse; :data:`_UNPARSABLE` when it has the shape but
    does not parse. A failed parse costs microseconds: every line was parsed, so a flood of
    one-byte lines cost verify half an hour a gigabyte, and the writer as long on a call."""
    if not line.startswith(b"{") or not line.endswith((b"}", b"}\n")):
        return None
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return _UNPARSABLE


def _too_many(skipped: int, unparsable: int) -> str | None:
    """Why so many lines that are not records (``skipped`` in all, ``unparsable`` of a record's
    shape) were not left by writers that died (each leaves one), or None."""
    if unparsable > _UNPARSABLE_LINES:
        return (
            f"more than {_UNPARSABLE_LINES} lines look like records but do not parse: a gateway "
            "killed mid-write leaves one, these were written by someone else"
        )
    if skipped > _NOT_RECORDS:
        return (
            f"more than {_NOT_RECORDS} lines are not records: a gateway killed mid-write leaves "
            "one, these were written by someone else"
        )
    return None


def _as_written(line: bytes, encoded: bytes, record: dict[str, Any], claimed: str, mac: str) -> bool:
    """The line is the bytes its writer wrote for these values, not another spelling of them:
    the MAC covers the values, while an auditor's grep, a log shipper or a reader that keeps the
    first of a key given twice reads the line (a name spelled with escapes, a false value given
    first, parse to the same values). Writers put the hash and the MAC after the values, and
    before 2026-12-03 11:18 sorted them in with them."""
    line = line.removesuffix(b"\n")
    if line == b'%s,"hash":"%s","mac":"%s"}' % (encoded[:-1], claimed.encode(), mac.encode()):
        return True
    return line == orjson.dumps({**record, "hash": claimed, "mac": mac}, option=orjson.OPT_SORT_KEYS)


def _head_now(head_file: HeadFile, last_seq: int, recent: dict[int, str]) -> str | None:
    """The head read again once the log is read: writers move it after each record, so it is
    at most one record behind the last one read (a writer killed between the two), or past it.
    One further behind, though sealed, is an earlier head put back: it let the log's newest
    records be cut back to it unnoticed."""
    try:
        now = head_file.read()
    except AnchorError as exc:
        return str(exc)
    if now is None:
        return f"the head {head_file.path} is gone"
    if now.seq < last_seq - 1:
        return (
            f"the log runs to record {last_seq} but its head names record {now.seq}: an earlier head "
            "was put back in place of the current one"
        )
    if now.seq in recent and recent[now.seq] != now.hash:
        return f"record {now.seq} is not the record the head names (rewritten)"
    return None


def verify(path: Path) -> tuple[int, str | None]:
    """How many records hold, and the first problem (None when the log is whole)."""
    verdict = check(path)
    return verdict.count, verdict.problem
