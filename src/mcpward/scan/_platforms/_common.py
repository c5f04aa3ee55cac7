"""What the platform modules share: the :class:`Platform` abstraction, bounded read-only
SQLite, a bounded walk of flow documents, and installed versions read from package metadata.

An automation platform (n8n, Flowise, LangFlow, LiteLLM's proxy) keeps the MCP servers it
connects to, and the ones it serves, in its own documents: exported flows, a SQLite database,
a YAML file. A platform module says where those are by default and how to read them; what it
finds is reported with the same record and checks as a host's servers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import time
from abc import ABC
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from mcpward._documents import DocumentError, DocumentFormat, read_raw, required_owner
from mcpward._regex import compiled
from mcpward.model import Ecosystem, PackageRef, Scope
from mcpward.scan.interface import ConfigLocation, DiscoveredServer, HomeLayout

if TYPE_CHECKING:
    import sqlite3

#: Caps on hostile input: rows read from one database, bytes of one stored flow, the time one
#: database may take, and the nodes looked at in one flow.
MAX_ROWS = 5_000
MAX_FLOW_BYTES = 16 * 1024 * 1024
MAX_DATABASE_SECONDS = 5.0
MAX_NODES = 20_000
MAX_DEPTH = 40

Found = DiscoveredServer | tuple[Path, str]


class PlatformError(DocumentError):
    """A platform's document or database that cannot be used."""


@dataclass(frozen=True, slots=True)
class FlowSource:
    """Where one flow came from: the file (an export or the database) and the flow's name."""

    path: Path
    scope: Scope
    project: Path | None
    flow: str
    #: The workflow is switched off (n8n ``active: false``): what it serves is not served.
    inactive: bool = False

    def location(self, fmt: DocumentFormat = DocumentFormat.JSON) -> ConfigLocation:
        return ConfigLocation(self.path, self.scope, fmt, project=self.project)


class Platform(ABC):
    """One automation or agent platform: where its data is, and how to read its flows."""

    #: The id used as the record's host, e.g. ``n8n``.
    id: ClassVar[str]
    #: The packages the platform is installed as, for its own version's advisories.
    packages: ClassVar[tuple[tuple[Ecosystem, str], ...]] = ()

    def data_files(self, layout: HomeLayout) -> Iterable[Path]:
        """The platform's own data files under ``layout`` (databases, the default config)."""
        return ()

    def recognises_export(self, data: Any) -> bool:
        """Whether a parsed JSON document is one of this platform's exported flows."""
        return False

    def from_export(self, data: Any, source: FlowSource) -> Iterator[Found]:
        """The servers of an exported flow document."""
        return iter(())

    def database_tables(self) -> tuple[str, ...]:
        """The tables whose presence says that a SQLite file is this platform's database."""
        return ()

    def from_database(self, connection: sqlite3.Connection, source: FlowSource) -> Iterator[Found]:
        """The servers of every flow in this platform's database."""
        return iter(())

    def from_text_file(self, path: Path, source: FlowSource) -> Iterator[Found]:
        """The servers of a platform config file that is not a flow (LiteLLM's YAML)."""
        return iter(())

    def installations(self, layout: HomeLayout) -> Iterator[tuple[Path, PackageRef]]:
        """The platform as installed on the machine: the metadata file and the package."""
        for ecosystem, name in self.packages:
            for path, version in installed_versions(layout, ecosystem, name):
                yield path, PackageRef(ecosystem=ecosystem, name=name, version=version, pinned=True)


def installation_record(platform: str, path: Path, package: PackageRef) -> DiscoveredServer:
    """The platform itself as a record, for the advisories of its own version (a manifest-style
    record: no transport, the package as its dependency)."""
    return DiscoveredServer(
        host=platform,
        location=ConfigLocation(path, Scope.USER, DocumentFormat.JSON),
        name=f"{platform} {package.version} (installed)",
        transport=None,
        source="manifest",
        declared_package=package,
        dependencies=(package,),
    )


# --- bounded reading -------------------------------------------------------------------------


def open_read_only(path: Path) -> sqlite3.Connection:
    """A SQLite database opened read-only, with no code of the file's own trusted and a time
    limit on every statement. Falls back to ``immutable`` (no lock, no journal) for a file on
    read-only media or without write access to its folder."""
    import sqlite3

    _require_regular_file(path)
    owner = required_owner()
    before = _open_files() if owner is not None else None
    uri = "file:" + quote(os.path.abspath(path)) + "?mode=ro"
    try:
        if not _companions_regular(path):
            # SQLite opens its journal, WAL and shared memory by name, and blocks on a FIFO
            # there: the file is read as it is on disk instead, none of them opened.
            raise sqlite3.OperationalError("a journal that is not a regular file")
        connection = sqlite3.connect(uri, uri=True, timeout=0.5)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        try:
            connection = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=0.5)
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise PlatformError(f"not a readable SQLite database ({_sqlite_reason(exc)})") from None
    if owner is not None and not _opened_only_files_of(owner, before, path):
        connection.close()
        raise PlatformError("not owned by the home's owner (a link to another account's file?); not read")
    deadline = time.monotonic() + MAX_DATABASE_SECONDS
    # A non-zero return aborts the statement: a hostile view or a huge table cannot hold the scan.
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    connection.execute("PRAGMA query_only = ON")
    connection.execute("PRAGMA trusted_schema = OFF")
    return connection


def _require_regular_file(path: Path) -> None:
    """Refuse anything but a regular file, looked at through a descriptor opened without
    blocking: SQLite opens by name and would block forever on a FIFO named like a database."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise PlatformError(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    try:
        regular = stat.S_ISREG(os.fstat(descriptor).st_mode)
    except OSError:
        regular = False
    finally:
        os.close(descriptor)
    if not regular:
        raise PlatformError("not a regular file")


def _companions_regular(path: Path) -> bool:
    """Whether each file SQLite may open beside the database (rollback journal, WAL, shared
    memory) is absent or a regular file."""
    for suffix in ("-journal", "-wal", "-shm"):
        companion = Path(f"{path}{suffix}")
        if not os.path.lexists(companion):
            continue
        try:
            _require_regular_file(companion)
        except PlatformError:
            return False
    return True


#: Where a process sees its open files, one entry per descriptor.
_DESCRIPTORS = ("/proc/self/fd", "/dev/fd")


def _open_files() -> tuple[str, set[tuple[int, int]]] | None:
    """The regular files this process has open (device, inode), and where they were listed."""
    for folder in _DESCRIPTORS:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        return folder, {(facts.st_dev, facts.st_ino) for facts in _regular(folder, names)}
    return None


def _regular(folder: str, names: Iterable[str]) -> Iterator[os.stat_result]:
    for name in names:
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed since
            facts = os.stat(f"{folder}/{name}")
            if stat.S_ISREG(facts.st_mode):
                yield facts


def _opened_only_files_of(owner: int, before: tuple[str, set[tuple[int, int]]] | None, path: Path) -> bool:
    """Whether every file SQLite opened (the database, its journal) is ``owner``'s, checked on
    the open files: SQLite opens by name, and a link swapped in after a check of the name would
    pass. Where the open files cannot be listed, the file the name gives now."""
    opened: list[os.stat_result] = []
    if before is not None:
        folder, earlier = before
        opened = [f for f in _regular(folder, os.listdir(folder)) if (f.st_dev, f.st_ino) not in earlier]
    if not opened:
        try:
            opened = [os.stat(path)]
        except OSError:
            return False
    return all(facts.st_uid == owner for facts in opened)


def _sqlite_reason(exc: Exception) -> str:
    return re.sub(r"[^\w .,:-]", "", str(exc))[:80] or type(exc).__name__


def tables_of(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 1000").fetchall()
    return {str(row[0]) for row in rows}


def columns_of(connection: sqlite3.Connection, table: str) -> set[str]:
    rows = connection.execute(f'PRAGMA table_info("{table}")').fetchall()  # table: a literal name
    return {str(row[1]) for row in rows}


def select_rows(
    connection: sqlite3.Connection, table: str, columns: tuple[str, ...], json_column: str
) -> Iterator[tuple[Any, ...]]:
    """Up to :data:`MAX_ROWS` rows of ``table`` whose ``json_column`` is at most
    :data:`MAX_FLOW_BYTES` long; the names are the platform's own, never from the file."""
    import sqlite3

    present = columns_of(connection, table)
    if json_column not in present:
        return
    wanted = [c if c in present else "NULL" for c in columns]
    names = ", ".join(f'"{c}"' if c != "NULL" else c for c in wanted)
    query = f'SELECT {names} FROM "{table}" WHERE length("{json_column}") <= ? LIMIT ?'  # noqa: S608
    try:
        yield from connection.execute(query, (MAX_FLOW_BYTES, MAX_ROWS))
    except sqlite3.Error as exc:
        raise PlatformError(f"cannot read table {table} ({_sqlite_reason(exc)})") from None


def parse_json_value(value: Any) -> Any:
    """A JSON column or input that may hold a document as text; None when it is not JSON."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return value
    if len(value) > MAX_FLOW_BYTES:
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def named_flows(
    connection: sqlite3.Connection, source: FlowSource, table: str, column: str
) -> Iterator[tuple[Any, FlowSource]]:
    """Each flow stored in ``table`` (its JSON in ``column``), parsed, with its source named
    after the flow's ``name`` column."""
    for name, data in select_rows(connection, table, ("name", column), column):
        yield parse_json_value(data), replace(source, flow=text(name, 200) or "(unnamed)")


def walk_mappings(data: Any) -> Iterator[Mapping[str, Any]]:
    """Every mapping inside ``data``, breadth first, bounded in count and depth."""
    queue: deque[tuple[Any, int]] = deque([(data, 0)])
    seen = 0
    while queue and seen < MAX_NODES:
        value, depth = queue.popleft()
        if isinstance(value, Mapping):
            seen += 1
            yield value
            children: Iterable[Any] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth < MAX_DEPTH:
            queue.extend((child, depth + 1) for child in children if isinstance(child, (Mapping, list)))


def text(value: Any, limit: int = 2_000) -> str | None:
    return value[:limit] if isinstance(value, str) and value.strip() else None


# --- installed versions ------------------------------------------------------------------------

_DIST_INFO = compiled(r"^(?P<name>[A-Za-z0-9_.-]+?)-(?P<version>[0-9][^-]*)\.dist-info$")


def npm_global_dirs(layout: HomeLayout) -> list[Path]:
    """Where ``npm install -g`` puts packages, per OS."""
    dirs = [
        layout.home / ".npm-global" / "lib" / "node_modules",
        layout.home / ".local" / "lib" / "node_modules",
    ]
    if layout.os.value == "windows":
        dirs.append(layout.config_dir / "npm" / "node_modules")
    for prefix in (("usr", "local"), ("usr",), ("opt", "homebrew")):
        system = layout.system_path(*prefix, "lib", "node_modules")
        if system is not None and layout.os.value != "windows":
            dirs.append(system)
    return dirs


def python_tool_dirs(layout: HomeLayout, name: str) -> list[Path]:
    """The virtual environments ``pipx`` and ``uv tool`` make for an application."""
    data = layout.home / ".local" / "share"
    return [data / "pipx" / "venvs" / name, data / "uv" / "tools" / name]


def installed_versions(layout: HomeLayout, ecosystem: Ecosystem, name: str) -> Iterator[tuple[Path, str]]:
    if ecosystem is Ecosystem.NPM:
        for base in npm_global_dirs(layout):
            manifest = base / name / "package.json"
            version = _npm_version(manifest)
            if version is not None:
                yield manifest, version
        return
    normal = re.sub(r"[-_.]+", "_", name).lower()
    for venv in python_tool_dirs(layout, name):
        for site in _site_packages(venv):
            try:
                entries = list(os.scandir(site))
            except OSError:
                continue
            owner = required_owner()
            for entry in entries[:20_000]:
                match = _DIST_INFO.match(entry.name)
                if match and re.sub(r"[-_.]+", "_", match["name"]).lower() == normal:
                    if owner is not None and not _owned_by(entry, owner):
                        continue  # another account's venv, reached through a link in this home
                    yield Path(entry.path), match["version"]


def _owned_by(entry: os.DirEntry[str], owner: int) -> bool:
    try:
        return entry.stat().st_uid == owner
    except OSError:
        return False


def _site_packages(venv: Path) -> list[Path]:
    found = [venv / "Lib" / "site-packages"]
    with contextlib.suppress(OSError):
        found += [
            Path(e.path) / "site-packages" for e in os.scandir(venv / "lib") if e.name.startswith("python")
        ]
    return found


def _npm_version(manifest: Path) -> str | None:
    try:  # read_raw: only the home owner's file, where the agent requires it
        data = json.loads(read_raw(manifest, 1024 * 1024).decode("utf-8", "replace"))
    except (DocumentError, ValueError, RecursionError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) and re.fullmatch(r"[0-9][\w.+-]{0,63}", version) else None
