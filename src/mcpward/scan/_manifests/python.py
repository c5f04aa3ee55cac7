"""Python projects: ``pyproject.toml``, ``requirements*.txt`` and the lock files of uv and
Poetry, for dependencies on ``mcp``, ``fastmcp`` and MCP server packages."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from mcpward._documents import DocumentError, DocumentFormat, parse_text, read_text
from mcpward.model import Ecosystem, PackageRef, Scope
from mcpward.scan._manifests.interface import ManifestReader, mcp_dependencies, mentions_mcp
from mcpward.scan.interface import ConfigLocation, DiscoveredServer

_TOML_FILES = ("pyproject.toml", "uv.lock", "poetry.lock")


def _is_requirements(name: str) -> bool:
    return name.startswith("requirements") and name.endswith((".txt", ".in"))


class PythonProject(ManifestReader):
    host = "python-project"
    file_pattern = r"pyproject\.toml|uv\.lock|poetry\.lock|requirements[\w.-]*\.(?:txt|in)"

    def read(self, directory: Path, files: list[Path]) -> Iterator[DiscoveredServer | tuple[Path, str]]:
        declared: dict[str, str | None] = {}
        locked: dict[str, str] = {}
        own_name = directory.name
        own_version: str | None = None
        primary = files[0]
        for path in files:
            try:
                text = read_text(path)
                if not mentions_mcp(text):
                    continue
                if _is_requirements(path.name):
                    declared.update(_requirements(text.splitlines()))
                    continue
                data = parse_text(text, DocumentFormat.TOML)
            except DocumentError as exc:
                yield path, str(exc)
                continue
            if path.name == "pyproject.toml":
                primary = path
                project = data.get("project")
                if isinstance(project, Mapping):
                    own_name = str(project.get("name") or own_name)
                    version = project.get("version")
                    own_version = version if isinstance(version, str) else None
                declared.update(_requirements(_pyproject_requirements(data)))
            else:
                for package in data.get("package", []) if isinstance(data.get("package"), list) else []:
                    if isinstance(package, Mapping) and isinstance(package.get("version"), str):
                        locked[canonicalize_name(str(package.get("name", "")))] = package["version"]
        names = {**declared, **{n: None for n in locked}}
        versions = {n: locked.get(n) or declared.get(n) for n in names}
        dependencies = mcp_dependencies(Ecosystem.PYPI, versions)
        dependencies = tuple(d for d in dependencies if d.name != canonicalize_name(own_name))
        if not dependencies:
            return
        yield DiscoveredServer(
            host=self.host,
            location=ConfigLocation(primary, Scope.PROJECT, DocumentFormat.TOML, project=directory),
            name=own_name,
            transport=None,
            project=directory,
            source="manifest",
            declared_package=PackageRef(
                ecosystem=Ecosystem.PYPI,
                name=canonicalize_name(own_name),
                version=own_version,
                pinned=own_version is not None,
            ),
            dependencies=dependencies,
        )


def _pyproject_requirements(data: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    project = data.get("project")
    if isinstance(project, Mapping):
        found += [d for d in project.get("dependencies", []) if isinstance(d, str)]
        optional = project.get("optional-dependencies")
        if isinstance(optional, Mapping):
            found += [
                d
                for group in optional.values()
                if isinstance(group, list)
                for d in group
                if isinstance(d, str)
            ]
    groups = data.get("dependency-groups")
    if isinstance(groups, Mapping):
        found += [
            d for group in groups.values() if isinstance(group, list) for d in group if isinstance(d, str)
        ]
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), Mapping) else {}
    if isinstance(poetry, Mapping):
        for key in ("dependencies", "dev-dependencies"):
            deps = poetry.get(key)
            if isinstance(deps, Mapping):
                found += [
                    f"{name}=={spec}" if isinstance(spec, str) and spec[:1].isdigit() else str(name)
                    for name, spec in deps.items()
                    if name != "python"
                ]
    return found


def _requirements(lines: list[str]) -> dict[str, str | None]:
    """``name -> exact version`` (None when not pinned) for PEP 508 lines; options skipped."""
    from packaging.requirements import InvalidRequirement, Requirement

    result: dict[str, str | None] = {}
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        specifiers = list(requirement.specifier)
        exact = (
            specifiers[0].version
            if len(specifiers) == 1
            and specifiers[0].operator in ("==", "===")
            and "*" not in specifiers[0].version
            else None
        )
        result[canonicalize_name(requirement.name)] = exact
    return result
