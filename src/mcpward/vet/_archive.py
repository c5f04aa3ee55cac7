"""Reading package archives into memory, safely, without extracting anything to disk.

A package being vetted is hostile input. Its files are read into memory under caps on count,
size and compression ratio; members that are links, devices or paths escaping the package
root are refused and reported; nothing is written anywhere and nothing is executed.

What vet reads must be what the installer installs. npm (node-tar, through pacote) strips the
first path component of every tar entry whatever its name; pip strips a leading folder of an
sdist only when every member shares it, and installs a wheel's members as they are named. Tar
headers are parsed here, strictly: any construct that node-tar and Python's ``tarfile`` (pip)
would read differently (bad checksums, data after the end marker, global or conflicting
extended headers, a ustar prefix without the POSIX magic, loose number fields, links that carry
data, sparse or vendor members, non-UTF-8 or non-canonical names) refuses the whole archive.
Python's ``tarfile`` then reads the same archive as a cross-check, and any disagreement refuses
it too. Layout oddities installers do agree on (members outside the package folder, duplicate
or case-colliding names) are read as the installer reads them and reported.
"""

from __future__ import annotations

import base64
import enum
import gzip
import hashlib
import io
import os
import posixpath
import re
import stat
import struct
import tarfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from mcpward._regex import compiled
from mcpward.errors import McpwardError

MAX_FILES = 20_000
#: Members of any kind (links, folders, refused ones included): each costs a header and a report.
MAX_MEMBERS = 50_000
#: Extended headers (pax records, GNU long names) larger than this are refused; node-tar ignores
#: those above 1 MiB, so a larger one would be read differently.
MAX_META_BYTES = 64 * 1024
#: node-tar skips entries deeper than this.
MAX_DEPTH = 1024
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
#: Expanded size over archive size beyond which an archive is treated as a bomb.
MAX_RATIO = 200


class ArchiveError(McpwardError):
    """The archive cannot be read at all (corrupt, unknown format, a bomb), or installers would
    read it differently from one another."""


class Layout(enum.Enum):
    """Which installer's reading of the archive to follow."""

    #: npm: every tar entry loses its first path component, whatever it is.
    NPM = "npm"
    #: pip, an sdist: the leading folder is stripped only when every member shares it.
    SDIST = "sdist"
    #: pip, a wheel: members are installed as named.
    WHEEL = "wheel"
    #: A local archive: npm's reading when it gives a package.json, else pip's; with both a
    #: package.json and a PKG-INFO, the installer its layout is made for (and a finding).
    AUTO = "auto"


@dataclass(slots=True)
class PackageFiles:
    """The files of a package, by POSIX path relative to the package root."""

    files: dict[str, bytes] = field(default_factory=dict)
    #: Members refused or skipped, with the reason: for findings, never silently dropped.
    refused: list[tuple[str, str]] = field(default_factory=list)
    #: Whole-archive observations: (rule, message, path or None), each a finding.
    notes: list[tuple[str, str, str | None]] = field(default_factory=list)
    #: The installer whose reading the files follow (None for a folder).
    layout: Layout | None = None
    #: sha256 (urlsafe base64, as in a wheel's RECORD) of each file of a zip, taken as it is read.
    digests: dict[str, str] = field(default_factory=dict)
    #: Files listed without their content (see :func:`kept`).
    dropped: set[str] = field(default_factory=set)
    #: Lookups worked out from the files once, by what they are (``_code``'s module roots...).
    derived: dict[str, Any] = field(default_factory=dict)

    def text(self, path: str) -> str | None:
        data = self.files.get(path)
        return None if data is None else data.decode("utf-8", errors="replace")


class _Budget:
    def __init__(self, compressed_size: int) -> None:
        self.total = 0
        self.limit = min(MAX_TOTAL_BYTES, max(compressed_size, 64 * 1024) * MAX_RATIO)

    def spend(self, amount: int) -> None:
        self.total += amount
        if self.total > self.limit:
            raise ArchiveError(
                f"expands beyond {self.limit} bytes (compression ratio or size cap): refused as a bomb"
            )


class _CountingReader(io.RawIOBase):
    """Counts what a decompressor yields, so a gzip bomb stops at the budget."""

    def __init__(self, inner: IO[bytes], budget: _Budget) -> None:
        self._inner = inner
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        self._budget.spend(len(data))
        buffer[: len(data)] = data
        return len(data)


_CANONICAL_PART = compiled(r"^(?!\.{1,2}$)[^/\\\0]+$")
_DRIVE = compiled(r"^[A-Za-z]:")


def normalise_member(name: str) -> str | None:
    """The package-relative path of an archive member, or None when it escapes the root."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    normal = posixpath.normpath(name)
    if normal == ".." or normal.startswith("../") or "/../" in f"/{normal}/":
        return None
    return "" if normal == "." else normal


def _escapes(name: str) -> bool:
    return name.startswith("/") or ".." in name.split("/")


def _check_canonical(name: str) -> None:
    """Installers disagree on names with backslashes, drive letters, empty or ``.`` parts
    (node-tar strips roots with Windows rules even on Linux; pip joins them as the OS does):
    such a name refuses the archive. Escaping names (``..``, absolute) are refused members."""
    if "\\" in name:
        raise ArchiveError(f"member name {name!r} has a backslash: installers place it differently")
    if _escapes(name):
        return
    parts = name.rstrip("/").split("/")
    if not all(_CANONICAL_PART.match(part) for part in parts) or any(_DRIVE.match(p) for p in parts):
        raise ArchiveError(f"member name {name!r} is not canonical: installers place it differently")
    if len(parts) > MAX_DEPTH:
        raise ArchiveError(f"member name {name[:80]!r}… is deeper than {MAX_DEPTH} folders")


def read_archive(path: Path, layout: Layout = Layout.AUTO) -> PackageFiles:
    """The files of a ``.tgz``/``.tar.gz``/``.tar``, ``.whl``/``.zip`` archive or a folder, as
    ``layout``'s installer would install them."""
    if path.is_dir():
        return _read_directory(path)
    if not path.is_file():  # a FIFO or a device would be waited on, or read forever
        raise ArchiveError("not a regular file")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise ArchiveError(f"cannot read: {exc.strerror or exc}") from None
    if head.startswith(b"PK"):
        return _read_zip(path, _Budget(size))
    compressed = head.startswith(b"\x1f\x8b")
    if not compressed:
        try:
            is_tar = tarfile.is_tarfile(path)
        except OSError:
            is_tar = False
        if not is_tar:
            raise ArchiveError("not a tar, gzip or zip archive")
    members = _read_tar(path, _Budget(size), compressed=compressed)
    _cross_check(path, _Budget(size), members, compressed=compressed)
    return _install_view(members, layout)


# -- tar ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Member:
    name: str
    kind: str  # file, dir, symlink, hardlink, special
    size: int
    linkname: str
    data: bytes | None  # None: not read (too large)


_FILE_TYPES = (b"0", b"\0", b"7")
_NO_DATA_TYPES = {b"1": "hardlink", b"2": "symlink", b"3": "special", b"4": "special", b"6": "special"}
_META_TYPES = (b"x", b"g", b"L", b"K")
#: pax keys both readers treat alike; any other (type, hdrcharset, GNU.sparse.*, …) refuses.
_PAX_KEYS = {"path", "linkpath", "size", "mtime", "atime", "ctime", "uid", "gid", "uname", "gname", "comment"}
_NUMBER = compiled(rb"^ *[0-7]+ *$")
_ZERO_BLOCK = bytes(512)


class _Stream:
    def __init__(self, reader: IO[bytes]) -> None:
        self._reader = reader

    def read(self, size: int) -> bytes:
        chunks, wanted = [], size
        while wanted > 0:
            chunk = self._reader.read(min(wanted, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks)

    def skip(self, size: int) -> None:
        while size > 0:
            chunk = self._reader.read(min(size, 1 << 20))
            if not chunk:
                raise ArchiveError("truncated archive")
            size -= len(chunk)

    def rest_is_zero(self) -> bool:
        while chunk := self._reader.read(1 << 20):
            if chunk.count(0) != len(chunk):
                return False
        return True


def _open_stream(raw: IO[bytes], budget: _Budget, *, compressed: bool) -> IO[bytes]:
    if compressed:
        counted = _CountingReader(gzip.GzipFile(fileobj=raw), budget)  # type: ignore[arg-type]
        return io.BufferedReader(counted, buffer_size=1 << 16)
    return io.BufferedReader(_CountingReader(raw, budget), buffer_size=1 << 16)


def _number(block: bytes, start: int, end: int, what: str, *, binary: bool = False) -> int:
    """A header number field, read the same by node-tar and Python or refused."""
    field_bytes = block[start:end]
    if binary and field_bytes[0] in (0x80, 0xFF):
        return tarfile.nti(field_bytes)  # type: ignore[attr-defined,no-any-return]
    text = field_bytes.split(b"\0", 1)[0]
    if not text.strip(b" ") and what not in ("size", "checksum"):
        return 0
    if not _NUMBER.match(text):
        raise ArchiveError(f"a tar header has a malformed {what} field: installers read it differently")
    return int(text, 8)


def _utf8(raw: bytes, what: str) -> str:
    try:
        return raw.split(b"\0", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        raise ArchiveError(f"a tar {what} is not UTF-8: installers name it differently") from None


def _pax_records(body: bytes) -> dict[str, str]:
    """Records ``LEN key=value\\n``, each exact: node-tar splits on newlines, Python trusts the
    lengths, so only records both read the same are accepted."""
    records: dict[str, str] = {}
    position = 0
    while position < len(body):
        space = body.find(b" ", position)
        digits = body[position:space] if space > 0 else b""
        if not digits.isdigit() or digits.startswith(b"0"):
            raise ArchiveError("a pax header is malformed: installers read it differently")
        length = int(digits)
        record = body[position : position + length]
        if len(record) != length or not record.endswith(b"\n") or record.count(b"\n") != 1:
            raise ArchiveError("a pax header is malformed: installers read it differently")
        key, equals, value = record[len(digits) + 1 : -1].partition(b"=")
        if not equals or not key or b"\0" in value:
            raise ArchiveError("a pax header is malformed: installers read it differently")
        name = _utf8(key, "pax key")
        if name in records:
            raise ArchiveError(f"a pax header repeats {name!r}: installers read it differently")
        records[name] = _utf8(value + b"\0", "pax value")
        position += length
    return records


def _read_tar(path: Path, budget: _Budget, *, compressed: bool) -> list[_Member]:
    members: list[_Member] = []
    try:
        with path.open("rb") as raw:
            stream = _Stream(_open_stream(raw, budget, compressed=compressed))
            extended: dict[str, str] = {}
            long_kinds: set[bytes] = set()
            while True:
                block = stream.read(512)
                if not block:
                    if extended or long_kinds:
                        raise ArchiveError("an extended header without a member after it")
                    break
                if len(block) < 512:
                    raise ArchiveError("truncated archive")
                if block == _ZERO_BLOCK:
                    # Python stops at the first zero block, node-tar only at two in a row:
                    # anything but zeros after it is read by one and not the other.
                    if extended or long_kinds or not stream.rest_is_zero():
                        raise ArchiveError("data after the end-of-archive marker: installers differ")
                    break
                if len(members) >= MAX_MEMBERS:
                    raise ArchiveError(f"more than {MAX_MEMBERS} members")
                member = _tar_header(block, stream, extended, long_kinds, budget)
                if member is not None:
                    members.append(member)
                    extended, long_kinds = {}, set()
    except (EOFError, OSError, gzip.BadGzipFile, zlib.error) as exc:
        raise ArchiveError(f"corrupt archive ({type(exc).__name__})") from None
    return members


def _tar_header(
    block: bytes, stream: _Stream, extended: dict[str, str], long_kinds: set[bytes], budget: _Budget
) -> _Member | None:
    """One header: an extended header (recorded in ``extended``, None returned) or a member."""
    checksum = _number(block, 148, 156, "checksum")
    if checksum != sum(block[:148]) + 8 * 0x20 + sum(block[156:]):
        raise ArchiveError("a tar header has a bad checksum: npm skips it, Python stops there")
    for start, end, what in ((100, 108, "mode"), (108, 116, "uid"), (116, 124, "gid"), (136, 148, "mtime")):
        _number(block, start, end, what, binary=True)
    for start, end, what in ((329, 337, "device"), (337, 345, "device")):
        _number(block, start, end, what, binary=True)
    kind = block[156:157]
    size = _number(block, 124, 136, "size")
    posix = block[257:265] == b"ustar\x0000"
    prefix = _utf8(block[345:500], "name prefix")
    if prefix and not posix:
        raise ArchiveError("a ustar prefix without the POSIX magic: installers name the member differently")
    if kind in _META_TYPES:
        if size > MAX_META_BYTES:
            raise ArchiveError(f"an extended header of {size} bytes (limit {MAX_META_BYTES})")
        body = stream.read(size)
        if len(body) < size:
            raise ArchiveError("truncated archive")
        stream.skip(-size % 512)
        if kind == b"g":
            if set(_pax_records(body)) - {"comment"}:
                raise ArchiveError("a global pax header sets member fields: installers apply it differently")
            return None
        if kind in long_kinds:
            raise ArchiveError("two extended headers for one member: installers apply them differently")
        long_kinds.add(kind)
        if kind == b"x":
            records = _pax_records(body)
            unknown = set(records) - _PAX_KEYS
            if unknown:
                raise ArchiveError(
                    f"a pax header sets {sorted(unknown)[0]!r}: installers treat it differently"
                )
            fields = {k: v for k, v in records.items() if k in ("path", "linkpath", "size")}
        else:
            fields = {"path" if kind == b"L" else "linkpath": _utf8(body + b"\0", "long name")}
        for key, value in fields.items():
            if key in extended:
                raise ArchiveError("two extended headers name one member: installers apply them differently")
            extended[key] = value
        return None
    if kind not in _FILE_TYPES and kind != b"5" and kind not in _NO_DATA_TYPES:
        raise ArchiveError(f"a tar member of type {kind!r}: installers read it differently")
    # An extended name replaces the header's name and its ustar prefix, for node-tar and Python.
    name = extended.get("path") or ((prefix + "/") if prefix else "") + _utf8(block[:100], "name")
    header_link = _utf8(block[157:257], "link name")
    linkname = extended.get("linkpath") or header_link
    if "size" in extended:
        if not extended["size"].isdigit():
            raise ArchiveError("a pax header has a malformed size: installers read it differently")
        size = int(extended["size"])
    if not name:
        raise ArchiveError("a tar member without a name: npm skips it, Python reads it")
    _check_canonical(name)
    if kind == b"5" or (kind == b"\0" and name.endswith("/")):
        if size:
            raise ArchiveError("a folder that carries data: installers read it differently")
        return _Member(name.rstrip("/"), "dir", 0, "", None)
    if name.endswith("/"):
        raise ArchiveError(f"file {name!r} is named like a folder: installers read it differently")
    if kind in _NO_DATA_TYPES:
        if size:
            raise ArchiveError("a link or device that carries data: installers read it differently")
        if kind in (b"1", b"2") and not linkname:
            raise ArchiveError("a link without a target: installers read it differently")
        return _Member(name, _NO_DATA_TYPES[kind], 0, linkname, None)
    if linkname:
        raise ArchiveError("a file with a link name: npm skips it, Python reads it")
    if size > MAX_FILE_BYTES:
        stream.skip(size + (-size % 512))
        return _Member(name, "file", size, "", None)
    data = stream.read(size)
    if len(data) < size:
        raise ArchiveError("truncated archive")
    stream.skip(-size % 512)
    return _Member(name, "file", size, "", data)


def _cross_check(path: Path, budget: _Budget, members: list[_Member], *, compressed: bool) -> None:
    """Python's ``tarfile`` (pip's reader) must see the same members, in order."""
    python_view: list[tuple[str, str, int, str]] = []
    try:
        with path.open("rb") as raw:
            stream = _open_stream(raw, budget, compressed=compressed)
            with tarfile.open(fileobj=stream, mode="r|") as archive:
                for info in archive:
                    if len(python_view) > len(members):
                        break
                    kind = (
                        "dir"
                        if info.isdir()
                        else "file"
                        if info.isreg()
                        else "symlink"
                        if info.issym()
                        else "hardlink"
                        if info.islnk()
                        else "special"
                    )
                    python_view.append((info.name, kind, info.size if kind == "file" else 0, info.linkname))
    except (tarfile.TarError, EOFError, OSError, gzip.BadGzipFile, zlib.error) as exc:
        raise ArchiveError(f"corrupt archive ({type(exc).__name__})") from None
    ours = [
        (m.name, m.kind, m.size, m.linkname if m.kind in ("symlink", "hardlink") else "") for m in members
    ]
    if python_view != ours:
        raise ArchiveError("npm and Python's tarfile read different members: installers would differ")


def _install_view(members: list[_Member], layout: Layout) -> PackageFiles:
    if layout is Layout.AUTO:
        npm = _install_view(members, Layout.NPM)
        if "package.json" not in npm.files:
            return _install_view(members, Layout.SDIST)
        sdist = _install_view(members, Layout.SDIST)
        if "PKG-INFO" not in sdist.files:
            return npm
        # Both installers would take it: a package.json in an sdist made vet judge a malicious
        # release as the npm package it named. `npm pack` puts everything under package/.
        made_for_npm = {member.name.split("/", 1)[0] for member in members} == {"package"}
        chosen, other = (npm, "an sdist (pip)") if made_for_npm else (sdist, "an npm package")
        chosen.notes.append(
            (
                "archive-layout",
                f"The archive has both a package.json and a PKG-INFO at its root: read as "
                f"{'an npm package' if made_for_npm else 'an sdist'} (its layout), it installs as "
                f"{other} too, which was not judged.",
                None,
            )
        )
        return chosen
    result = PackageFiles(layout=layout)
    names = [m.name for m in members]
    if layout is Layout.NPM:
        roots = sorted({name.split("/", 1)[0] for name in names if not _escapes(name)})
        if len(roots) > 1:
            result.notes.append(
                (
                    "archive-layout",
                    f"The archive has {len(roots)} top-level entries ({', '.join(roots[:5])}); npm strips "
                    "the first folder of every entry and installs them into one package.",
                    None,
                )
            )
    else:
        leading = _has_leading_dir(names)
        if not leading and layout is Layout.SDIST:
            result.notes.append(
                (
                    "archive-layout",
                    "The sdist's members do not share one top-level folder: pip extracts it as it is.",
                    None,
                )
            )
    sdist_leading = layout is Layout.SDIST and _has_leading_dir(names)
    for member in members:
        if _escapes(member.name):
            result.refused.append((member.name, "path escapes the package root"))
            continue
        if layout is Layout.NPM:
            parts = member.name.split("/")[1:]
            if not parts:
                if member.kind != "dir":
                    result.notes.append(
                        (
                            "archive-layout",
                            "Member outside the package folder: npm does not install it.",
                            member.name,
                        )
                    )
                continue
            name = "/".join(parts)
        elif sdist_leading:
            name = member.name.split("/", 1)[1] if "/" in member.name else ""
            if not name:
                continue
        else:
            name = member.name
        _place(result, member, name)
    _report_collisions(result)
    return result


def _has_leading_dir(names: list[str]) -> bool:
    """pip's ``has_leading_dir``: every member shares its first path component."""
    firsts = {name.lstrip("/").split("/", 1)[0] for name in names}
    return len(firsts) == 1 and "" not in firsts and bool(names)


def _place(result: PackageFiles, member: _Member, name: str) -> None:
    if member.kind == "dir":
        return
    if member.kind in ("symlink", "hardlink"):
        result.refused.append((member.name, f"link to {member.linkname!r} not followed"))
        return
    if member.kind == "special":
        result.refused.append((member.name, "special file (device, FIFO) skipped"))
        return
    if member.data is None:
        result.refused.append((name, f"file of {member.size} bytes not read (limit {MAX_FILE_BYTES})"))
        return
    if name in result.files:
        result.refused.append(
            (name, "duplicate member: the last copy is what gets installed (and read here)")
        )
    elif len(result.files) >= MAX_FILES:
        raise ArchiveError(f"more than {MAX_FILES} files")
    _store(result, name, member.data)


def _report_collisions(result: PackageFiles) -> None:
    """Names that differ only in case or Unicode form are one file on macOS and Windows: which
    copy survives there is not what was read here."""
    seen: dict[str, str] = {}
    for name in result.files:  # archive order: the later copy is the one that overwrites
        key = unicodedata.normalize("NFC", name).casefold()
        if key in seen:
            result.refused.append(
                (name, f"collides with {seen[key]!r} on case-insensitive disks: one overwrites the other")
            )
        else:
            seen[key] = name


#: Files whose content some part of vet reads (besides source files, which each analyser names):
#: manifests, and text in which a domain counts as already mentioned. Other files (images,
#: native binaries, data) are listed with no content, so that two sides of 256 MiB of blobs do
#: not sit in memory while code is parsed.
_CONTENT_SUFFIXES = (".json", ".yaml", ".yml", ".md", ".txt", ".toml", ".html", ".gyp", ".gypi", ".cfg")
_CONTENT_NAMES = frozenset({"PKG-INFO", "METADATA", "RECORD", "setup.py"})


def _keeps(name: str, data: bytes) -> bool:
    """Whether vet reads this file: source, manifests, text, scripts (a ``#!`` line, or no
    extension at all, as npm ``bin`` scripts often have)."""
    from mcpward.vet._code import analyzers  # here: the analysers import this module

    base = name.rsplit("/", 1)[-1]
    return (
        name.endswith(_CONTENT_SUFFIXES)
        or base in _CONTENT_NAMES
        or "." not in base
        or data.startswith(b"#!")
        or any(name.endswith(analyzer.suffixes) for analyzer in analyzers())
    )


def _store(result: PackageFiles, name: str, data: bytes) -> None:
    if _keeps(name, data):
        result.files[name] = data
        result.dropped.discard(name)
    else:
        result.files[name] = b""
        result.dropped.add(name)


# -- zip ---------------------------------------------------------------------------------------


def _read_zip(path: Path, budget: _Budget) -> PackageFiles:
    result = PackageFiles(layout=Layout.WHEEL)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise ArchiveError(f"more than {MAX_MEMBERS} members")
            for info in infos:
                _check_canonical(info.filename)
                name = normalise_member(info.filename)
                if name is None:
                    result.refused.append((info.filename, "path escapes the package root"))
                    continue
                if info.is_dir():
                    continue
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    # pip writes every member's bytes to a regular file, a link's too: it is
                    # read as installed (it was refused unread, its code never judged)
                    result.notes.append(
                        (
                            "archive-layout",
                            "Member marked as a symbolic link: pip installs it as a regular file.",
                            name,
                        )
                    )
                if info.file_size > MAX_FILE_BYTES:
                    result.refused.append((name, f"file of {info.file_size} bytes not read"))
                    continue
                with archive.open(info) as member:
                    data = member.read(MAX_FILE_BYTES + 1)
                budget.spend(len(data))
                if len(data) > MAX_FILE_BYTES:
                    result.refused.append((name, "file larger than its header says; not read"))
                    continue
                if name in result.files:
                    # pip extracts every entry in order, so the last copy is the installed one.
                    result.refused.append(
                        (name, "duplicate member: the last copy is what gets installed (and read here)")
                    )
                elif len(result.files) >= MAX_FILES:
                    raise ArchiveError(f"more than {MAX_FILES} files")
                result.digests[name] = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode()
                _store(result, name, data)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        zlib.error,
        NotImplementedError,
        ValueError,  # a name that is not UTF-8 though flagged so, a bad header field
        RuntimeError,  # an encrypted member
        struct.error,
    ) as exc:
        raise ArchiveError(f"corrupt archive ({type(exc).__name__})") from None
    _check_record(result)
    _report_collisions(result)
    return result


def _check_record(result: PackageFiles) -> None:
    """A wheel's RECORD lists every file with its hash; pip installs the files whatever it says,
    so a file it does not list (or lists with another hash) was added after the build."""
    records = [name for name in result.files if re.fullmatch(r"[^/]+\.dist-info/RECORD", name)]
    if len(records) != 1:
        if len(records) > 1:
            result.notes.append(("wheel-record-mismatch", "The wheel has more than one RECORD.", None))
        return
    listed: dict[str, str] = {}
    for line in (result.text(records[0]) or "").splitlines():
        name, _, rest = line.partition(",")
        if name:
            listed[name] = rest.split(",", 1)[0]
    exempt = {records[0], records[0] + ".jws", records[0] + ".p7s"}
    for name in sorted(result.files):
        if name in exempt:
            continue
        digest = listed.get(name)
        if digest is None:
            result.notes.append(("wheel-record-mismatch", "File not listed in the wheel's RECORD.", name))
        elif digest.startswith("sha256=") and digest[len("sha256=") :] != result.digests.get(name, "").rstrip(
            "="
        ):
            result.notes.append(
                ("wheel-record-mismatch", "File differs from the hash in the wheel's RECORD.", name)
            )
    for name in sorted(set(listed) - set(result.files) - exempt):
        result.notes.append(("wheel-record-mismatch", "RECORD lists a file the wheel does not have.", name))


def _read_directory(root: Path) -> PackageFiles:
    result = PackageFiles()
    budget = _Budget(MAX_TOTAL_BYTES // MAX_RATIO)
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            result.refused.append((str(directory), f"cannot list: {exc.strerror or exc}"))
            continue
        for entry in entries:
            relative = Path(entry.path).relative_to(root).as_posix()
            if entry.is_symlink():
                result.refused.append((relative, "symbolic link not followed"))
            elif entry.is_dir(follow_symlinks=False):
                if entry.name not in (".git", "node_modules", "__pycache__", ".venv"):
                    stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                if len(result.files) >= MAX_FILES:
                    raise ArchiveError(f"more than {MAX_FILES} files")
                size = entry.stat(follow_symlinks=False).st_size
                if size > MAX_FILE_BYTES:
                    result.refused.append((relative, f"file of {size} bytes not read"))
                    continue
                try:
                    with open(entry.path, "rb") as handle:
                        data = handle.read(MAX_FILE_BYTES + 1)
                except OSError as exc:
                    result.refused.append((relative, f"cannot read: {exc.strerror or exc}"))
                    continue
                budget.spend(len(data))
                _store(result, relative, data)
            else:
                result.refused.append((relative, "special file skipped"))
    return result
