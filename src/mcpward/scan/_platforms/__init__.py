"""One module per automation or agent platform (n8n, Flowise, LangFlow, LiteLLM's proxy). Every
public module defines one :class:`~mcpward.scan._platforms._common.Platform`; they are found by
listing the package, so adding a platform means adding a file.

:class:`PlatformFiles` is the tree walk's side: it claims exported flows, the platforms'
SQLite databases and LiteLLM configs by name, and hands each to the platform whose shape it
is. :func:`platform_servers` reads the platforms' default data folders and installations.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from mcpward._documents import DocumentError, DocumentFormat, parse_text, read_text
from mcpward._plugins import implementations
from mcpward.model import Scope
from mcpward.scan._hosts._common import MAX_SERVERS_PER_FILE
from mcpward.scan._manifests.interface import ManifestReader
from mcpward.scan._platforms._common import (
    FlowSource,
    Found,
    Platform,
    PlatformError,
    installation_record,
    open_read_only,
    tables_of,
)
from mcpward.scan.interface import HomeLayout

#: The first "flow" or "n8n" of the name taken once (an atomic group): tried at each one, the
#: part after it was read to its end each time, as the square of the name.
_EXPORT = r"(?>[^/]*?(?i:flow|n8n))[^/]*\.json"
_DATABASE = r"database\.sqlite|langflow\.db"
_LITELLM = r"(?:config|proxy_config|litellm[\w.-]*)\.ya?ml"


@cache
def all_platforms() -> tuple[Platform, ...]:
    return tuple(sorted(implementations(__name__, __path__, Platform), key=lambda p: p.id))


def platform_ids() -> tuple[str, ...]:
    return tuple(p.id for p in all_platforms())


def read_platform_file(path: Path, scope: Scope, project: Path | None) -> Iterator[Found]:
    """The servers in one platform file: an exported flow, a database or a LiteLLM config; at
    most :data:`MAX_SERVERS_PER_FILE` servers and errors, as a client's config gives."""
    for count, found in enumerate(_platform_file(path, scope, project)):
        if count >= MAX_SERVERS_PER_FILE:
            yield path, f"more than {MAX_SERVERS_PER_FILE} servers or malformed entries; the rest skipped"
            return
        yield found


def _platform_file(path: Path, scope: Scope, project: Path | None) -> Iterator[Found]:
    source = FlowSource(path=path, scope=scope, project=project, flow=path.stem)
    name = path.name
    try:
        if name.endswith((".sqlite", ".db")):
            yield from _database(path, source)
        elif name.endswith((".yaml", ".yml")):
            if "mcp_servers" in read_text(path):
                for platform in all_platforms():
                    yield from platform.from_text_file(path, source)
        else:
            yield from _export(path, source)
    except DocumentError as exc:
        yield path, str(exc)
    except (RecursionError, ValueError, TypeError, AttributeError) as exc:
        # A platform module met a shape it did not expect: report it, keep scanning.
        yield path, f"unexpected structure ({type(exc).__name__})"


def _export(path: Path, source: FlowSource) -> Iterator[Found]:
    content = read_text(path)
    if "mcp" not in content.lower():
        return  # no MCP node can be in it: spares parsing every other flow in a tree
    data = parse_text(content, DocumentFormat.JSON)
    for platform in all_platforms():
        if platform.recognises_export(data):
            yield from platform.from_export(data, source)
            return


def _database(path: Path, source: FlowSource) -> Iterator[Found]:
    import sqlite3

    connection = open_read_only(path)
    try:
        tables = tables_of(connection)
        for platform in all_platforms():
            if tables and all(t in tables for t in platform.database_tables()) and platform.database_tables():
                yield from platform.from_database(connection, source)
    except sqlite3.Error as exc:
        raise PlatformError(f"cannot read the database ({type(exc).__name__})") from None
    finally:
        connection.close()


def platform_servers(layout: HomeLayout) -> Iterator[Found]:
    """What the platforms' default data folders hold, and the platforms installed."""
    for platform in all_platforms():
        for path in platform.data_files(layout):
            if os.path.isfile(path):
                yield from read_platform_file(path, Scope.USER, None)
        for metadata, package in platform.installations(layout):
            yield installation_record(platform.id, metadata, package)


class PlatformFiles(ManifestReader):
    """The tree walk's claim on platform files; see the module's docstring."""

    host = "platform"
    file_pattern = f"{_EXPORT}|{_DATABASE}|{_LITELLM}"

    def read(self, directory: str, files: list[str]) -> Iterator[Found]:
        project = Path(directory)
        for file in files:
            yield from read_platform_file(Path(file), Scope.PROJECT, project)
