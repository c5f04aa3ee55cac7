"""Servers declared as software: manifests, lock files and container definitions in a project.

A :class:`ManifestReader` claims file names during the tree walk, then reads the files it
claimed in one directory together (``package.json`` with its lock file) and yields the servers
they declare. One module per ecosystem; adding one means adding a file.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from mcpward._documents import DocumentError, DocumentFormat, read_text
from mcpward._regex import compiled
from mcpward.identity import PLATFORM_PACKAGES, official_names
from mcpward.model import Ecosystem, PackageRef, Scope
from mcpward.scan.interface import ConfigLocation, DiscoveredServer

#: A project depending on an automation platform is reported too, so that the platform's own
#: version is checked against advisories (the platforms' packages are in PLATFORM_PACKAGES).
_PLATFORM_WORDS = ("n8n", "flowise", "langflow", "litellm", "langchain-chatchat")

_MCP_TOKEN = compiled(r"(?:^|[-/@_.])mcp(?:$|[-_.])|modelcontextprotocol|fastmcp", re.IGNORECASE)


@cache
def _mention_pattern() -> re.Pattern[str]:
    official = official_names()
    names = [n for n in official.npm | official.pypi | official.oci if "mcp" not in n.lower()]
    alternatives = ["mcp", "modelcontextprotocol", *_PLATFORM_WORDS, *(re.escape(n) for n in sorted(names))]
    return compiled("|".join(alternatives), re.IGNORECASE)


@cache
def _ascii_mention_words() -> tuple[str, ...] | None:
    """The words of :func:`_mention_pattern` in lower case, for ASCII text; None if a word is
    not ASCII. A name holding "modelcontextprotocol" is found by that word already."""
    official = official_names()
    names = [n.lower() for n in official.npm | official.pypi | official.oci]
    words = ["mcp", "modelcontextprotocol", *_PLATFORM_WORDS]
    words += sorted({n for n in names if "mcp" not in n and "modelcontextprotocol" not in n})
    return tuple(words) if all(word.isascii() for word in words) else None


def mentions_mcp(text: str) -> bool:
    """Whether a manifest can declare anything MCP at all: a cheap test that spares parsing the
    thousands of manifests in a large tree that have nothing to do with MCP."""
    words = _ascii_mention_words()
    if words is not None and text.isascii():
        # In ASCII text a case-insensitive match of an ASCII word is a substring of the lowered
        # text (the other characters that fold to ASCII letters, such as the long s, are not
        # ASCII): a few passes in C, where the case-insensitive alternation took 11 us.
        lowered = text.lower()
        return any(word in lowered for word in words)
    return _mention_pattern().search(text) is not None


def is_mcp_package(ecosystem: Ecosystem, name: str) -> bool:
    """The MCP SDKs, official servers and packages named as MCP servers (``*-mcp``, ``mcp-*``)."""
    official = official_names()
    if name in official.names(ecosystem) or official.is_known(ecosystem, name):
        return True
    if name.lower() in PLATFORM_PACKAGES.get(ecosystem, ()):
        return True
    return bool(_MCP_TOKEN.search(name)) or (ecosystem is Ecosystem.PYPI and name == "mcp")


class ManifestReader(ABC):
    #: The host id used in output for what this reader finds.
    host: str
    #: A regular expression matching the whole name of every file this reader wants.
    file_pattern: str

    def claims(self, file_name: str) -> bool:
        return re.fullmatch(self.file_pattern, file_name) is not None

    @abstractmethod
    def read(self, directory: str, files: list[str]) -> Iterable[DiscoveredServer | tuple[Path, str]]:
        """Declared servers, or ``(path, message)`` for a file that cannot be used. Paths come
        as the walk found them, text: most manifests of a tree declare nothing, and a
        :class:`~pathlib.Path` for each cost a sixth of reading them."""


@dataclass(slots=True)
class ProjectFacts:
    """What the manifests of one directory say about the project and its dependencies."""

    name: str | None = None
    version: str | None = None
    #: The file the project is reported at (the manifest, not a lock file, when there is one).
    primary: Path | None = None
    #: Declared dependencies, with their exact version when the declaration pins one.
    declared: dict[str, str | None] = field(default_factory=dict)
    #: Exact versions from lock files.
    locked: dict[str, str] = field(default_factory=dict)
    #: The lock files' integrity hashes (npm's ``sha512-…``), for the registry's integrity check.
    integrity: dict[str, str] = field(default_factory=dict)


class DependencyManifestReader(ManifestReader):
    """Manifests and lock files of one ecosystem: a project is reported when it depends on
    an MCP package, with its exact (locked) versions for the advisory checks."""

    ecosystem: Ecosystem

    @abstractmethod
    def absorb(self, path: Path, text: str, facts: ProjectFacts) -> str | None:
        """Add what one file says to ``facts``; return a problem with it, if any. May raise
        :class:`~mcpward._documents.DocumentError`."""

    def normal_name(self, name: str) -> str:
        return name

    def read(self, directory: str, files: list[str]) -> Iterator[DiscoveredServer | tuple[Path, str]]:
        facts = ProjectFacts()
        for file in files:
            try:
                text = read_text(file)
                problem = self.absorb(Path(file), text, facts) if mentions_mcp(text) else None
            except DocumentError as exc:
                problem = str(exc)
            if problem is not None:
                yield Path(file), problem
        if not facts.declared and not facts.locked:
            return  # nothing declared: no dependency, MCP or other
        names = {**facts.declared, **facts.locked}
        project = Path(directory)
        own_name = self.normal_name(facts.name or project.name)
        versions = {n: facts.locked.get(n) or facts.declared.get(n) for n in names if n != own_name}
        dependencies = mcp_dependencies(self.ecosystem, versions, facts.integrity)
        if not dependencies:
            return
        yield DiscoveredServer(
            host=self.host,
            location=ConfigLocation(
                facts.primary or Path(files[0]), Scope.PROJECT, DocumentFormat.JSON, project=project
            ),
            name=facts.name or project.name,
            transport=None,
            project=project,
            source="manifest",
            declared_package=PackageRef(
                ecosystem=self.ecosystem,
                name=own_name,
                version=facts.version,
                pinned=facts.version is not None,
            ),
            dependencies=dependencies,
        )


def mcp_dependencies(
    ecosystem: Ecosystem, versions: dict[str, str | None], integrity: dict[str, str] | None = None
) -> tuple[PackageRef, ...]:
    """The MCP-related entries of a ``name -> version`` map, as exact package refs (with the
    lock file's integrity hash as their digest, when it gives one)."""
    refs = []
    for name, version in sorted(versions.items()):
        if is_mcp_package(ecosystem, name):
            digest = (integrity or {}).get(name)
            refs.append(
                PackageRef(
                    ecosystem=ecosystem, name=name, version=version, pinned=version is not None, digest=digest
                )
            )
    return tuple(refs)
