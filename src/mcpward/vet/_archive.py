"""Reading package archives into memory, safely, without extracting anything to disk.

A package being vetted is hostile input. Its files are read into memory under caps on count,
size and compression ratio; members that are links, devices or paths escaping the package
root are refused and reported; nothing is written anywhere and nothing is executed.
"""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

MAX_FILES = 20_000
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
#: Expanded size over archive size beyond which an archive is treated as a bomb.
MAX_RATIO = 200


class ArchiveError(Exception):
    """The archive cannot be read at all (corrupt, unknown format, a bomb)."""


@dataclass(slots=True)
class PackageFiles:
    """The files of a package, by POSIX path relative to the package root."""

    files: dict[str, bytes] = field(default_factory=dict)
    #: Members refused or skipped, with the reason: for findings, never silently dropped.
    refused: list[tuple[str, str]] = field(default_factory=list)

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


def normalise_member(name: str) -> str | None:
    """The package-relative path of an archive member, or None when it escapes the root."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    normal = posixpath.normpath(name)
    if normal == ".." or normal.startswith("../") or "/../" in f"/{normal}/":
        return None
    return "" if normal == "." else normal


def read_archive(path: Path) -> PackageFiles:
    """The files of a ``.tgz``/``.tar.gz``/``.tar``, ``.whl``/``.zip`` archive or a folder."""
    if path.is_dir():
        return _read_directory(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise ArchiveError(f"cannot read: {exc.strerror or exc}") from None
    budget = _Budget(size)
    if head.startswith(b"PK"):
        return _read_zip(path, budget)
    if head.startswith(b"\x1f\x8b"):
        return _read_tar(path, budget, compressed=True)
    try:
        if tarfile.is_tarfile(path):
            return _read_tar(path, budget, compressed=False)
    except OSError:
        pass
    raise ArchiveError("not a tar, gzip or zip archive")


def _read_tar(path: Path, budget: _Budget, *, compressed: bool) -> PackageFiles:
    result = PackageFiles()
    try:
        with path.open("rb") as raw:
            stream: IO[bytes] = raw
            if compressed:
                counted = _CountingReader(gzip.GzipFile(fileobj=raw), budget)  # type: ignore[arg-type]
                stream = io.BufferedReader(counted, buffer_size=1 << 16)
            # Stream mode: members are read in order through the counting reader, so the
            # decompressed bytes (headers and skipped data included) stay within the budget.
            with tarfile.open(fileobj=stream, mode="r|") as archive:
                for member in archive:
                    _tar_member(archive, member, result, budget)
    except (tarfile.TarError, EOFError, OSError, gzip.BadGzipFile, zlib.error) as exc:
        raise ArchiveError(f"corrupt archive ({type(exc).__name__})") from None
    return _strip_single_root(result)


def _tar_member(
    archive: tarfile.TarFile, member: tarfile.TarInfo, result: PackageFiles, budget: _Budget
) -> None:
    name = normalise_member(member.name)
    if name is None:
        result.refused.append((member.name, "path escapes the package root"))
        return
    if member.isdir():
        return
    if member.issym() or member.islnk():
        result.refused.append((name, f"link to {member.linkname!r} not followed"))
        return
    if not member.isfile():
        result.refused.append((name, "special file (device, FIFO) skipped"))
        return
    if len(result.files) >= MAX_FILES:
        raise ArchiveError(f"more than {MAX_FILES} files")
    if member.size > MAX_FILE_BYTES:
        result.refused.append((name, f"file of {member.size} bytes not read (limit {MAX_FILE_BYTES})"))
        return
    handle = archive.extractfile(member)
    if handle is None:
        return
    data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        result.refused.append((name, "file larger than its header says; not read"))
        return
    result.files[name] = data


def _read_zip(path: Path, budget: _Budget) -> PackageFiles:
    result = PackageFiles()
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_FILES:
                raise ArchiveError(f"more than {MAX_FILES} files")
            for info in infos:
                name = normalise_member(info.filename)
                if name is None:
                    result.refused.append((info.filename, "path escapes the package root"))
                    continue
                if info.is_dir():
                    continue
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    result.refused.append((name, "symbolic link not followed"))
                    continue
                if info.file_size > MAX_FILE_BYTES:
                    result.refused.append((name, f"file of {info.file_size} bytes not read"))
                    continue
                with archive.open(info) as member:
                    data = member.read(MAX_FILE_BYTES + 1)
                budget.spend(len(data))
                if len(data) > MAX_FILE_BYTES:
                    result.refused.append((name, "file larger than its header says; not read"))
                    continue
                result.files[name] = data
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        zlib.error,
        NotImplementedError,
    ) as exc:
        raise ArchiveError(f"corrupt archive ({type(exc).__name__})") from None
    return result


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
                result.files[relative] = data
            else:
                result.refused.append((relative, "special file skipped"))
    return result


def _strip_single_root(result: PackageFiles) -> PackageFiles:
    """npm tarballs put everything under ``package/``, sdists under ``name-version/``."""
    roots = {name.split("/", 1)[0] for name in result.files if "/" in name}
    if len(roots) == 1 and all("/" in name for name in result.files):
        prefix = roots.pop() + "/"
        result.files = {name[len(prefix) :]: data for name, data in result.files.items()}
    return result
