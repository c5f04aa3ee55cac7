"""npm projects: ``package.json`` and the lock files of npm, pnpm, yarn and bun."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mcpward._documents import DocumentFormat, parse_text
from mcpward._regex import compiled
from mcpward.model import Ecosystem
from mcpward.scan._manifests.interface import DependencyManifestReader, ProjectFacts

_FILES = {
    "package.json": DocumentFormat.JSON,
    "package-lock.json": DocumentFormat.JSON,
    "npm-shrinkwrap.json": DocumentFormat.JSON,
    "pnpm-lock.yaml": DocumentFormat.YAML,
    "bun.lock": DocumentFormat.JSONC,
    "yarn.lock": DocumentFormat.YAML,  # read line by line by _yarn_lock (v1 is not YAML)
}
_DEPENDENCY_KEYS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")


class NpmProject(DependencyManifestReader):
    host = "npm-project"
    ecosystem = Ecosystem.NPM
    file_pattern = "|".join(re.escape(name) for name in _FILES)

    def absorb(self, path: Path, text: str, facts: ProjectFacts) -> str | None:
        if path.name == "yarn.lock":
            facts.locked.update(_yarn_lock(text))
            return None
        data = parse_text(text, _FILES[path.name])
        if not isinstance(data, Mapping):
            return f"expected an object, found {type(data).__name__}"
        if path.name != "package.json":
            facts.locked.update(_lock_versions(path.name, data))
            facts.integrity.update(_lock_integrity(path.name, data))
            return None
        facts.primary = path
        if isinstance(data.get("name"), str):
            facts.name = data["name"]
        if isinstance(data.get("version"), str):
            facts.version = data["version"]
        for key in _DEPENDENCY_KEYS:
            deps = data.get(key)
            if isinstance(deps, Mapping):
                facts.declared.update(dict(_declared(str(name), spec) for name, spec in deps.items()))
        return None


#: A range that allows one version only: "1.9.0", "=1.9.0", "v1.9.0" (npm's semver reads them
#: alike). "^1.9.0" and friends name no version: the lock file says which one is installed.
_EXACT_VERSION = compiled(r"^\s*+=?\s*+v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\s*$")


def _declared(name: str, spec: object) -> tuple[str, str | None]:
    """A dependency's package and exact version: an alias (``"x": "npm:evil-mcp@1.0.16"``) is
    the package npm installs under the name, which was looked up as ``x`` (or not at all)."""
    if isinstance(spec, str) and spec.startswith("npm:"):
        target = spec[len("npm:") :]
        at = target.rfind("@")
        if at > 0:
            return target[:at], _exact(target[at + 1 :])
        return target, None
    return name, _exact(spec)


def _exact(spec: object) -> str | None:
    match = _EXACT_VERSION.match(spec) if isinstance(spec, str) else None
    return match.group(1) if match else None


def _lock_versions(file_name: str, data: Mapping[str, Any]) -> dict[str, str]:
    versions: dict[str, str] = {}
    if file_name in _NPM_LOCKS:
        versions.update(_installed(data, "version"))  # lockfile v2 and v3
        dependencies = data.get("dependencies")
        if isinstance(dependencies, Mapping):  # lockfile v1
            for name, entry in dependencies.items():
                if isinstance(entry, Mapping) and isinstance(entry.get("version"), str):
                    versions.setdefault(str(name), entry["version"])
    elif file_name == "pnpm-lock.yaml":
        packages = data.get("packages")
        if isinstance(packages, Mapping):
            for key in packages:
                name, version = _split_pnpm_key(str(key))
                if name and version:
                    versions[name] = version
    elif file_name == "bun.lock":
        packages = data.get("packages")
        if isinstance(packages, Mapping):
            for entry in packages.values():
                if isinstance(entry, list) and entry and isinstance(entry[0], str):
                    name, _, version = entry[0].rpartition("@")
                    if name:
                        versions[name] = version
    return versions


def _lock_integrity(file_name: str, data: Mapping[str, Any]) -> dict[str, str]:
    """``package-lock.json`` (v2, v3) records each package's integrity hash."""
    return _installed(data, "integrity") if file_name in _NPM_LOCKS else {}


_NPM_LOCKS = ("package-lock.json", "npm-shrinkwrap.json")


def _installed(data: Mapping[str, Any], field: str) -> dict[str, str]:
    """Package name -> ``field`` of each ``node_modules/…`` entry of a lockfile v2 or v3."""
    found: dict[str, str] = {}
    packages = data.get("packages")
    if isinstance(packages, Mapping):
        for key, entry in packages.items():
            if "node_modules/" in key and isinstance(entry, Mapping) and isinstance(entry.get(field), str):
                # An entry names its package only where it is not its folder's: an alias's.
                name = entry.get("name")
                if not isinstance(name, str) or not name:
                    name = key.rsplit("node_modules/", 1)[1]
                found[name] = entry[field]
    return found


def _split_pnpm_key(key: str) -> tuple[str, str]:
    """``/@scope/name@1.2.3(peer@1)`` (v6) or ``@scope/name@1.2.3`` (v9) or ``/name/1.2.3`` (v5)."""
    key = key.lstrip("/").split("(")[0]
    at = key.rfind("@")
    if at > 0:
        return key[:at], key[at + 1 :]
    parts = key.rsplit("/", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", "")


_YARN_HEADER = compiled(r'^"?((?:@[^@/\s"]+/)?[^@\s"]+)@')
_YARN_VERSION = compiled(r'^\s+version:?\s+"?([^"\s]+)"?')


def _yarn_lock(text: str) -> dict[str, str]:
    """Yarn lock files, v1 (not YAML) and Berry alike: ``name@range:`` headers, each followed
    by an indented ``version`` line."""
    versions: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if not line[0].isspace():
            match = _YARN_HEADER.match(line)
            current = match.group(1) if match else None
            # Berry writes `x@npm:1.2.3` for a range; `x@npm:evil-mcp@1.2.3` is an alias of evil-mcp.
            aliased = _YARN_HEADER.match(line[match.end() + len("npm:") :]) if match else None
            if match and line[match.end() :].startswith("npm:") and aliased:
                current = aliased.group(1)
        elif current is not None:
            version = _YARN_VERSION.match(line)
            if version:
                versions[current] = version.group(1)
                current = None
    return versions
