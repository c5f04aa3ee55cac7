"""What pip installs with a Python package, read without running any of its code.

A wheel's requirements are its core metadata's ``Requires-Dist``, the only ones pip reads. An
sdist's are what its build declares: pip installs ``[build-system] requires`` (whose code then
runs at install) and asks the backend for the rest, which reads pyproject.toml, setup.cfg or
setup.py; the sdist's ``PKG-INFO`` is the publisher's word, not what pip reads, so all are
taken. The results have the shape of :func:`npm_dependencies` and ``npm_dependency_sources``:
(name, the one version a requirement allows or None) and (name, the requirement) for those
fetched from outside the index (``name @ URL``: a URL, a path, git), which neither an advisory
nor a name check reaches.
"""

from __future__ import annotations

import ast
import configparser
import posixpath
import tomllib
from collections.abc import Iterable, Iterator
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from mcpward._regex import compiled
from mcpward.vet._archive import PackageFiles
from mcpward.vet._setup_py import keyword_values, literal_strings, parsed

#: Requirements read from one package at most (npm's dependencies are bounded alike).
MAX_REQUIREMENTS = 1000
#: The name a requirement pip cannot parse starts with (pip refuses such metadata; the name is
#: still judged).
_LEADING_NAME = compiled(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
#: setup() keywords whose requirements pip (or setuptools, for setup_requires) installs.
_SETUP_KEYWORDS = frozenset({"install_requires", "setup_requires", "extras_require"})
#: A poetry version that allows one version only: ``"1.2.3"`` (poetry's bare version is exact)
#: or ``"==1.2.3"``.
_POETRY_EXACT = compiled(r"^\s*(?:==\s*)?(\d+(?:\.\d+)*(?:[a-zA-Z0-9.+-]*))\s*$")

Dependencies = tuple[tuple[str, str | None], ...]
Sources = tuple[tuple[str, str], ...]


def python_dependencies(requirements: Iterable[str]) -> tuple[Dependencies, Sources]:
    """(name, exact version or None) of each PEP 508 requirement, and (name, requirement) of
    those with a direct reference. A requirement in an extra or behind a marker is kept: an
    approved package is installed with its extras, on any platform."""
    found: list[tuple[str, str | None]] = []
    outside: list[tuple[str, str]] = []
    for line in _first(requirements):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            leading = _LEADING_NAME.match(text)
            if leading is not None:
                found.append((leading.group(1), None))
            continue
        found.append((requirement.name, _exact_version(requirement)))
        if requirement.url:
            outside.append((requirement.name, text[:300]))
    return tuple(dict.fromkeys(found)), tuple(dict.fromkeys(outside))


def sdist_requirements(files: PackageFiles) -> list[str]:
    """The requirements an sdist's build declares, as PEP 508 strings (poetry's tables made
    so): pyproject.toml's build requirements, dependencies and optional dependencies (and
    those of hatch build hooks, installed at build), setup.cfg's ``install_requires``,
    ``setup_requires`` and ``extras_require``, the literal strings of setup.py's, and the
    requirement files a ``file:`` or ``dynamic`` names."""
    found: list[str] = []
    pyproject = files.text("pyproject.toml")
    if pyproject is not None:
        found.extend(_pyproject_requirements(_toml(pyproject), files))
    setup_cfg = files.text("setup.cfg")
    if setup_cfg is not None:
        found.extend(_setup_cfg_requirements(setup_cfg, files))
    setup_py = files.files.get("setup.py")
    if setup_py is not None:
        literal, named_files = _setup_py_requirements(setup_py)
        found.extend(literal)
        found.extend(_requirement_files(named_files, files))
    return found[:MAX_REQUIREMENTS]


def _first(values: Iterable[str]) -> Iterator[str]:
    for count, value in enumerate(values):
        if count >= MAX_REQUIREMENTS:
            return
        yield value


def _exact_version(requirement: Requirement) -> str | None:
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator in ("==", "===") and "*" not in specifiers[0].version:
        return specifiers[0].version
    return None


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return {}  # an unreadable pyproject.toml is a manifest problem of its own


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _table(document: Any, *keys: str) -> dict[str, Any]:
    """The table at ``keys``, or an empty one."""
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document if isinstance(document, dict) else {}


def _tables(parent: dict[str, Any]) -> list[dict[str, Any]]:
    return [value for value in parent.values() if isinstance(value, dict)]


def _pyproject_requirements(document: dict[str, Any], files: PackageFiles) -> Iterator[str]:
    yield from _strings(_table(document, "build-system").get("requires"))
    project = _table(document, "project")
    yield from _strings(project.get("dependencies"))
    for listed in _table(project, "optional-dependencies").values():
        yield from _strings(listed)
    # hatchling installs a build hook's own dependencies before it runs the hook
    hatch_build = _table(document, "tool", "hatch", "build")
    hooks = [_table(hatch_build, "hooks")]
    hooks += [_table(target, "hooks") for target in _tables(_table(hatch_build, "targets"))]
    for hook in (hook for table in hooks for hook in _tables(table)):
        yield from _strings(hook.get("dependencies"))
    # the hatch-requirements-txt plugin: dependencies (and extras) read from requirement files
    plugin = _table(document, "tool", "hatch", "metadata", "hooks", "requirements_txt")
    named = [plugin.get("files"), *_table(plugin, "optional-dependencies").values()]
    for paths in named:
        yield from _requirement_files(_strings(paths), files)
    dynamic = _table(document, "tool", "setuptools", "dynamic")
    for table in [_table(dynamic, "dependencies"), *_tables(_table(dynamic, "optional-dependencies"))]:
        paths = table.get("file")
        yield from _requirement_files([paths] if isinstance(paths, str) else _strings(paths), files)
    poetry = _table(document, "tool", "poetry")
    listed = [_table(poetry, "dependencies")]
    listed += [_table(group, "dependencies") for group in _tables(_table(poetry, "group"))]
    for table in listed:
        for name, spec in table.items():
            if name != "python":
                yield _poetry_requirement(str(name), spec)


def _poetry_requirement(name: str, spec: Any) -> str:
    """A ``[tool.poetry.dependencies]`` entry as PEP 508: ``name==1.2.3`` for an exact version,
    ``name @ URL`` for a git, url or path source, else the name."""
    if isinstance(spec, list):  # several constraints by marker: the first judged, all named
        spec = spec[0] if spec else None
    if isinstance(spec, dict):
        for source in ("git", "url", "path", "file"):
            where = spec.get(source)
            if isinstance(where, str) and where.strip():
                return f"{name} @ {_as_url(source, where.strip())}"
        spec = spec.get("version")
    exact = _POETRY_EXACT.match(spec) if isinstance(spec, str) else None
    return f"{name}=={exact.group(1)}" if exact else name


def _as_url(source: str, where: str) -> str:
    if source == "git" and not where.startswith("git+"):
        return "git+" + where
    if source in ("path", "file") and "://" not in where:
        return "file:" + where
    return where


def _setup_cfg_requirements(text: str, files: PackageFiles) -> Iterator[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except (configparser.Error, ValueError):
        return
    values: list[str] = []
    if parser.has_section("options"):
        values += [parser["options"].get(key, "") for key in ("install_requires", "setup_requires")]
    if parser.has_section("options.extras_require"):
        values += list(parser["options.extras_require"].values())
    for value in values:
        if value.strip().startswith("file:"):
            yield from _requirement_files(value.strip()[len("file:") :].split(","), files)
            continue
        # setuptools splits a one-line value on ";" and a dangling list by lines
        yield from value.splitlines() if "\n" in value else value.split(";")


def _requirement_files(paths: list[str], files: PackageFiles) -> Iterator[str]:
    """Lines of the requirement files a ``file:`` names, as setuptools reads them (no
    options, no comments)."""
    for path in paths[:20]:
        text = files.text(posixpath.normpath(path.strip()).removeprefix("./"))
        for line in (text or "").splitlines()[:MAX_REQUIREMENTS]:
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith(("#", "-")):
                yield line


#: A requirement file's name (``requirements.txt``, ``requirements/base.txt``,
#: ``requirements-prod.in``): setup.py reads one into ``install_requires`` as often as not.
_REQUIREMENT_FILE = compiled(r"(?:^|/)requirements?[\w.-]*\.(?:txt|in)$|^requirements?/[\w.-]+\.(?:txt|in)$")


def _setup_py_requirements(source: bytes) -> tuple[list[str], list[str]]:
    """The literal strings setup.py passes to ``setup(install_requires=…, setup_requires=…,
    extras_require=…)``, and the requirement files it names (which it reads into them:
    ``open("requirements.txt")``); parsed, never run. A requirement computed otherwise is not
    seen."""
    tree = parsed(source)
    if tree is None:
        return [], []
    constants = (node.value for node in ast.walk(tree) if isinstance(node, ast.Constant))
    named_files = [value for value in constants if isinstance(value, str) and _REQUIREMENT_FILE.search(value)]
    found: list[str] = []
    for _keyword, value in keyword_values(tree, _SETUP_KEYWORDS):
        found.extend(literal_strings(value))
    return found[:MAX_REQUIREMENTS], named_files[:20]
