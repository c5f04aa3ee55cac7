"""Python projects: ``pyproject.toml``, ``requirements*.txt`` and the lock files of uv and
Poetry, for dependencies on ``mcp``, ``fastmcp`` and MCP server packages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from mcpward._documents import DocumentFormat, parse_text
from mcpward.model import Ecosystem
from mcpward.scan._manifests.interface import DependencyManifestReader, ProjectFacts


def _is_requirements(name: str) -> bool:
    return name.startswith("requirements") and name.endswith((".txt", ".in"))


class PythonProject(DependencyManifestReader):
    host = "python-project"
    ecosystem = Ecosystem.PYPI
    file_pattern = r"pyproject\.toml|uv\.lock|poetry\.lock|requirements[\w.-]*\.(?:txt|in)"

    def normal_name(self, name: str) -> str:
        return canonicalize_name(name)

    def absorb(self, path: Path, text: str, facts: ProjectFacts) -> str | None:
        if _is_requirements(path.name):
            facts.declared.update(_requirements(text.splitlines()))
            return None
        data = parse_text(text, DocumentFormat.TOML)
        if path.name != "pyproject.toml":  # uv.lock, poetry.lock: [[package]] name, version
            packages = data.get("package")
            for package in packages if isinstance(packages, list) else []:
                if isinstance(package, Mapping) and isinstance(package.get("version"), str):
                    facts.locked[canonicalize_name(str(package.get("name", "")))] = package["version"]
            return None
        facts.primary = path
        project = data.get("project")
        if isinstance(project, Mapping):
            if isinstance(project.get("name"), str):
                facts.name = project["name"]
            if isinstance(project.get("version"), str):
                facts.version = project["version"]
        facts.declared.update(_requirements(_pyproject_requirements(data)))
        return None


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
