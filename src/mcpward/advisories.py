"""An offline snapshot of advisories for MCP packages, in OSV format.

The snapshot bundled with mcpward is the fallback; ``mcpward advisories update`` writes a
newer one to the user data folder from OSV exports (a zip such as OSV's ``npm/all.zip``, a
folder of OSV JSON files, or one JSON file), read from a URL or a local path.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from mcpward._http import DownloadError, download
from mcpward._paths import user_data_dir
from mcpward.errors import McpwardError
from mcpward.identity import PLATFORM_PACKAGES
from mcpward.model import Ecosystem, PackageRef, Severity

_OSV_ECOSYSTEMS = {"npm": Ecosystem.NPM, "PyPI": Ecosystem.PYPI}
_MCP_NAME = re.compile(r"(?:^|[^a-z])mcp(?:[^a-z]|$)|modelcontextprotocol|fastmcp", re.IGNORECASE)
#: A refreshed snapshot stays well below this; anything larger is not an OSV export of ours.
MAX_SOURCE_BYTES = 2 * 1024 * 1024 * 1024
MAX_RECORD_BYTES = 4 * 1024 * 1024


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
def _load_snapshot(path: Path | None) -> tuple[dict[str, Any], ...]:
    if path is None:
        text = resources.files("mcpward.data").joinpath("advisories.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    data = json.loads(text)
    return tuple(data.get("vulns", []))


def load_advisories(snapshot: Path | None = None) -> tuple[dict[str, Any], ...]:
    """The bundled records merged with the user's refreshed snapshot, newest record per id."""
    records: dict[str, dict[str, Any]] = {r["id"]: r for r in _load_snapshot(None)}
    candidates = [snapshot] if snapshot else [user_snapshot_path()]
    for path in candidates:
        if path is None or not path.is_file():
            continue
        try:
            for record in _load_snapshot(path):
                current = records.get(record.get("id", ""))
                if current is None or str(record.get("modified", "")) >= str(current.get("modified", "")):
                    records[record["id"]] = record
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a damaged user snapshot must not hide the bundled one
    return tuple(records.values())


def advisories_for(package: PackageRef, records: Iterable[dict[str, Any]] | None = None) -> list[Advisory]:
    """Advisories affecting the exact version of ``package``; none for unversioned refs."""
    if package.version is None or package.ecosystem not in (Ecosystem.NPM, Ecosystem.PYPI):
        return []
    found = []
    for record in records if records is not None else load_advisories():
        for affected in record.get("affected", []):
            pkg = affected.get("package", {})
            if _OSV_ECOSYSTEMS.get(pkg.get("ecosystem")) is not package.ecosystem:
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
        for affected in record.get("affected", []):
            pkg = affected.get("package", {})
            ecosystem = _OSV_ECOSYSTEMS.get(pkg.get("ecosystem"))
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
    severity = Severity.CRITICAL if malicious else Severity.__members__.get(label, Severity.HIGH)
    fixed = tuple(
        event["fixed"]
        for r in affected.get("ranges", [])
        for event in r.get("events", [])
        if "fixed" in event
    )
    return Advisory(
        id=record["id"],
        aliases=tuple(record.get("aliases") or ()),
        summary=str(record.get("summary") or record.get("details", ""))[:300],
        severity=severity,
        malicious=malicious,
        references=tuple(r["url"] for r in record.get("references", []) if "url" in r),
        fixed=fixed,
        record=record,
    )


def _affects(ecosystem: Ecosystem, version: str, affected: dict[str, Any]) -> bool:
    if version in affected.get("versions", []):
        return True
    parsed = parse_version(ecosystem, version)
    if parsed is None:
        return False
    for version_range in affected.get("ranges", []):
        if version_range.get("type") not in ("SEMVER", "ECOSYSTEM"):
            continue
        if _in_range(ecosystem, parsed, version_range.get("events", [])):
            return True
    return False


def _in_range(ecosystem: Ecosystem, version: Any, events: list[dict[str, str]]) -> bool:
    """OSV range semantics: sorted events; introduced opens, fixed/last_affected close."""
    affected = False
    ordered = sorted(events, key=lambda e: _event_key(ecosystem, e))
    for event in ordered:
        if "introduced" in event:
            start = event["introduced"]
            if start == "0" or _ge(ecosystem, version, start):
                affected = True
        elif "fixed" in event:
            affected = affected and not _ge(ecosystem, version, event["fixed"])
        elif "last_affected" in event:
            affected = affected and not _gt(ecosystem, version, event["last_affected"])
    return affected


def _event_key(ecosystem: Ecosystem, event: dict[str, str]) -> Any:
    value = next(iter(event.values()))
    parsed = parse_version(ecosystem, "0.0.0" if value == "0" else value)
    return (parsed is None, parsed if parsed is not None else 0)


def parse_version(ecosystem: Ecosystem, text: str) -> Any:
    """``text`` as a comparable version of its ecosystem (PEP 440 for PyPI, semver otherwise),
    or None where it is not one."""
    import semver
    from packaging.version import InvalidVersion, Version

    try:
        if ecosystem is Ecosystem.PYPI:
            return Version(text)
        return semver.Version.parse(text.lstrip("v"))
    except (InvalidVersion, ValueError, TypeError):
        return None


def _ge(ecosystem: Ecosystem, version: Any, bound: str) -> bool:
    other = parse_version(ecosystem, bound)
    return other is not None and version >= other


def _gt(ecosystem: Ecosystem, version: Any, bound: str) -> bool:
    other = parse_version(ecosystem, bound)
    return other is not None and version > other


# -- refresh -----------------------------------------------------------------------------------

DEFAULT_SOURCES = (
    "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
)


def is_mcp_record(record: dict[str, Any], extra_names: frozenset[str] = frozenset()) -> bool:
    for affected in record.get("affected", []):
        pkg = affected.get("package", {})
        name = str(pkg.get("name", ""))
        if pkg.get("ecosystem") in _OSV_ECOSYSTEMS and (_MCP_NAME.search(name) or name in extra_names):
            return True
    return False


def update_snapshot(sources: Iterable[str], destination: Path | None = None) -> tuple[Path, int]:
    """Read OSV records from ``sources`` (URLs or paths), keep the MCP ones, write a snapshot.

    Returns the written path and the number of records in it. Writes atomically, so a failed
    refresh leaves the previous snapshot in place.
    """
    from mcpward.identity import official_names

    official = official_names()
    extra = frozenset(official.npm | official.pypi).union(*PLATFORM_PACKAGES.values())
    records: dict[str, dict[str, Any]] = {}
    for source in sources:
        for record in _read_source(source):
            if isinstance(record, dict) and "id" in record and is_mcp_record(record, extra):
                records[str(record["id"])] = record
    target = destination or user_snapshot_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "snapshot_date": datetime.now(UTC).date().isoformat(),
        "sources": list(sources),
        "vulns": sorted(records.values(), key=lambda r: str(r["id"])),
    }
    with tempfile.NamedTemporaryFile(
        "w", dir=target.parent, delete=False, suffix=".tmp", encoding="utf-8"
    ) as handle:
        json.dump(payload, handle, indent=1)
    Path(handle.name).replace(target)
    _load_snapshot.cache_clear()
    return target, len(records)


def _read_source(source: str) -> Iterator[Any]:
    if re.match(r"^https?://", source):
        yield from _records_from_bytes(source, _download(source))
        return
    path = Path(source).expanduser()
    if path.is_dir():
        for child in sorted(path.rglob("*.json")):
            yield from _records_from_bytes(str(child), _read_bounded(child))
        return
    if not path.is_file():
        raise AdvisoryError(f"{source}: no such file or folder")
    yield from _records_from_bytes(source, _read_bounded(path))


def _read_bounded(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise AdvisoryError(f"{path}: larger than {MAX_SOURCE_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise AdvisoryError(f"{path}: {exc.strerror or exc}") from None


def _download(url: str) -> bytes:
    try:
        return download(url, MAX_SOURCE_BYTES)
    except DownloadError as exc:
        raise AdvisoryError(str(exc)) from None


def _records_from_bytes(name: str, data: bytes) -> Iterator[Any]:
    if data[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise AdvisoryError(f"{name}: not a readable zip archive") from None
        for info in archive.infolist():
            if not info.filename.endswith(".json") or info.file_size > MAX_RECORD_BYTES:
                continue
            try:
                yield from _records_from_json(f"{name}:{info.filename}", archive.read(info))
            except (zipfile.BadZipFile, OSError):
                raise AdvisoryError(f"{name}: damaged member {info.filename}") from None
        return
    yield from _records_from_json(name, data)


def _records_from_json(name: str, data: bytes) -> Iterator[Any]:
    try:
        parsed = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AdvisoryError(f"{name}: not OSV JSON ({type(exc).__name__})") from None
    if isinstance(parsed, dict) and isinstance(parsed.get("vulns"), list):
        yield from parsed["vulns"]
    elif isinstance(parsed, list):
        yield from parsed
    else:
        yield parsed
