"""The abstractions of ``vet``: where a package comes from, and what is known about it.

A :class:`PackageSource` (one module per registry in ``_sources/``) turns a target into a
:class:`FetchedPackage`: its files, read safely into memory, and what the registry says about
it. Everything after that (code facts, identity, the version diff) works on these objects.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mcpward.errors import McpwardError
from mcpward.model import Ecosystem, PackageRef
from mcpward.vet._archive import PackageFiles
from mcpward.vet._provenance import ProvenanceResult


class VetError(McpwardError):
    """A target that cannot be vetted: unknown registry, missing version, corrupt archive,
    integrity mismatch. The message is meant for the user."""


@dataclass(frozen=True, slots=True)
class Target:
    """What to vet: a registry package at a version, or a local archive or folder."""

    ecosystem: Ecosystem
    name: str
    version: str | None = None
    path: Path | None = None

    @property
    def ref(self) -> PackageRef:
        return PackageRef(ecosystem=self.ecosystem, name=self.name, version=self.version)

    @property
    def display(self) -> str:
        return str(self.path) if self.path is not None else self.ref.spec


@dataclass(slots=True)
class PackageMetadata:
    """What the registry (or the package's own manifest) says about one version."""

    name: str
    version: str | None
    published: datetime | None = None
    #: Release before this one, by version order, when the registry lists one.
    previous_version: str | None = None
    previous_published: datetime | None = None
    #: Every version the registry lists, for the nearest release no advisory affects.
    versions: tuple[str, ...] = ()
    publisher: str | None = None
    maintainers: tuple[str, ...] = ()
    repository: str | None = None
    homepage: str | None = None
    #: True when the registry lists provenance attestations; None when it cannot tell.
    has_provenance: bool | None = None
    #: The result of verifying them, when there were any to verify.
    provenance: ProvenanceResult | None = None
    #: The official MCP registry's ownership marker (``mcpName`` / ``mcp-name:``).
    mcp_name: str | None = None
    install_scripts: dict[str, str] = field(default_factory=dict)
    #: Packages installed with this one (npm's dependencies, optional and peer ones; a wheel's
    #: ``Requires-Dist``; an sdist's build and declared requirements), each as the package the
    #: installer installs (an npm alias's target) and the one version its range allows (None
    #: for a range).
    dependencies: tuple[tuple[str, str | None], ...] = ()
    #: Those of them fetched from outside the registry (a URL, git, a path): (name, spec).
    dependency_sources: tuple[tuple[str, str], ...] = ()
    #: The registry's hash of the archive, which the download was checked against (npm
    #: ``sha512-…`` SRI, PyPI ``sha256:…``); None for a local archive.
    integrity: str | None = None
    #: Why the manifest could not be trusted as read: (rule, message), each a finding.
    manifest_problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class FetchedPackage:
    ref: PackageRef
    files: PackageFiles
    metadata: PackageMetadata
    #: Where the archive came from (a cache path, a local path), for the report.
    origin: str = ""


class PackageSource(ABC):
    ecosystem: Ecosystem

    @abstractmethod
    def fetch(self, target: Target) -> FetchedPackage:
        """Download (or read from the cache) and verify the package; raise :class:`VetError`."""

    def previous(self, fetched: FetchedPackage) -> Target | None:
        """The release before ``fetched``, as a target, when there is one."""
        previous = fetched.metadata.previous_version
        if previous is None:
            return None
        return Target(self.ecosystem, fetched.ref.name, previous)
