"""The domain model every part of mcpward shares.

These are the nouns the scan produces and that vet, inspect, the registry and the gateway
consume: a server as a client has it configured (:class:`ServerSpec`), the package behind it
(:class:`PackageRef`), a judgement about it (:class:`Finding`) and a file that could not be read
(:class:`ScanError`). All are immutable pydantic models so that every output format serialises
them the same way and nothing downstream can change what was observed.

No model here ever holds a secret value: environment variables and headers are kept by name,
arguments and URLs are redacted before a model is built.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Severity(enum.StrEnum):
    """Finding severity; ``rank`` orders them so that comparisons mean "at least as bad as"."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r}; expected one of: {names}") from None


_SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)


class Category(enum.StrEnum):
    """The vocabulary of what a finding is about; stable, used in every output format."""

    UNPINNED_PACKAGE = "unpinned-package"
    PLAINTEXT_SECRET = "plaintext-secret"  # noqa: S105 - a category name
    SHELL_WRAPPER = "shell-wrapper"
    INSECURE_TRANSPORT = "insecure-transport"
    IMPERSONATION = "impersonation"
    KNOWN_VULNERABLE = "known-vulnerable"
    EXCESSIVE_SCOPE = "excessive-scope"
    PARSE_ERROR = "parse-error"


class Scope(enum.StrEnum):
    USER = "user"
    PROJECT = "project"
    MANAGED = "managed"


class Transport(enum.StrEnum):
    STDIO = "stdio"
    HTTP = "http"
    SSE = "sse"


class Ecosystem(enum.StrEnum):
    NPM = "npm"
    PYPI = "pypi"
    OCI = "oci"
    GIT = "git"
    LOCAL = "local"
    URL = "url"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PackageRef(_Frozen):
    """What a server runs: a registry package, an image, a local path or a remote endpoint."""

    ecosystem: Ecosystem
    name: str
    version: str | None = Field(
        default=None, description="The version or tag as requested; None when none was given."
    )
    pinned: bool = Field(
        default=False, description="True only for an exact version, an image digest or a commit."
    )
    digest: str | None = None

    @property
    def display(self) -> str:
        if self.ecosystem is Ecosystem.NPM:
            return f"{self.name}@{self.version}" if self.version else self.name
        if self.ecosystem is Ecosystem.PYPI:
            return f"{self.name}=={self.version}" if self.version else self.name
        if self.ecosystem is Ecosystem.OCI:
            text = f"{self.name}:{self.version}" if self.version else self.name
            return f"{text}@{self.digest}" if self.digest else text
        return self.name


ServerSource = Literal["config", "manifest"]


class ServerSpec(_Frozen):
    """One MCP server as a host application has it configured, or as a project declares it."""

    id: str = Field(description="Stable identifier: a digest of host, config path, project and name.")
    host: str = Field(description="Host application id, e.g. claude-desktop, vscode, cursor.")
    name: str
    config_path: str
    scope: Scope
    source: ServerSource = "config"
    transport: Transport | None = None
    command: str | None = None
    args: tuple[str, ...] = ()
    url: str | None = None
    env_names: tuple[str, ...] = ()
    header_names: tuple[str, ...] = ()
    package: PackageRef | None = None
    dependencies: tuple[PackageRef, ...] = Field(
        default=(), description="MCP-related packages a project manifest or lock file declares."
    )
    project: str | None = Field(default=None, description="The project directory, if any.")
    owner: str | None = Field(default=None, description="Account owning the config file.")
    repository: str | None = Field(default=None, description="Git remote of the project.")
    disabled: bool = False
    line: int | None = Field(default=None, description="1-based line of the entry, if found.")


class Finding(_Frozen):
    """A judgement about one server (or one config file) with the evidence behind it."""

    rule: str = Field(description="Stable rule id, e.g. npm-unpinned.")
    category: Category
    severity: Severity
    message: str
    remediation: str
    host: str | None = None
    server: str | None = None
    server_id: str | None = None
    config_path: str | None = None
    line: int | None = None
    evidence: str | None = Field(default=None, description="Redacted excerpt that triggered it.")
    references: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = Field(
        default=(), description="Advisory ids (GHSA, CVE, OSV) when the finding is about one."
    )


class ScanError(_Frozen):
    """A file that exists but could not be used; the scan carries on without it."""

    path: str
    message: str
    host: str | None = None


class Report(_Frozen):
    """What a command found: the common input of every output format."""

    tool_version: str
    command: str
    generated_at: datetime
    subject: str = Field(description="What was examined: a home directory, paths, a package.")
    servers: tuple[ServerSpec, ...] = ()
    findings: tuple[Finding, ...] = ()
    errors: tuple[ScanError, ...] = ()

    def worst_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)
