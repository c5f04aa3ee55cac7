"""What most host modules share: turning one server entry into a :class:`DiscoveredServer`.

Host modules translate their own entry shape into the common keys below (``command``, ``args``,
``env``, ``url``, ``headers``, ``type``, ``disabled``, ``auto_approve``) and call
:func:`build_server`. Entries of the usual types are taken as they are; anything else is
validated by pydantic, whose messages name the field, never the value.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from mcpward._documents import Document, DocumentError, DocumentFormat, read_text
from mcpward._env_file import read_env_file
from mcpward.model import Scope, Transport
from mcpward.scan.interface import (
    ConfigLocation,
    DiscoveredServer,
    EntryError,
    HomeLayout,
    HostApp,
    Parsed,
)

#: Caps on what one entry may hold; real configs are far below them.
MAX_SERVERS_PER_FILE = 10_000
MAX_ARGS = 1_000
#: MCP auto-approval rules read from one settings file (``mcp__server__tool``, ``@server/tool``).
MAX_APPROVALS_PER_FILE = 1_000

Scalar = str | int | float | bool | None


def _scalar_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > 14_000:
        # TOML and JSON5 spell integers in hex at any length; Python writes no more than 4,300
        # decimal digits (str() raises), and one such argument lost every server of the file.
        return hex(value)
    return "" if value is None else str(value)


@cache
def common_entry_model() -> Any:
    """The pydantic model of an entry in the common shape. Built on first use: pydantic and
    the model cost 60 ms to import and build, which a scan that finds no config never pays."""
    from pydantic import BaseModel, ConfigDict, field_validator

    class CommonEntry(BaseModel):
        model_config = ConfigDict(extra="ignore", frozen=True)

        command: str | None = None
        args: list[Scalar] = []
        env: dict[str, Scalar] = {}
        url: str | None = None
        headers: dict[str, Scalar] = {}
        type: str | None = None
        disabled: bool = False
        auto_approve: list[str] = []

        @field_validator("args")
        @classmethod
        def _cap_args(cls, value: list[Scalar]) -> list[Scalar]:
            if len(value) > MAX_ARGS:
                raise ValueError(f"more than {MAX_ARGS} arguments")
            return value

    return CommonEntry


@dataclass(frozen=True, slots=True)
class PlainEntry:
    """An entry in the common shape whose values already have exactly the types of
    :func:`common_entry_model`, so that validating it would return them unchanged."""

    command: str | None = None
    args: Sequence[Scalar] = ()
    env: Mapping[str, Scalar] = field(default_factory=dict)
    url: str | None = None
    headers: Mapping[str, Scalar] = field(default_factory=dict)
    type: str | None = None
    disabled: bool = False
    auto_approve: Sequence[str] = ()


_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
_OPTIONAL_TEXT = frozenset({str, type(None)})


def _plain_map(value: Any) -> bool:
    return type(value) is dict and all(type(k) is str and type(v) in _SCALAR_TYPES for k, v in value.items())


def plain_entry(fields: Mapping[str, Any]) -> PlainEntry | None:
    """The entry without pydantic when every value has exactly its declared type (what real
    configs hold); None when anything needs coercion or is wrong, for pydantic to convert it
    or to word the error. Building the model costs 60 ms, most of a small scan."""
    command, args, env = fields.get("command"), fields.get("args", ()), fields.get("env", {})
    url, headers, kind = fields.get("url"), fields.get("headers", {}), fields.get("type")
    disabled, approved = fields.get("disabled", False), fields.get("auto_approve", ())
    if not (
        type(command) in _OPTIONAL_TEXT
        and type(url) in _OPTIONAL_TEXT
        and type(kind) in _OPTIONAL_TEXT
        and type(disabled) is bool
        and type(args) in (list, tuple)
        and len(args) <= MAX_ARGS
        and all(type(a) in _SCALAR_TYPES for a in args)
        and type(approved) in (list, tuple)
        and all(type(a) is str for a in approved)
        and _plain_map(env)
        and _plain_map(headers)
    ):
        return None
    return PlainEntry(command, args, env, url, headers, kind, disabled, approved)


_TRANSPORTS = {
    "stdio": Transport.STDIO,
    "local": Transport.STDIO,
    "command": Transport.STDIO,
    "sse": Transport.SSE,
    "http": Transport.HTTP,
    "streamable-http": Transport.HTTP,
    "streamablehttp": Transport.HTTP,
    "streamable_http": Transport.HTTP,
    "remote": Transport.HTTP,
}


def build_server(
    host: str,
    location: ConfigLocation,
    document: Document,
    name: str,
    fields: Mapping[str, Any],
    *,
    url_transport: Transport = Transport.HTTP,
) -> DiscoveredServer | EntryError:
    """Validate ``fields`` (the common keys) and build the server, or say what is wrong."""
    entry = plain_entry(fields)
    if entry is None:
        from pydantic import ValidationError

        try:
            entry = common_entry_model().model_validate(dict(fields))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                for err in exc.errors(include_url=False, include_input=False, include_context=False)[:5]
            )
            return EntryError(name, problems)
    kind = (entry.type or "").strip().lower()
    transport = _TRANSPORTS.get(kind)
    if transport is None:
        if kind and kind not in _TRANSPORTS:
            return EntryError(name, f"unknown transport type {kind[:40]!r}")
        if entry.url:
            transport = url_transport
        elif entry.command:
            transport = Transport.STDIO
        else:
            return EntryError(name, "neither a command nor a URL")
    if transport is Transport.STDIO and not entry.command:
        return EntryError(name, "stdio server without a command")
    if transport is not Transport.STDIO and not entry.url:
        return EntryError(name, f"{transport.value} server without a URL")
    return DiscoveredServer(
        host=host,
        location=location,
        name=name,
        transport=transport,
        command=entry.command,
        args=tuple(_scalar_text(a) for a in entry.args),
        url=entry.url,
        env={k: _scalar_text(v) for k, v in entry.env.items()},
        headers={k: _scalar_text(v) for k, v in entry.headers.items()},
        disabled=entry.disabled,
        auto_approve=tuple(entry.auto_approve),
        project=location.project,
        line=document.line_of(name),
    )


def iter_server_map(servers: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]] | EntryError]:
    """The ``name -> entry`` pairs of a server map, with an error for each that is no mapping."""
    if servers is None:
        return
    if not isinstance(servers, Mapping):
        yield EntryError(where, f"expected a mapping of servers, found {type(servers).__name__}")
        return
    for count, (name, entry) in enumerate(servers.items()):
        if count >= MAX_SERVERS_PER_FILE:
            yield EntryError(where, f"more than {MAX_SERVERS_PER_FILE} servers; the rest skipped")
            return
        if not isinstance(entry, Mapping):
            yield EntryError(str(name), f"expected a mapping, found {type(entry).__name__}")
            continue
        yield str(name), entry


def looks_like_server_map(data: Mapping[str, Any]) -> bool:
    """Whether ``data`` is itself a map of servers (``{"name": {"command": ...}}``), as plugins
    and Copilot CLI's project files may have it, with no ``mcpServers`` around it."""
    return bool(data) and all(
        isinstance(v, Mapping) and ("command" in v or "url" in v) for v in data.values()
    )


def claude_style_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The common keys of the widespread Claude Desktop shape, with the usual aliases:
    ``serverUrl`` (Windsurf), ``httpUrl`` (Gemini), ``autoApprove``/``alwaysAllow``."""
    fields = {k: entry[k] for k in ("command", "args", "env", "headers", "type") if k in entry}
    if "transport" in entry and "type" not in entry and isinstance(entry["transport"], str):
        fields["type"] = entry["transport"]
    for key in ("url", "serverUrl", "httpUrl"):
        if key in entry:
            fields["url"] = entry[key]
            break
    if "disabled" in entry:
        fields["disabled"] = entry["disabled"]
    elif entry.get("enabled") is False:
        fields["disabled"] = True
    approved: list[Any] = []
    for key in ("autoApprove", "alwaysAllow"):
        value = entry.get(key)
        if isinstance(value, list):
            approved.extend(value)
        elif value is True:
            approved.append("*")
    if entry.get("trust") is True:  # Gemini CLI: skip every confirmation for this server
        approved.append("*")
    if approved:
        fields["auto_approve"] = approved
    return fields


class McpServersHost(HostApp):
    """A host whose configs hold ``{"mcpServers": {name: entry}}`` in the Claude Desktop shape."""

    servers_key: ClassVar[str] = "mcpServers"
    #: Transport of an entry that has a ``url`` and no ``type``.
    url_transport: ClassVar[Transport] = Transport.HTTP
    #: The key of an entry naming a file of variables the client adds (``envFile``), if any.
    env_file_key: ClassVar[str | None] = None

    def user_configs(self, layout: HomeLayout) -> Iterable[ConfigLocation]:
        return ()

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        data = document.data
        if not isinstance(data, Mapping):
            yield EntryError("(file)", f"expected a JSON object, found {type(data).__name__}")
            return
        yield from self.parse_servers(location, document, data.get(self.servers_key))

    def parse_servers(
        self, location: ConfigLocation, document: Document, servers: Any
    ) -> Iterator[DiscoveredServer | EntryError]:
        for item in iter_server_map(servers, self.servers_key):
            if isinstance(item, EntryError):
                yield item
                continue
            name, entry = item
            yield self.build(location, document, name, entry)

    def build(
        self, location: ConfigLocation, document: Document, name: str, entry: Mapping[str, Any]
    ) -> DiscoveredServer | EntryError:
        server = build_server(
            self.id,
            location,
            document,
            name,
            claude_style_fields(entry),
            url_transport=self.url_transport,
        )
        if self.env_file_key and isinstance(server, DiscoveredServer):
            server.env_file = env_file_variables(location, entry.get(self.env_file_key))
        return server


#: An env file's variables read, and its size: a client's ``.env`` is a few lines.
MAX_ENV_FILE_VARIABLES = 1_000
MAX_ENV_FILE_BYTES = 1024 * 1024


def env_file_variables(location: ConfigLocation, value: Any) -> dict[str, str]:
    """The variables of the env file an entry names (``${workspaceFolder}/.env``), as VS Code and
    Cursor add them; none when it cannot be found or read. Of a project's config, only a file
    inside the project is read: a cloned repository would otherwise name the user's files."""
    project = location.project
    if not isinstance(value, str) or not value or project is None:
        return {}  # a user config's ${workspaceFolder} is whichever folder is open
    path = Path(value.replace("${workspaceFolder}", os.fspath(project)))
    path = path if path.is_absolute() else project / path
    try:
        inside = Path(os.path.realpath(path)).is_relative_to(os.path.realpath(project))
        text = read_text(path, max_bytes=MAX_ENV_FILE_BYTES) if inside else ""
    except (OSError, ValueError, DocumentError):
        return {}
    return read_env_file(text, max_variables=MAX_ENV_FILE_VARIABLES).variables


def user(path: Path, fmt: DocumentFormat = DocumentFormat.JSON, variant: str = "") -> ConfigLocation:
    return ConfigLocation(path, Scope.USER, fmt, variant=variant)


def managed(
    path: Path | None, fmt: DocumentFormat = DocumentFormat.JSON, variant: str = ""
) -> list[ConfigLocation]:
    return [] if path is None else [ConfigLocation(path, Scope.MANAGED, fmt, variant=variant)]


#: VS Code and its forks, by their user-data folder names; extensions live under each.
VSCODE_FAMILY = ("Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf")


def editor_user_dirs(layout: HomeLayout, editors: Iterable[str] = VSCODE_FAMILY) -> list[Path]:
    return [layout.config_dir / editor / "User" for editor in editors]


#: Folders whose listing ``bounded_glob`` cut short while a host named its configs, with why;
#: None outside :func:`listings_cut`.
_LISTINGS_CUT: ContextVar[list[tuple[Path, str]] | None] = ContextVar("mcpward_listings_cut", default=None)


@contextlib.contextmanager
def listings_cut() -> Iterator[list[tuple[Path, str]]]:
    """Within it, every listing ``bounded_glob`` cuts short is added to the list it gives, for
    the scan to say: a marketplace cloned into the home decides how many files are there."""
    cut: list[tuple[Path, str]] = []
    token = _LISTINGS_CUT.set(cut)
    try:
        yield cut
    finally:
        _LISTINGS_CUT.reset(token)


def bounded_glob(base: Path, name: str, max_depth: int, max_files: int = 500) -> list[Path]:
    """Files whose name matches the pattern ``name`` below ``base``, no deeper than
    ``max_depth``, following no links; past ``max_files`` the rest is left, and said (see
    :func:`listings_cut`)."""
    found: list[Path] = []
    stack = [(base, 0)]
    while stack:
        directory, depth = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if depth < max_depth:
                    stack.append((Path(entry.path), depth + 1))
            elif fnmatch.fnmatchcase(entry.name, name):
                if len(found) >= max_files:
                    cut = _LISTINGS_CUT.get()
                    if cut is not None:
                        reason = f"more than {max_files} files named {name!r} below it; the rest not read"
                        cut.append((base, reason))
                    return sorted(found)
                found.append(Path(entry.path))
    return sorted(found)
