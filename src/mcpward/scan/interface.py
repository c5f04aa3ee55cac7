"""The abstractions of the scan: where a host keeps its configs, and what it yields.

A host application is one module in ``_hosts/`` that subclasses :class:`HostApp`; a config
check is one module in ``_checks/`` that subclasses :class:`ConfigCheck`. Adding either means
adding one file.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from mcpward._documents import Document, DocumentFormat
from mcpward.errors import McpwardError
from mcpward.model import (
    Category,
    Finding,
    PackageRef,
    RunningProcess,
    Scope,
    ServerSource,
    ServerSpec,
    Severity,
    Transport,
)

if TYPE_CHECKING:
    from mcpward.launch import Launch


class TargetOS(enum.StrEnum):
    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"

    @classmethod
    def running(cls) -> TargetOS:
        import sys

        if sys.platform == "darwin":
            return cls.MACOS
        if sys.platform.startswith("win"):
            return cls.WINDOWS
        return cls.LINUX


@dataclass(frozen=True, slots=True)
class HomeLayout:
    """Where the per-user and system-wide directories of one OS are, under a given home."""

    os: TargetOS
    home: Path
    #: Filesystem root for managed (system-wide) configs; None to skip them, e.g. when a
    #: Windows layout is scanned from a Linux machine and no root was given.
    root: Path | None
    #: XDG_CONFIG_HOME / APPDATA style overrides, honoured only when scanning the live machine.
    environ: Mapping[str, str] = field(default_factory=dict)

    @property
    def config_dir(self) -> Path:
        """``~/.config`` on Linux, ``~/Library/Application Support`` on macOS, ``%APPDATA%``."""
        if self.os is TargetOS.WINDOWS:
            return Path(self.environ.get("APPDATA") or self.home / "AppData" / "Roaming")
        if self.os is TargetOS.MACOS:
            return self.home / "Library" / "Application Support"
        return Path(self.environ.get("XDG_CONFIG_HOME") or self.home / ".config")

    @property
    def xdg_config_dir(self) -> Path:
        """``~/.config`` on every OS, for tools that use it everywhere (opencode, goose)."""
        return Path(self.environ.get("XDG_CONFIG_HOME") or self.home / ".config")

    @property
    def local_app_data(self) -> Path:
        return Path(self.environ.get("LOCALAPPDATA") or self.home / "AppData" / "Local")

    def system_path(self, *parts: str) -> Path | None:
        """A path under the system root (``/etc/...``, ``C:/ProgramData/...``), if one is set."""
        if self.root is None:
            return None
        return self.root.joinpath(*parts)


@dataclass(frozen=True, slots=True)
class ConfigLocation:
    """One config file a host reads, and how."""

    path: Path
    scope: Scope
    format: DocumentFormat
    #: For project configs, the project directory.
    project: Path | None = None
    #: A host-specific hint for files of one host with several shapes (e.g. "settings").
    variant: str = ""


@dataclass(frozen=True, slots=True)
class SkillContent:
    """An agent skill's texts: the description the model reads to pick it, the instructions
    it follows, and the scripts it ships (path relative to the skill, text)."""

    description: str
    body: str
    scripts: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class DiscoveredServer:
    """A server entry as parsed from a config, with raw values, before redaction.

    Lives only inside the scan: checks look at the raw values, then a redacted
    :class:`ServerSpec` is built and this object is dropped. Its repr hides values.
    """

    host: str
    location: ConfigLocation
    name: str
    transport: Transport | None
    command: str | None = None
    args: tuple[str, ...] = ()
    url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    disabled: bool = False
    #: Tools the client runs without asking; ("*",) for all of them.
    auto_approve: tuple[str, ...] = ()
    #: Where each auto-approval comes from, for evidence ("autoApprove", a settings file).
    auto_approve_via: tuple[str, ...] = ()
    project: Path | None = None
    line: int | None = None
    #: For servers declared as software (manifests, lock files): the project's own package
    #: and the MCP packages it depends on.
    source: ServerSource = "config"
    declared_package: PackageRef | None = None
    dependencies: tuple[PackageRef, ...] = ()
    #: A server the host itself offers to others (an n8n MCP Server Trigger, a process found
    #: listening), rather than one it connects to.
    served: bool = False
    #: How the host authenticates to the server, or requires callers to, when it keeps the
    #: credential elsewhere (an n8n credential, LiteLLM's auth_type, a bearer check seen by a
    #: probe); None when nothing is configured.
    auth_via: str | None = None
    #: For servers found running or listening (``--processes``, ``--probe-ports``).
    process: RunningProcess | None = None
    #: The client plugin or editor extension this server comes with.
    plugin: str | None = None
    #: For an agent skill (``source="skill"``): what the checks read.
    skill: SkillContent | None = None
    #: The variables of the entry's env file (VS Code's and Cursor's ``envFile``), which the
    #: client adds at each start: their names are recorded, their values only judged for what
    #: they run (``NODE_OPTIONS``), never checked as secrets written in the config.
    env_file: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"DiscoveredServer(host={self.host!r}, name={self.name!r}, path={self.location.path})"


@dataclass(frozen=True, slots=True)
class ToolApproval:
    """A client setting that lets tools run without asking the user.

    ``server`` None means every server of the host; ``tools`` ("*",) means every tool. A
    project-level setting applies only to servers of the same project.
    """

    host: str
    location: ConfigLocation
    server: str | None
    tools: tuple[str, ...]
    setting: str

    def applies_to(self, server: DiscoveredServer) -> bool:
        if server.host != self.host or self.server not in (None, server.name):
            return False
        return self.location.project is None or self.location.project == server.project


@dataclass(frozen=True, slots=True)
class ServerContext:
    """What a check sees: the raw entry, its resolved launch and the redacted spec."""

    raw: DiscoveredServer
    launch: Launch
    spec: ServerSpec
    #: The home directory scanned, to recognise it in arguments.
    home: str | None = None

    def finding(
        self,
        *,
        rule: str,
        category: Category,
        severity: Severity,
        message: str,
        remediation: str,
        evidence: str | None = None,
        references: tuple[str, ...] = (),
        identifiers: tuple[str, ...] = (),
    ) -> Finding:
        return Finding(
            rule=rule,
            category=category,
            severity=severity,
            message=message,
            remediation=remediation,
            host=self.spec.host,
            server=self.spec.name,
            server_id=self.spec.id,
            config_path=self.spec.config_path,
            line=self.spec.line,
            evidence=evidence,
            references=references,
            identifiers=identifiers,
        )


@dataclass(frozen=True, slots=True)
class LaunchKeys:
    """How one server entry of a host's config writes what it runs: the keys ``wrap`` reads to
    find the entry and writes to route it through the gateway."""

    command: str = "command"
    #: None when the command is one list holding the program and its arguments (opencode).
    args: str | None = "args"
    env: str = "env"

    def launch_of(self, entry: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
        """The program and arguments ``entry`` runs, or None when it runs none in this shape."""
        command = entry.get(self.command)
        if self.args is None:
            if not isinstance(command, list) or not command or not isinstance(command[0], str):
                return None
            return command[0], tuple(str(arg) for arg in command[1:])
        args = entry.get(self.args) or []
        if not isinstance(command, str) or not isinstance(args, list):
            return None
        return command, tuple(str(arg) for arg in args)

    def fields_for(self, command: str, args: list[str]) -> dict[str, Any]:
        """The fields of an entry that run ``command args``."""
        if self.args is None:
            return {self.command: [command, *args]}
        return {self.command: command, self.args: args}


class HostApp(ABC):
    """One AI client application: where it keeps MCP configs and how to read them."""

    #: The id used in all output, e.g. ``claude-desktop``.
    id: ClassVar[str]
    #: Paths relative to a project directory, POSIX style; ``*`` allowed in the last part.
    project_files: ClassVar[tuple[tuple[str, DocumentFormat], ...]] = ()
    #: The keys of a server entry's launch line in this host's configs.
    launch_keys: ClassVar[LaunchKeys] = LaunchKeys()

    @abstractmethod
    def user_configs(self, layout: HomeLayout) -> Iterable[ConfigLocation]:
        """The user-level and managed config files of this host under ``layout``."""

    def project_configs(self, project: Path, relative: PurePath) -> Iterator[ConfigLocation]:
        """Config locations for a file at ``project/relative`` matched by the tree walk."""
        for pattern, fmt in self.project_files:
            if relative.match(pattern):
                yield ConfigLocation(project / relative, Scope.PROJECT, fmt, project=project)

    @abstractmethod
    def parse(self, location: ConfigLocation, document: Document) -> Iterable[Parsed]:
        """The servers in one loaded config document, and any auto-approval settings in it.
        A malformed entry is yielded as an :class:`EntryError`, so that one bad entry does not
        hide the others."""


class EntryError(McpwardError):
    """One server entry in an otherwise readable file has the wrong shape."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"server {name!r}: {message}")
        self.name = name


Parsed = DiscoveredServer | EntryError | ToolApproval


class ConfigCheck(ABC):
    """One family of config risks; yields findings about a single server."""

    category: ClassVar[Category]

    @abstractmethod
    def check(self, server: ServerContext) -> Iterable[Finding]:
        """Findings about ``server``; none when it is fine."""


def as_str_map(value: Any) -> dict[str, str] | None:
    """A mapping of strings, coercing scalar values; None when ``value`` is not a mapping."""
    if not isinstance(value, Mapping):
        return None
    result: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool):
            item = "true" if item else "false"
        result[str(key)] = "" if item is None else str(item)
    return result
