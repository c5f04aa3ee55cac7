"""Servers declared as software: manifests, lock files and container definitions in a project.

A :class:`ManifestReader` claims file names during the tree walk, then reads the files it
claimed in one directory together (``package.json`` with its lock file) and yields the servers
they declare. One module per ecosystem; adding one means adding a file.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from mcpward.identity import official_names
from mcpward.model import Ecosystem, PackageRef
from mcpward.scan.interface import DiscoveredServer

_MCP_TOKEN = re.compile(r"(?:^|[-/@_.])mcp(?:$|[-_.])|modelcontextprotocol|fastmcp", re.IGNORECASE)


@cache
def _mention_pattern() -> re.Pattern[str]:
    official = official_names()
    names = [n for n in official.npm | official.pypi | official.oci if "mcp" not in n.lower()]
    alternatives = ["mcp", "modelcontextprotocol", *(re.escape(n) for n in sorted(names))]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def mentions_mcp(text: str) -> bool:
    """Whether a manifest can declare anything MCP at all: a cheap test that spares parsing the
    thousands of manifests in a large tree that have nothing to do with MCP."""
    return _mention_pattern().search(text) is not None


def is_mcp_package(ecosystem: Ecosystem, name: str) -> bool:
    """The MCP SDKs, official servers and packages named as MCP servers (``*-mcp``, ``mcp-*``)."""
    official = official_names()
    if name in official.names(ecosystem) or official.is_known(ecosystem, name):
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
    def read(self, directory: Path, files: list[Path]) -> Iterable[DiscoveredServer | tuple[Path, str]]:
        """Declared servers, or ``(path, message)`` for a file that cannot be used."""


def mcp_dependencies(ecosystem: Ecosystem, versions: dict[str, str | None]) -> tuple[PackageRef, ...]:
    """The MCP-related entries of a ``name -> version`` map, as exact package refs."""
    refs = []
    for name, version in sorted(versions.items()):
        if is_mcp_package(ecosystem, name):
            refs.append(
                PackageRef(ecosystem=ecosystem, name=name, version=version, pinned=version is not None)
            )
    return tuple(refs)
