"""An offline snapshot of advisories for MCP packages, in OSV format.

The snapshot bundled with mcpward is the fallback; ``mcpward advisories update`` writes a
newer one to the user data folder from OSV exports (a zip such as OSV's ``npm/all.zip``, a
folder of OSV JSON files, or one JSON file), read from a URL or a local path.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name

from mcpward._addresses import held_by_another, is_this_machine
from mcpward._http import DownloadError, download_into
from mcpward._paths import replace_whole, user_data_dir
from mcpward._regex import compiled
from mcpward.errors import McpwardError
from mcpward.identity import PLATFORM_PACKAGES
from mcpward.model import Ecosystem, PackageRef, Severity

_OSV_ECOSYSTEMS = {"npm": Ecosystem.NPM, "PyPI": Ecosystem.PYPI}
# "mcp" anywhere in the name: a token of its own missed MCP packages that run it into a word
# (`@mcpjam/inspector`, `mcpo`, `mcpadapt`), so their advisories were dropped by every refresh.
_MCP_NAME = compiled(r"mcp|modelcontextprotocol", re.IGNORECASE)
#: An export (a zip), downloaded or read: kept in a file, never in memory, and read a member at
#: a time. Anything larger is not an OSV export.
MAX_SOURCE_BYTES = 2 * 1024 * 1024 * 1024
#: A JSON document parsed whole (a source that is not a zip, a file of a folder export): parsing
#: holds many times its size, and a 2 GB one (or a sparse file of that size) was read into memory
#: and parsed whole before 2026-12-04. OSV records are far smaller; a snapshot of ours too.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
#: A zip member (one OSV record): larger is refused, the whole source with it (it was skipped).
MAX_RECORD_BYTES = 4 * 1024 * 1024
#: A zip's central directory, which zipfile reads whole into an object per member (hundreds of
#: bytes each): 64 MiB is about a million members.
MAX_DIRECTORY_BYTES = 64 * 1024 * 1024
#: The members of one zip inflated in all: each is bounded, their number not (time).
MAX_INFLATED_BYTES = 4 * 1024 * 1024 * 1024
#: Files of a folder source (an unpacked export): each is bounded by MAX_SOURCE_BYTES and parsed
#: whole, their number was not (a folder of millions held the refresh for hours). A million is
#: some four times the largest ecosystem's export; their bytes in all are held to
#: MAX_INFLATED_BYTES, as a zip's members are.
MAX_FOLDER_FILES = 1_000_000
#: OSV records nest a few levels; a deeper one is hostile (it broke the JSON reader further
#: down the stack of every later scan).
MAX_RECORD_DEPTH = 32
#: Events of all of a record's ranges; real records have tens. More is hostile (time).
MAX_RECORD_EVENTS = 2000
#: Longer than any real version: not parsed (bounded work on a hostile string).
MAX_VERSION_CHARS = 256
_EVENT_KINDS = frozenset({"introduced", "fixed", "last_affected", "limit"})


class AdvisoryError(McpwardError):
    """An advisory source that cannot be read."""


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    severity: Severity
    malicious: bool
    references: tuple[str, ...]
    fixed: tuple[str, ...]
    record: dict[str, Any]


def user_snapshot_path() -> Path:
    return user_data_dir() / "advisories.json"


@cache
def _bundled_snapshot() -> tuple[dict[str, Any], ...]:
    text = resources.files("mcpward.data").joinpath("advisories.json").read_text("utf-8")
    return _snapshot_records("the bundled advisory snapshot", text)


#: Refreshed snapshots read, by path and the file's identity (inode, size, modification time).
_SNAPSHOTS: dict[tuple[Path, int, int, int], tuple[dict[str, Any], ...]] = {}


def _load_snapshot(path: Path) -> tuple[dict[str, Any], ...] | None:
    """The records of a refreshed snapshot (None where there is none), cached by the file's
    identity rather than its path: a registry server read the snapshot once and kept it, so a
    refresh made by another process (a scheduled `advisories update`) was not seen until it
    restarted, although approvals are said to look advisories up at every decision. The file
    is opened first and its facts taken from the descriptor read, so a refresh replacing it
    meanwhile is not a mismatch; opened without blocking (a FIFO under the name)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AdvisoryError(_damaged(path, exc.strerror or type(exc).__name__)) from None
    with os.fdopen(descriptor, "rb") as handle:
        facts = os.fstat(handle.fileno())
        if not stat.S_ISREG(facts.st_mode):
            raise AdvisoryError(_damaged(path, "not a regular file"))
        _check_writers(path, facts)
        if facts.st_size > MAX_DOCUMENT_BYTES:  # what update writes stays below; parsed whole
            raise AdvisoryError(_damaged(path, f"larger than {MAX_DOCUMENT_BYTES} bytes"))
        key = (path, facts.st_ino, facts.st_size, facts.st_mtime_ns)
        if key not in _SNAPSHOTS:
            try:
                text = handle.read().decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise AdvisoryError(_damaged(path, type(exc).__name__)) from None
            if len(_SNAPSHOTS) >= 4:
                _SNAPSHOTS.clear()
            _SNAPSHOTS[key] = _snapshot_records(str(path), text)
        return _SNAPSHOTS[key]


def _check_writers(path: Path, facts: os.stat_result) -> None:
    """Only the user (or root, for a snapshot an administrator refreshes for everyone) may be
    able to write the snapshot: where the data folder is shared, another user's file there
    "updated" a bundled advisory to affect nothing (a later `modified` wins the merge) and
    scan and vet stopped reporting it. Not checked where there are no user ids (Windows)."""
    own = getattr(os, "geteuid", None)
    if own is None:
        return
    if facts.st_mode & 0o022 or facts.st_uid not in (own(), 0):
        raise AdvisoryError(_damaged(path, "another user may write it"))


def _snapshot_records(name: str, text: str) -> tuple[dict[str, Any], ...]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise AdvisoryError(_damaged(name, type(exc).__name__)) from None
    if not isinstance(data, dict) or not isinstance(data.get("vulns", []), list):
        raise AdvisoryError(_damaged(name, "not a snapshot"))
    # A record of another shape would raise in the matching of every package (which the scan
    # reports as an informational check failure): it is left out alone.
    return tuple(r for r in data.get("vulns", []) if well_formed(r))


def _damaged(name: str | Path, why: str) -> str:
    return (
        f"{name}: the advisory snapshot cannot be read ({why}); run `mcpward advisories update` "
        "again, or delete the file to rely on the bundled snapshot alone"
    )


def load_advisories(snapshot: Path | None = None) -> tuple[dict[str, Any], ...]:
    """The bundled records merged with the user's refreshed snapshot, newest record per id.

    A refreshed snapshot that exists but cannot be read raises :class:`AdvisoryError`: it was
    skipped, so the advisories only it held were dropped without a word and a malicious
    release they name was vetted ``pass`` (fail open)."""
    records: dict[str, dict[str, Any]] = {r["id"]: r for r in _bundled_snapshot()}
    refreshed = _load_snapshot(snapshot or user_snapshot_path())
    for record in refreshed or ():
        current = records.get(record["id"])
        if current is None or str(record.get("modified", "")) >= str(current.get("modified", "")):
            records[record["id"]] = record
    return tuple(records.values())


def well_formed(record: Any) -> bool:
    """Whether ``record`` has the shape matching reads (OSV's types for the fields it uses)
    and a bounded depth. Checked on every record refreshed or loaded: one record of another
    shape (an event with no key, a number for a version, ranges as a string) raised in the
    matching of every package, and the scan turned that into an informational finding."""
    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"]:
        return False
    if _depth_over(record, MAX_RECORD_DEPTH):
        return False
    if not _list_of(record.get("aliases") or [], str) or not _list_of(record.get("references") or [], dict):
        return False
    if not all(isinstance(r.get("url", ""), str) for r in record.get("references") or []):
        return False
    if not isinstance(record.get("database_specific") or {}, dict):
        return False
    affected = record.get("affected") or []
    if not _list_of(affected, dict):
        return False
    events_seen = 0
    for entry in affected:
        package = entry.get("package") or {}
        if not isinstance(package, dict) or not _list_of(entry.get("versions") or [], str):
            return False
        if not all(isinstance(package.get(key, ""), str) for key in ("ecosystem", "name")):
            return False
        ranges = entry.get("ranges") or []
        if not _list_of(ranges, dict):
            return False
        for version_range in ranges:
            events = version_range.get("events") or []
            if not _list_of(events, dict):
                return False
            events_seen += len(events)
            if events_seen > MAX_RECORD_EVENTS:
                return False
            for event in events:
                if len(event) != 1 or not set(event) <= _EVENT_KINDS:
                    return False
                if not all(isinstance(value, str) for value in event.values()):
                    return False
    return True


def _list_of(value: Any, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(item, kind) for item in value)


def _depth_over(node: Any, limit: int) -> bool:
    """Whether ``node`` nests deeper than ``limit``, without recursion."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(current, dict):
            stack.extend((value, depth + 1) for value in current.values())
        elif isinstance(current, list):
            stack.extend((value, depth + 1) for value in current)
    return False


def advisories_for(package: PackageRef, records: Iterable[dict[str, Any]] | None = None) -> list[Advisory]:
    """Advisories affecting the exact version of ``package``; for a package run without one
    (or with a range, a tag), those that affect every version (OSV's malicious packages)."""
    if package.ecosystem not in (Ecosystem.NPM, Ecosystem.PYPI):
        return []
    found = []
    for record in records if records is not None else load_advisories():
        for affected in record.get("affected") or []:
            pkg = affected.get("package") or {}
            if _OSV_ECOSYSTEMS.get(str(pkg.get("ecosystem"))) is not package.ecosystem:
                continue
            if _normal_name(package.ecosystem, pkg.get("name", "")) != _normal_name(
                package.ecosystem, package.name
            ):
                continue
            if _affects(package.ecosystem, package.version, affected):
                found.append(_advisory(record, affected))
                break
    return found


def advisories_for_many(
    packages: Iterable[PackageRef], records: Iterable[dict[str, Any]] | None = None
) -> dict[PackageRef, list[Advisory]]:
    """:func:`advisories_for` of many packages (a fleet's), reading each record once: the
    records are grouped by the package they name, so the cost grows with packages plus records,
    not their product. Packages with no advisory are left out."""
    by_name: dict[tuple[Ecosystem, str], list[dict[str, Any]]] = {}
    for record in records if records is not None else load_advisories():
        named = set()
        for affected in record.get("affected") or []:
            pkg = affected.get("package") or {}
            ecosystem = _OSV_ECOSYSTEMS.get(str(pkg.get("ecosystem")))
            if ecosystem is not None:
                named.add((ecosystem, _normal_name(ecosystem, str(pkg.get("name", "")))))
        for key in named:
            by_name.setdefault(key, []).append(record)
    found: dict[PackageRef, list[Advisory]] = {}
    for package in set(packages):
        if package.ecosystem not in (Ecosystem.NPM, Ecosystem.PYPI):
            continue
        candidates = by_name.get((package.ecosystem, _normal_name(package.ecosystem, package.name)))
        advisories = advisories_for(package, candidates) if candidates else []
        if advisories:
            found[package] = advisories
    return found


def _normal_name(ecosystem: Ecosystem, name: str) -> str:
    return canonicalize_name(name) if ecosystem is Ecosystem.PYPI else name


def _advisory(record: dict[str, Any], affected: dict[str, Any]) -> Advisory:
    specific = record.get("database_specific") or {}
    malicious = bool(specific.get("malicious")) or str(record.get("id", "")).startswith("MAL-")
    label = str(specific.get("severity", "")).upper().replace("MODERATE", "MEDIUM")
    # GitHub's and OSV's labels only; anything else (INFO, a typo) is high, never below low.
    rated = {"CRITICAL", "HIGH", "MEDIUM", "LOW"}
    severity = Severity.CRITICAL if malicious else Severity[label] if label in rated else Severity.HIGH
    fixed = tuple(
        event["fixed"]
        for r in affected.get("ranges") or []
        for event in r.get("events") or []
        if "fixed" in event
    )
    return Advisory(
        id=record["id"],
        aliases=tuple(record.get("aliases") or ()),
        summary=str(record.get("summary") or record.get("details", ""))[:300],
        severity=severity,
        malicious=malicious,
        references=tuple(r["url"] for r in record.get("references") or [] if "url" in r),
        fixed=fixed,
        record=record,
    )


def _affects(ecosystem: Ecosystem, version: str | None, affected: dict[str, Any]) -> bool:
    if _every_version(affected):
        # Whatever is installed is affected: `npx -y evil-mcp` (no version, as most configs
        # are written) had no finding although every release of it is malicious.
        return True
    if version is None:
        return False
    listed = affected.get("versions") or []
    if version in listed:
        return True
    parsed = parse_version(ecosystem, version)
    if parsed is None:
        return False
    # Listed versions are compared as versions, not strings: pip installs the listed 0.3.1 for
    # `==0.3.1.0` or `==v0.3.1`, npm the listed 1.2.3 for `@=1.2.3` or `@1.2.3+x`.
    if listed and parsed in _parsed_versions(ecosystem, tuple(listed)):
        return True
    for version_range in affected.get("ranges") or []:
        if version_range.get("type") not in ("SEMVER", "ECOSYSTEM"):
            continue
        if _in_range(ecosystem, parsed, version_range.get("events") or []):
            return True
    return False


def _in_range(ecosystem: Ecosystem, version: Any, events: list[dict[str, str]]) -> bool:
    """OSV range semantics: sorted events; introduced opens, fixed/last_affected close."""
    affected = False
    for kind, start_at_zero, bound in _ordered_events(
        ecosystem, tuple((kind, value) for event in events for kind, value in event.items())
    ):
        if kind == "introduced":
            if start_at_zero or (bound is not None and version >= bound):
                affected = True
        elif kind == "fixed":
            affected = affected and not (bound is not None and version >= bound)
        elif kind == "last_affected":
            affected = affected and not (bound is not None and version > bound)
    return affected


@lru_cache(maxsize=4096)
def _ordered_events(
    ecosystem: Ecosystem, events: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, bool, Any], ...]:
    """A range's events parsed and sorted once (kind, opens at 0, parsed bound): vet looks up to
    500 releases, and sorting and parsing every event again for each took 22 s at 2,000 events."""
    keyed = [(_event_key(ecosystem, {kind: value}), kind, value) for kind, value in events]
    keyed.sort(key=lambda item: item[0])
    return tuple(
        (kind, value == "0", parse_version(ecosystem, value) if value != "0" else None)
        for _key, kind, value in keyed
    )


def _every_version(affected: dict[str, Any]) -> bool:
    """A range that opens at 0 and never closes: every version, known or not, is affected.
    OSV's ``{"limit": "*"}`` is the absent limit written out (it bounds nothing): read as a
    bound, it left `npx -y evil-mcp` with no finding."""
    return any(
        version_range.get("type") in ("SEMVER", "ECOSYSTEM")
        and any(event.get("introduced") == "0" for event in version_range.get("events") or [])
        and all(
            event.get("introduced") == "0" or event.get("limit") == "*" for event in version_range["events"]
        )
        for version_range in affected.get("ranges") or []
    )


@lru_cache(maxsize=1024)
def _parsed_versions(ecosystem: Ecosystem, versions: tuple[str, ...]) -> frozenset[Any]:
    """A record's listed versions, parsed once per list (a vet looks up to 500 releases)."""
    return frozenset(p for v in versions if (p := parse_version(ecosystem, v)) is not None)


def _event_key(ecosystem: Ecosystem, event: dict[str, str]) -> Any:
    value = next(iter(event.values()))
    parsed = parse_version(ecosystem, "0.0.0" if value == "0" else value)
    return (parsed is None, parsed if parsed is not None else 0)


def parse_version(ecosystem: Ecosystem, text: str) -> Any:
    """``text`` as a comparable version of its ecosystem (PEP 440 for PyPI, semver otherwise),
    or None where it is not one."""
    import semver
    from packaging.version import InvalidVersion, Version

    if not isinstance(text, str) or len(text) > MAX_VERSION_CHARS:
        return None
    try:
        if ecosystem is Ecosystem.PYPI:
            return Version(text)
        loose = _NPM_LOOSE.fullmatch(text.strip())
        if loose is None:
            return None
        return semver.Version.parse(_npm_canonical(loose))
    except (InvalidVersion, ValueError, TypeError):
        return None


# node-semver's loose form, which npm uses to read a version it is asked to install: `=`, `v`
# and spaces before it, leading zeros, a pre-release without its hyphen. `npx pkg@=1.0.16`,
# `@01.0.16` and `@=v01.00.016` all install 1.0.16; read strictly, none matched its advisory.
_NPM_LOOSE = compiled(
    r"[=v\s]*(\d+)\.(\d+)\.(\d+)"
    r"(?:-?([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)


def _npm_canonical(loose: re.Match[str]) -> str:
    major, minor, patch, prerelease, build = loose.groups()
    text = f"{int(major)}.{int(minor)}.{int(patch)}"
    if prerelease:
        text += "-" + ".".join(str(int(p)) if p.isdigit() else p for p in prerelease.split("."))
    return f"{text}+{build}" if build else text


# -- refresh -----------------------------------------------------------------------------------

DEFAULT_SOURCES = (
    "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
)


def is_mcp_record(record: dict[str, Any], extra_names: frozenset[str] = frozenset()) -> bool:
    for affected in record.get("affected") or []:
        pkg = affected.get("package") or {}
        name = str(pkg.get("name", ""))
        ecosystem = _OSV_ECOSYSTEMS.get(str(pkg.get("ecosystem")))
        if ecosystem is None:
            continue
        # Normalised as the matching normalises it: GHSA spells a PyPI project as the project
        # does (`LiteLLM`), and the exact-spelling test dropped its advisory at refresh.
        if _MCP_NAME.search(name) or _normal_name(ecosystem, name) in extra_names:
            return True
    return False


def update_snapshot(sources: Iterable[str], destination: Path | None = None) -> tuple[Path, int]:
    """Read OSV records from ``sources`` (URLs or paths), keep the MCP ones, write a snapshot.

    Returns the written path and the number of records in it. Writes atomically, so a failed
    refresh leaves the previous snapshot in place.
    """
    from mcpward.identity import official_names

    official = official_names()
    extra = frozenset(official.npm | official.pypi).union(
        *(frozenset(_normal_name(e, n) for n in names) for e, names in PLATFORM_PACKAGES.items())
    )
    records: dict[str, dict[str, Any]] = {}
    # The snapshot kept is a JSON document every later scan and vet reads whole: held to the
    # same bound, counted as records are kept (a zip of MCP-named records of 4 MiB each was all
    # held, then written, however many).
    sizes: dict[str, int] = {}
    kept = 0
    for source in sources:
        read = 0
        for record in _read_source(source):
            read += isinstance(record, dict) and "id" in record
            if well_formed(record) and is_mcp_record(record, extra):
                key, size = str(record["id"]), len(json.dumps(record))
                records[key] = record
                kept += size - sizes.get(key, 0)
                sizes[key] = size
                if kept > MAX_DOCUMENT_BYTES:
                    raise AdvisoryError(
                        f"{source}: its MCP records make a snapshot over {MAX_DOCUMENT_BYTES} bytes"
                    )
        if not read:
            # A wrong file (`{}`, an export with no JSON member) replaced the refreshed
            # snapshot with an empty one: every advisory only it held was gone.
            raise AdvisoryError(f"{source}: no OSV records in it")
    target = destination or user_snapshot_path()
    payload = {
        "snapshot_date": datetime.now(UTC).date().isoformat(),
        "sources": list(sources),
        "vulns": sorted(records.values(), key=lambda r: str(r["id"])),
    }
    encoded = json.dumps(payload, indent=1).encode("utf-8")
    if len(encoded) > MAX_DOCUMENT_BYTES:
        raise AdvisoryError(f"the MCP records read make a snapshot over {MAX_DOCUMENT_BYTES} bytes")
    try:
        replace_whole(target, encoded)
    except OSError as exc:  # the old snapshot stands, and no partial file is left beside it
        raise AdvisoryError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target, len(records)


def _read_source(source: str) -> Iterator[Any]:
    if re.match(r"^https?://", source, re.IGNORECASE):
        try:
            host = urlsplit(source).hostname
        except ValueError:  # `http://[::1`: an internal error (exit 70)
            raise AdvisoryError(f"{source}: not a URL") from None
        if source[:5].lower() == "http:" and not is_this_machine(host):
            # Anyone on the path could rewrite it: a record with a later `modified` replaces
            # the bundled one, so a forged "affects nothing" silenced a malicious package.
            raise AdvisoryError(f"{source}: advisories are fetched over https only (or from loopback)")
        held = held_by_another(source)
        if held is not None:  # another account's answer: a forged "affects nothing"
            raise AdvisoryError(f"{source}: {held}; refused")
        with tempfile.TemporaryFile() as spool:
            _download(source, spool)
            yield from _records_from_file(source, spool)
        return
    path = Path(source).expanduser()
    if path.is_dir():
        children = list(itertools.islice(path.rglob("*.json"), MAX_FOLDER_FILES + 1))
        if len(children) > MAX_FOLDER_FILES:
            raise AdvisoryError(f"{source}: more than {MAX_FOLDER_FILES} files, more than an export holds")
        read = 0
        for child in sorted(children):
            with _open_regular(child) as handle:
                read += os.fstat(handle.fileno()).st_size
                if read > MAX_INFLATED_BYTES:
                    raise AdvisoryError(f"{source}: its files hold more than {MAX_INFLATED_BYTES} bytes")
                yield from _records_from_file(str(child), handle)
        return
    if not path.is_file():
        raise AdvisoryError(f"{source}: no such file or folder")
    with _open_regular(path) as handle:
        yield from _records_from_file(source, handle)


def _open_regular(path: Path) -> IO[bytes]:
    """A regular file of at most MAX_SOURCE_BYTES, opened for reading. Checked on the descriptor
    read and opened without blocking: an unpacked export with `x.json -> /dev/zero` has size 0
    and was read until memory ran out; a FIFO blocked for ever."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        handle = os.fdopen(descriptor, "rb")
    except OSError as exc:
        raise AdvisoryError(f"{path}: {exc.strerror or exc}") from None
    facts = os.fstat(handle.fileno())
    if not stat.S_ISREG(facts.st_mode) or facts.st_size > MAX_SOURCE_BYTES:
        handle.close()
        why = (
            "not a regular file"
            if not stat.S_ISREG(facts.st_mode)
            else f"larger than {MAX_SOURCE_BYTES} bytes"
        )
        raise AdvisoryError(f"{path}: {why}")
    return handle


def _size(handle: IO[bytes]) -> int:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    return size


def _read_document(name: str, handle: IO[bytes]) -> bytes:
    """A JSON document's bytes, refused over MAX_DOCUMENT_BYTES before any is read."""
    size = _size(handle)
    if size > MAX_DOCUMENT_BYTES:
        raise AdvisoryError(
            f"{name}: a JSON document of {size} bytes, over the {MAX_DOCUMENT_BYTES} read whole"
            " (an export larger than that is a zip)"
        )
    try:
        return handle.read(size)  # what it held when checked, not what it grows to
    except OSError as exc:
        raise AdvisoryError(f"{name}: {exc.strerror or exc}") from None


class _Spool:
    """A download's bytes into a file, stopped early once they cannot be a zip and pass the
    most a JSON document may be (a 2 GB answer of JSON was written whole, then parsed)."""

    def __init__(self, source: str, into: IO[bytes]) -> None:
        self.source, self.into, self.size, self.head = source, into, 0, b""

    def __call__(self, chunk: bytes) -> None:
        if len(self.head) < 4:
            self.head = (self.head + chunk)[:4]
        self.size += len(chunk)
        if self.size > MAX_DOCUMENT_BYTES and len(self.head) == 4 and self.head != b"PK\x03\x04":
            raise AdvisoryError(
                f"{self.source}: a JSON document over the {MAX_DOCUMENT_BYTES} bytes read whole"
                " (an export larger than that is a zip)"
            )
        self.into.write(chunk)


def _download(url: str, into: IO[bytes]) -> None:
    try:
        download_into(url, MAX_SOURCE_BYTES, _Spool(url, into))
    except DownloadError as exc:
        raise AdvisoryError(str(exc)) from None
    into.seek(0)


def _records_from_file(name: str, handle: IO[bytes]) -> Iterator[Any]:
    try:
        magic = handle.read(4)
        handle.seek(0)
    except OSError as exc:
        raise AdvisoryError(f"{name}: {exc.strerror or exc}") from None
    if magic != b"PK\x03\x04":
        yield from _records_from_json(name, _read_document(name, handle))
        return
    try:
        archive = zipfile.ZipFile(cast(IO[bytes], _ReadsBounded(name, handle)))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise AdvisoryError(f"{name}: not a readable zip archive") from None
    inflated = 0
    for info in archive.infolist():
        if not info.filename.endswith(".json"):
            continue
        if info.file_size > MAX_RECORD_BYTES:
            # Refused, not skipped: a record left out silently is an advisory lost.
            raise AdvisoryError(
                f"{name}: member {info.filename[:200]!r} of {info.file_size} bytes, over the"
                f" {MAX_RECORD_BYTES} a record may be"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # bzip2 and LZMA are decompressed a whole read at a time: a few kilobytes grow
            # to gigabytes before the claimed size cuts them. OSV's exports use deflate.
            raise AdvisoryError(f"{name}: {info.filename} is not stored or deflated")
        try:
            # read(n), not read(): zipfile's read() inflates the whole member before it
            # cuts it to the size the headers claim (1 MB claiming 100 bytes took 2 GiB).
            with archive.open(info) as member:
                data = member.read(MAX_RECORD_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise AdvisoryError(f"{name}: damaged member {info.filename}") from None
        inflated += len(data)
        if inflated > MAX_INFLATED_BYTES:
            raise AdvisoryError(f"{name}: members inflating to over {MAX_INFLATED_BYTES} bytes in all")
        yield from _records_from_json(f"{name}:{info.filename}", data)


class _ReadsBounded:
    """A zip file whose every read is refused past MAX_DIRECTORY_BYTES at once: zipfile reads a
    central directory in one read of the size its end records give (whichever record it takes),
    then holds an object per member. Member reads stay far below (a record is 4 MiB at most)."""

    def __init__(self, name: str, handle: IO[bytes]) -> None:
        self._name, self._handle = name, handle

    def read(self, size: int | None = -1) -> bytes:
        wanted = size if size is not None and size >= 0 else _size_left(self._handle)
        if wanted > MAX_DIRECTORY_BYTES:
            raise AdvisoryError(
                f"{self._name}: a zip directory of {wanted} bytes, over the {MAX_DIRECTORY_BYTES} read"
            )
        return self._handle.read(wanted)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def seekable(self) -> bool:
        return True


def _size_left(handle: IO[bytes]) -> int:
    here = handle.tell()
    end = handle.seek(0, os.SEEK_END)
    handle.seek(here)
    return end - here


def _records_from_json(name: str, data: bytes) -> Iterator[Any]:
    try:
        parsed = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise AdvisoryError(f"{name}: not OSV JSON ({type(exc).__name__})") from None
    if isinstance(parsed, dict) and isinstance(parsed.get("vulns"), list):
        yield from parsed["vulns"]
    elif isinstance(parsed, list):
        yield from parsed
    else:
        yield parsed
