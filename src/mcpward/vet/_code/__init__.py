"""Code analysis: one module per language, each a :class:`SourceAnalyzer`.

Every source file is analysed except tests, docs and bundled dependencies, which raise false
alarms (fixtures name addresses); but a file there is analysed as soon as something that runs
loads it: the manifest's entry points (``main``, ``bin``, ``directories.bin``, ``exports``, the
install and start scripts, Python console and GUI scripts), a ``#!`` script, or a relative
``require``/``import``/``Worker``/``fork`` of an analysed file (``__dirname`` and
``path.join`` folded), whatever its folder or extension. Tests and docs nothing was seen to
load are read last, within what is left of the budget, and reported as information only.
"""

from __future__ import annotations

import ast
import configparser
import copy
import dataclasses
import hashlib
import itertools
import json
import posixpath
import re
import shlex
import threading
import tomllib
from collections import OrderedDict, deque
from collections.abc import Iterator
from functools import cache
from typing import Any

from mcpward._bounded import keep_recent
from mcpward._documents import string_values
from mcpward._plugins import implementations
from mcpward._regex import compiled
from mcpward.launch import POSIX_SHELLS
from mcpward.vet._archive import Layout, PackageFiles
from mcpward.vet._code.interface import (
    MANIFEST_FILE,
    MANIFEST_RENAME,
    MAX_PACKAGE_SECONDS,
    PROPAGATION_TEXT,
    REGISTRY_CREDENTIAL,
    THREAT_TEXTS,
    AnalysisBudget,
    Capability,
    CapabilityUse,
    CodeFacts,
    SourceAnalyzer,
    Threat,
    ThreatRule,
)
from mcpward.vet._setup_py import keyword_values, literal_strings, parsed

_SKIP_DIRECTORIES = ("node_modules/", "test/", "tests/", "__tests__/", "examples/", "docs/")
#: Scripts npm runs at install, or that start the server.
_RUN_SCRIPTS = ("preinstall", "install", "postinstall", "prepare", "start")
#: Scripts npm runs when the package is installed.
_INSTALL_HOOKS = ("preinstall", "install", "postinstall")
#: Interpreter flags whose next word is code: ``node -e CODE``, ``python -c CODE``.
_INLINE_CODE = {"-e": ".js", "--eval": ".js", "-p": ".js", "--print": ".js", "-c": ".py"}
#: What node resolves ``require("./x")`` to, in order.
_RESOLVE_SUFFIXES = ("", ".js", ".mjs", ".cjs", ".ts", ".node", "/index.js", "/index.mjs", "/index.cjs")
#: Loaded as data or native code by node, never parsed as JavaScript.
_NOT_JAVASCRIPT = (".json", ".node", ".wasm", ".pyc", ".pyo", ".so", ".pyd", ".dll", ".dylib")
#: gyp files, whose ``<!(COMMAND)`` values and actions node-gyp runs at install.
_GYP_FILES = ("binding.gyp", ".gypi")
#: Loaded as machine code (node's compiled addon; a native Python extension setuptools
#: imports) or Python bytecode, which no analyser reads.
_NATIVE_CODE = (".node", ".so", ".pyd", ".pyc", ".pyo", ".dll", ".dylib")


@cache
def analyzers() -> tuple[SourceAnalyzer, ...]:
    return tuple(implementations(__name__, __path__, SourceAnalyzer))


def _analyzer(path: str, data: bytes, *, loaded: bool) -> SourceAnalyzer | None:
    """By file name; else by the ``#!`` line; else, for a file node loads, JavaScript."""
    chosen = analyzers()
    for analyzer in chosen:
        if path.endswith(analyzer.suffixes):
            return analyzer
    language = None
    if data.startswith(b"#!"):
        first_line = data.split(b"\n", 1)[0]
        language = ".py" if b"python" in first_line else ".js" if b"node" in first_line else None
    elif loaded and not path.endswith(_NOT_JAVASCRIPT):
        language = ".js"
    return next((a for a in chosen if language and language in a.suffixes), None)


def _skipped(path: str) -> bool:
    return path.startswith(_SKIP_DIRECTORIES) or any(f"/{d}" in path for d in _SKIP_DIRECTORIES)


def _entry_points(files: PackageFiles) -> list[str]:
    """Files the package's manifests make run: node's and Python's."""
    return [*_node_entry_points(files), *_python_entry_points(files)]


def _python_entry_points(files: PackageFiles) -> list[str]:
    """Modules of the console and GUI scripts pip installs (a wheel's or egg-info's
    ``entry_points.txt``, ``[project.scripts]`` of pyproject.toml, setup.cfg's
    ``options.entry_points``), and each package on the way, whose ``__init__`` runs first; the
    modules an sdist's build runs (setuptools' ``cmdclass`` and ``attr``, hatch's hooks); and
    the package folders an sdist's build settings install from, wherever they are."""
    targets: list[str] = []
    # pip installs each file of a wheel's `.data/scripts/` as a command in `bin`
    found = [path for path in sorted(files.files) if _WHEEL_SCRIPTS.fullmatch(path)]
    if files.layout is not Layout.NPM:
        # site runs a .pth file's import lines, and imports sitecustomize and usercustomize, at
        # every start, and data_files (or a build hook) install them into site-packages from
        # anywhere: tests/ too
        found.extend(
            path
            for path in sorted(files.files)
            if path.endswith((".pth", "/sitecustomize.py", "/usercustomize.py"))
            or path in ("sitecustomize.py", "usercustomize.py")
            if not _bundled(path)
        )
    #: setuptools' ``package_dir``: where the modules of a package (``""``: of all) are.
    package_dirs: dict[str, str] = {}
    #: Folders a build backend installs packages from.
    installed: list[str] = []
    for path, raw in files.files.items():
        name = posixpath.basename(path)
        folder = posixpath.dirname(path)
        if name == "entry_points.txt" and folder.endswith((".dist-info", ".egg-info")):
            targets.extend(_ini_scripts(raw, ("console_scripts", "gui_scripts")))
        elif name == "setup.cfg" and "/" not in path:
            targets.extend(_ini_scripts(raw, ("options.entry_points",), nested=True))
            build_modules, directories, script_files = _setup_cfg_build(raw)
            targets.extend(build_modules)
            package_dirs.update(directories)
            found.extend(_clean_path(f) for f in script_files if _clean_path(f) in files.files)
        elif name == "setup.py" and "/" not in path:
            entry_points, script_files = _setup_py_commands(raw)
            targets.extend(entry_points)
            found.extend(_clean_path(f) for f in script_files if _clean_path(f) in files.files)
        elif name == "pyproject.toml" and "/" not in path:
            document = _toml(raw)
            targets.extend(_pyproject_scripts(document))
            targets.extend(_build_modules(document))
            setuptools = _table(document, "tool", "setuptools") or {}
            listed = setuptools.get("script-files")
            listed = list(listed) if isinstance(listed, list) else []
            data_files = setuptools.get("data-files")
            for destination, named in data_files.items() if isinstance(data_files, dict) else ():
                if _runs_there(str(destination)) and isinstance(named, list):
                    listed.extend(named)
            for script in listed[:1000]:
                if isinstance(script, str) and _clean_path(script) in files.files:
                    found.append(_clean_path(script))
            found.extend(hook for hook in _hatch_hooks(document) if hook in files.files)
            found.extend(_in_tree_backend(document, files))
            package_dirs.update(_setuptools_package_dirs(document))
            installed.extend(_backend_package_folders(document))
    installed.extend(package_dirs.values())
    for folder in dict.fromkeys(_clean_path(f) for f in installed[:100]):
        # a package folder in tests/ or docs/ is what pip installs, not a fixture
        prefix = f"{folder}/" if folder else ""
        if folder and _skipped(prefix):
            found.extend(
                p for p in sorted(files.files) if (p.startswith(prefix) or p == folder) and p.endswith(".py")
            )
    for target in targets[:1000]:
        module = re.split(r"[:\s\[]", target.strip(), maxsplit=1)[0]
        parts = [part for part in module.split(".") if part.isidentifier()][:16]
        for end in range(1, len(parts) + 1):
            found.extend(_resolve("", "py:" + "/".join(parts[:end]), files))
            found.extend(_setuptools_module(parts[:end], package_dirs, files))
    return found


def _clean_path(path: str) -> str:
    clean = posixpath.normpath(path.strip().replace("\\", "/")).removeprefix("./").rstrip("/")
    return "" if clean == "." else clean


def _setup_cfg(raw: bytes) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # package names keep their case
    try:
        parser.read_string(raw.decode("utf-8", "replace"))
    except (configparser.Error, ValueError):
        return None
    return parser


def _setup_cfg_dict(value: str) -> dict[str, str]:
    """A setup.cfg dict option as setuptools reads it: ``key = value`` lines (or one line of
    them separated by commas)."""
    lines = value.splitlines() if "\n" in value else value.split(",")
    table: dict[str, str] = {}
    for line in lines[:1000]:
        key, equals, item = line.partition("=")
        if equals:
            table[key.strip()] = item.strip()
    return table


def _setup_cfg_build(raw: bytes) -> tuple[list[str], dict[str, str], list[str]]:
    """What setuptools imports from setup.cfg when pip builds the sdist: the ``cmdclass``
    commands and the modules an ``attr:`` value names; its ``package_dir``; and the
    ``scripts`` it installs as commands."""
    parser = _setup_cfg(raw)
    if parser is None:
        return [], {}, []
    modules: list[str] = []
    directories: dict[str, str] = {}
    scripts: list[str] = []
    if parser.has_section("options"):
        options = parser["options"]
        modules.extend(_setup_cfg_dict(options.get("cmdclass", "")).values())
        directories = _setup_cfg_dict(options.get("package_dir", ""))
        listed = options.get("scripts", "")
        scripts = [item.strip() for item in (listed.splitlines() if "\n" in listed else listed.split(","))]
    for section in parser.sections():
        for value in parser[section].values():
            if value.strip().startswith("attr:"):
                modules.append(value.strip()[len("attr:") :])
    if parser.has_section("options.data_files"):
        for destination, listed in parser["options.data_files"].items():
            if _runs_there(destination):
                scripts.extend(
                    item.strip() for item in (listed.splitlines() if "\n" in listed else listed.split(","))
                )
    return modules, directories, [script for script in scripts[:1000] if script]


def _runs_there(destination: str) -> bool:
    """Whether a file ``data_files`` install into ``destination`` (under the installation
    prefix) runs: a command in ``bin``/``Scripts``, or code site-packages holds."""
    parts = _clean_path(destination).lower().split("/")
    return parts[0] in ("bin", "scripts") or any(p in ("site-packages", "dist-packages") for p in parts)


#: setup() keywords naming the commands an sdist installs (and the files it installs).
_SETUP_COMMANDS = frozenset({"entry_points", "scripts", "data_files"})


def _setup_py_commands(raw: bytes) -> tuple[list[str], list[str]]:
    """The console and GUI scripts of setup.py's ``entry_points`` (a dict, or an ini text)
    and the files of its ``scripts``, from its syntax tree (never run)."""
    tree = parsed(raw)
    if tree is None:
        return [], []
    entry_points: list[str] = []
    scripts: list[str] = []
    for keyword, value in keyword_values(tree, _SETUP_COMMANDS):
        if keyword == "scripts":
            scripts.extend(literal_strings(value))
        elif keyword == "data_files" and isinstance(value, ast.List | ast.Tuple):
            for entry in value.elts[:1000]:
                if not (isinstance(entry, ast.Tuple | ast.List) and len(entry.elts) == 2):
                    continue
                destination, listed = entry.elts
                if isinstance(destination, ast.Constant) and isinstance(destination.value, str):
                    scripts.extend(literal_strings(listed) if _runs_there(destination.value) else [])
        elif isinstance(value, ast.Dict):
            for key, listed in zip(value.keys, value.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in ("console_scripts", "gui_scripts"):
                    entry_points.extend(line.split("=", 1)[-1] for line in literal_strings(listed))
        elif isinstance(value, ast.Constant) and isinstance(value.value, str):
            entry_points.extend(_ini_scripts(value.value.encode(), ("console_scripts", "gui_scripts")))
    return entry_points, scripts


def _setuptools_package_dirs(document: dict[str, Any]) -> dict[str, str]:
    table = _table(document, "tool", "setuptools", "package-dir") or {}
    return {str(key): value for key, value in table.items() if isinstance(value, str)}


def _backend_package_folders(document: dict[str, Any]) -> list[str]:
    """Folders (or files) build backends install packages from: setuptools' ``packages.find``
    ``where``, hatch's ``packages``, ``only-include``, ``force-include`` and ``sources``,
    poetry's ``packages`` (``from``), pdm's ``package-dir``."""
    folders: list[str] = []
    where = (_table(document, "tool", "setuptools", "packages", "find") or {}).get("where")
    if isinstance(where, list):
        folders.extend(p for p in where if isinstance(p, str))
    for target in (_table(document, "tool", "hatch", "build") or {}, *_hatch_targets(document)):
        for key in ("packages", "only-include"):
            listed = target.get(key)
            if isinstance(listed, list):
                folders.extend(p for p in listed if isinstance(p, str))
        forced = target.get("force-include")
        if isinstance(forced, dict):
            folders.extend(str(source) for source in forced)
        sources = target.get("sources")
        if isinstance(sources, dict):
            folders.extend(str(key) for key in sources)
        elif isinstance(sources, list):
            folders.extend(p for p in sources if isinstance(p, str))
    packages = (_table(document, "tool", "poetry") or {}).get("packages")
    for entry in packages if isinstance(packages, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("include"), str):
            where = entry.get("from")
            folders.append(posixpath.join(where if isinstance(where, str) else "", entry["include"]))
    pdm = (_table(document, "tool", "pdm", "build") or {}).get("package-dir")
    if isinstance(pdm, str):
        folders.append(pdm)
    return folders


def _in_tree_backend(document: dict[str, Any], files: PackageFiles) -> list[str]:
    """The build backend pip imports from the sdist itself (``backend-path``), and each
    package on the way: it runs at install, wherever it sits (``docs/``, ``tests/``)."""
    build = _table(document, "build-system") or {}
    backend, folders = build.get("build-backend"), build.get("backend-path")
    if not isinstance(backend, str) or not isinstance(folders, list):
        return []
    parts = [part for part in backend.split(":", 1)[0].strip().split(".") if part.isidentifier()][:16]
    found: list[str] = []
    for folder in (f for f in folders[:20] if isinstance(f, str)):
        for end in range(1, len(parts) + 1):
            found.extend(_setuptools_module(parts[:end], {"": folder}, files))
    return found


def _hatch_targets(document: dict[str, Any]) -> list[dict[str, Any]]:
    targets = _table(document, "tool", "hatch", "build", "targets") or {}
    return [value for value in targets.values() if isinstance(value, dict)]


#: What setuptools loads a build module from besides its source (``spec_from_file_location``
#: picks the loader by suffix): compiled Python and native extensions, which no analyser reads.
_COMPILED_PYTHON = (".pyc", ".pyo", ".so", ".pyd")


def _setuptools_module(parts: list[str], package_dirs: dict[str, str], files: PackageFiles) -> list[str]:
    """The file setuptools loads for module ``parts`` (its ``find_package_path``): the most
    specific ``package_dir`` entry, else the root one, then ``.py``, ``/__init__.py`` or any
    ``.*`` beside them."""
    start = None
    for end in range(len(parts), 0, -1):
        folder = package_dirs.get(".".join(parts[:end]))
        if folder is not None:
            start = posixpath.join(folder, *parts[end:])
            break
    if start is None:
        start = posixpath.join(package_dirs.get("", ""), *parts)
    start = _clean_path(start)
    for candidate in (f"{start}.py", f"{start}/__init__.py"):
        if candidate in files.files:
            return [candidate]
    prefix = f"{start}."
    return [p for p in sorted(files.files) if p.startswith(prefix) and p.endswith(_COMPILED_PYTHON)][:1]


#: A wheel's scripts, which pip installs as commands: ``NAME-VERSION.data/scripts/FILE``.
_WHEEL_SCRIPTS = compiled(r"[^/]+\.data/scripts/[^/]+")


def _ini_scripts(raw: bytes, sections: tuple[str, ...], *, nested: bool = False) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(raw.decode("utf-8", "replace"))
    except (configparser.Error, ValueError):
        return []
    values: list[str] = []
    for section in sections:
        if not parser.has_section(section):
            continue
        if not nested:
            values.extend(parser[section].values())
            continue
        for kind in ("console_scripts", "gui_scripts"):  # setup.cfg: "name = module:func" lines
            for line in parser[section].get(kind, "").splitlines():
                values.append(line.split("=", 1)[-1])
    return values


def _toml(raw: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8", "replace"))
    except (tomllib.TOMLDecodeError, RecursionError):
        return {}


def _table(document: dict[str, Any], *keys: str) -> dict[str, Any] | None:
    """The table at ``keys``, or None when there is none."""
    table: Any = document
    for key in keys:
        table = table.get(key) if isinstance(table, dict) else None
    return table if isinstance(table, dict) else None


def _hatch_hooks(document: dict[str, Any]) -> list[str]:
    """Files hatchling runs when pip builds the sdist: custom build hooks (of every target)
    and metadata hooks, ``hatch_build.py`` unless a ``path`` says otherwise."""
    hatch = _table(document, "tool", "hatch") or {}
    targets = _table(hatch, "build", "targets") or {}
    tables = [_table(hatch, "build", "hooks", "custom"), _table(hatch, "metadata", "hooks", "custom")]
    tables += [_table(targets, name, "hooks", "custom") for name in targets]
    paths = []
    for table in tables:
        path = table.get("path", "hatch_build.py") if table is not None else None
        if isinstance(path, str):
            paths.append(posixpath.normpath(path).removeprefix("./"))
    return paths


def _build_modules(document: dict[str, Any]) -> list[str]:
    """Modules setuptools imports when pip builds the sdist: ``cmdclass`` commands, and a
    ``dynamic`` field's ``attr`` that is not a plain literal (the module is then imported)."""
    setuptools = _table(document, "tool", "setuptools") or {}
    modules = [value for value in (_table(setuptools, "cmdclass") or {}).values() if isinstance(value, str)]
    for value in (_table(setuptools, "dynamic") or {}).values():
        if isinstance(value, dict) and isinstance(value.get("attr"), str):
            modules.append(value["attr"])
    return modules


def _pyproject_scripts(document: dict[str, Any]) -> list[str]:
    project = document.get("project")
    if not isinstance(project, dict):
        return []
    values: list[str] = []
    for key in ("scripts", "gui-scripts"):
        table = project.get(key)
        if isinstance(table, dict):
            values.extend(value for value in table.values() if isinstance(value, str))
    return values


def _node_entry_points(files: PackageFiles) -> list[str]:
    """Files package.json makes node run: main, module, bin, exports, every file of
    ``directories.bin`` (npm links each as a command), the run scripts' files."""
    raw = files.files.get("package.json")
    if raw is None:
        return []
    try:
        manifest = json.loads(raw.decode("utf-8", "replace").removeprefix("\ufeff"))
    except (json.JSONDecodeError, RecursionError):
        return []
    if not isinstance(manifest, dict):
        return []
    named: list[str] = []
    for key in ("main", "module", "browser", "bin", "exports"):
        named.extend(string_values(manifest.get(key)))
    found: list[str] = []
    for name in named[:1000]:
        found.extend(_resolve("", name if name.startswith(("./", "../")) else "./" + name, files))
    scripts = manifest.get("scripts")
    if isinstance(scripts, dict):
        for hook in _RUN_SCRIPTS:
            command = scripts.get(hook)
            if isinstance(command, str):
                for folder, words, _script in script_commands(command, scripts):
                    found.extend(_command_files(folder, words, files))
    directories = manifest.get("directories")
    bin_folder = directories.get("bin") if isinstance(directories, dict) else None
    if isinstance(bin_folder, str) and bin_folder.strip():
        prefix = posixpath.normpath(bin_folder.strip()).removeprefix("./").rstrip("/") + "/"
        found.extend(path for path in sorted(files.files) if path.startswith(prefix))
    return found


#: Words of ``npm``, ``yarn`` and ``pnpm`` before the name of the manifest's script they run.
_RUN_WORDS = frozenset({"run", "run-script", "rum", "urn"})
#: Tokens that end a simple command in a shell line.
_OPERATOR_CHARACTERS = frozenset("&|;()<>")


def script_commands(
    command: str, scripts: dict[str, object], folder: str = "", seen: set[str] | None = None
) -> Iterator[tuple[str, list[str], str | None]]:
    """The simple commands a package script runs: (the folder it runs in, relative to the
    package root; its words; the manifest script it is part of, None for ``command`` itself).
    npm runs a script through a shell, so a ``cd`` moves the rest of the line, ``sh -c LINE``
    runs LINE, and ``npm run NAME`` (``run-script``, yarn's and pnpm's, or their bare ``NAME``)
    runs the manifest's NAME with its ``preNAME`` and ``postNAME``, from the package root. A
    hook ``cd test && node setup.js`` ran a file vet read as a test nobody loads. Each
    manifest script is read once (``seen``), so scripts naming each other end."""
    seen = set() if seen is None else seen
    try:
        lexer = shlex.shlex(command[:100_000], posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(itertools.islice(lexer, 1000))
    except ValueError:
        tokens = command[:100_000].split()[:1000]
    words: list[str] = []
    for token in [*tokens, ";"]:
        if token and not set(token) <= _OPERATOR_CHARACTERS:
            words.append(token)
            continue
        if not words:
            continue
        yield folder, words, None
        program = posixpath.basename(words[0])
        if program == "cd" and len(words) > 1:
            folder = posixpath.normpath(posixpath.join(folder, words[1])).removeprefix("./")
            folder = "" if folder == "." else folder
        elif program in POSIX_SHELLS and "-c" in words[1:-1]:
            yield from script_commands(words[words.index("-c", 1) + 1], scripts, folder, seen)
        elif program in ("npm", "yarn", "pnpm") and len(words) > 1:
            name = words[2] if words[1] in _RUN_WORDS and len(words) > 2 else words[1]
            for script in (f"pre{name}", name, f"post{name}"):
                text = scripts.get(script)
                if script in seen or not isinstance(text, str) or len(seen) >= 100:
                    continue
                seen.add(script)
                for inner in script_commands(text, scripts, "", seen):
                    yield inner[0], inner[1], inner[2] or script
        words = []


def _command_files(folder: str, words: list[str], files: PackageFiles) -> list[str]:
    """Files of the package a command's words name, from the folder it runs in: the words
    themselves and an option's value (``--require=./x.js``)."""
    found: list[str] = []
    for word in words:
        for name in {word, word.partition("=")[2]} - {""}:
            relative = name if name.startswith(("./", "../")) else "./" + name
            found.extend(_resolve(posixpath.join(folder, "script"), relative, files))
    return found


def _resolve(importer: str, specifier: str, files: PackageFiles) -> list[str]:
    if specifier.startswith("py:"):  # a Python module, from the package root (or src/)
        module = specifier[len("py:") :]
        roots = _python_roots(files)
        for candidate in (f"{root}{module}{suffix}" for root in roots for suffix in (".py", "/__init__.py")):
            if candidate in files.files:
                return [candidate]
        # no source: Python imports a sourceless `.pyc`, or an extension module, as readily
        compiled = _compiled_modules(files)
        return next(([compiled[f"{root}{module}"]] for root in roots if f"{root}{module}" in compiled), [])
    if not specifier.startswith(("./", "../")):
        return _resolve_bundled(importer, specifier, files)
    base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
    for suffix in _RESOLVE_SUFFIXES:
        candidate = base + suffix
        if candidate in files.files:
            return [candidate]
    return []


#: Where pip installs a wheel's data folders into site-packages: ``purelib`` and ``platlib``,
#: and ``data``'s ``lib/pythonX.Y/site-packages`` (a virtual environment's prefix).
_WHEEL_MODULE_ROOT = compiled(r"[^/]+\.data/(?:purelib|platlib|data/lib/python[^/]*/site-packages)/")


def _python_roots(files: PackageFiles) -> tuple[str, ...]:
    """The folders an import finds the package's modules in: its root, ``src/`` (an sdist's
    usual layout) and a wheel's data folders pip installs beside the root; worked out once."""
    roots = files.derived.get("python_roots")
    if roots is None:
        wheel = {match.group(0) for path in files.files if (match := _WHEEL_MODULE_ROOT.match(path))}
        roots = files.derived["python_roots"] = ("", "src/", *sorted(wheel)[:20])
    return tuple(roots)


#: Python modules that are not source: bytecode, extension modules (``x.cpython-312-….so``).
_COMPILED_MODULE = compiled(r"(?:.*/)?[A-Za-z_][A-Za-z0-9_]*\.(?:[^/]*\.)?(?:pyc|pyo|so|pyd)")


def _compiled_modules(files: PackageFiles) -> dict[str, str]:
    """Module path (``relay/helper``) -> its compiled file, outside ``__pycache__`` (where
    Python reads bytecode only for a source beside it); worked out once."""
    compiled: dict[str, str] | None = files.derived.get("compiled_modules")
    if compiled is None:
        compiled = {}
        for path in sorted(files.files):
            if "__pycache__/" not in path and _COMPILED_MODULE.fullmatch(path):
                folder, _, name = path.rpartition("/")
                compiled.setdefault(f"{folder}/{name.split('.', 1)[0]}".lstrip("/"), path)
        files.derived["compiled_modules"] = compiled
    return compiled


def _resolve_bundled(importer: str, specifier: str, files: PackageFiles) -> list[str]:
    """``require("pkg")`` or ``require("pkg/sub")`` from a dependency bundled in the tarball:
    node looks in node_modules/ of the importer's folder and of each folder above it."""
    parts = specifier.split("/")
    name_length = 2 if specifier.startswith("@") else 1
    name, subpath = "/".join(parts[:name_length]), "/".join(parts[name_length:])
    folder = posixpath.dirname(importer)
    while True:
        root = posixpath.join(folder, "node_modules", name) if folder else f"node_modules/{name}"
        if f"{root}/package.json" in files.files or f"{root}/index.js" in files.files:
            if subpath:
                return _resolve(f"{root}/package.json", "./" + subpath, files)
            main = _bundled_main(f"{root}/package.json", files)
            return _resolve(f"{root}/package.json", "./" + (main or "index.js"), files)
        if not folder:
            return []
        folder = posixpath.dirname(folder)


def _bundled_main(manifest_path: str, files: PackageFiles) -> str | None:
    try:
        manifest = json.loads(files.files.get(manifest_path, b"{}"))
    except (json.JSONDecodeError, RecursionError, UnicodeDecodeError):
        return None
    main = manifest.get("main") if isinstance(manifest, dict) else None
    return main.removeprefix("./") if isinstance(main, str) else None


def analyze_package(files: PackageFiles, *, seconds: float = MAX_PACKAGE_SECONDS) -> CodeFacts:
    """Facts of every source file of a package (tests, docs and bundled dependencies aside,
    unless something that runs loads them), within ``seconds`` of analysis. A package this
    process analysed before in full is not analysed again (see ``_ANALYSED``)."""
    key = _files_digest(files, seconds)
    with _ANALYSED_LOCK:
        kept = _ANALYSED.get(key)
        if kept is not None:
            _ANALYSED.move_to_end(key)
    if kept is not None:
        return copy.deepcopy(kept)  # callers may extend what they are given
    budget = AnalysisBudget(seconds=seconds)
    facts = _analysed(files, budget)
    if not budget.expired():
        with _ANALYSED_LOCK:
            keep_recent(_ANALYSED, key, copy.deepcopy(facts), _ANALYSED_KEPT)
    return facts


#: Analyses of packages this process finished, by the digest of what was analysed: vet compares
#: a release with the one before, which was itself vetted (or compared) a moment earlier, and a
#: registry vets the same archives again; each side was analysed anew every time. Only analyses
#: finished within their time are kept (one cut short says more about the machine's load then
#: than about the files), and only a few: a real server's facts take kilobytes, but a hostile
#: package's are bounded only by its analysis budget.
_ANALYSED: OrderedDict[bytes, CodeFacts] = OrderedDict()
_ANALYSED_KEPT = 8
_ANALYSED_LOCK = threading.Lock()


def _files_digest(files: PackageFiles, seconds: float) -> bytes:
    """What an analysis depends on: each file's path and bytes, the files listed without
    their content, and the time it was given (lengths first, so no two packages' files
    concatenate alike)."""
    digest = hashlib.sha256(repr((seconds, sorted(files.dropped))).encode())
    for path in sorted(files.files):
        data = files.files[path]
        name = path.encode("utf-8", "surrogatepass")
        digest.update(b"%d:%d:" % (len(name), len(data)))
        digest.update(name)
        digest.update(data)
    return digest.digest()


def _analysed(files: PackageFiles, budget: AnalysisBudget) -> CodeFacts:
    facts = CodeFacts()
    pending: deque[tuple[str, bool]] = deque()
    for path in sorted(files.files):
        if not _skipped(path):
            pending.append((path, False))
    pending.extend((path, True) for path in _entry_points(files))
    hooks, inline = _install_hooks(files)
    done: set[str] = set()
    #: Files something runs whose text no analyser reads (a `#!/bin/sh` bin, a hook's `sh FILE`).
    run_scripts = _shell_files(files)
    # node-gyp runs the commands of a binding.gyp (`<!(…)`, actions) and of what it includes
    run_scripts.update(path for path in files.files if path.endswith(_GYP_FILES))
    while pending:
        path, loaded = pending.popleft()
        if path in done:
            continue
        data = files.files[path]
        if loaded and _executable(data) and not path.endswith(_NATIVE_CODE):
            # an ELF `bin` was taken for JavaScript, then a shell script, and its bytes read as text
            done.add(path)
            facts.incomplete.append((path, "run as an executable (machine code), which is not read"))
            continue
        analyzer = _analyzer(path, data, loaded=loaded)
        if analyzer is None:
            if loaded and path.endswith(_NATIVE_CODE):
                # skipped unsaid, an addon in `main` (or required) ran unjudged and passed
                done.add(path)
                what = "a compiled addon" if path.endswith(".node") else "compiled Python or a native library"
                facts.incomplete.append(
                    (path, f"loaded as native code or bytecode ({what}), which is not read")
                )
            elif loaded and data.startswith(b"#!"):
                run_scripts.add(path)  # a `#!/bin/sh` script
            continue
        done.add(path)
        if path in files.dropped:
            facts.incomplete.append((path, "loaded as code, but a file of this kind is not read"))
            continue
        file_facts = analyzer.analyze(path, data, budget)
        if loaded and any(reason.startswith("not parseable") for _, reason in file_facts.skipped):
            run_scripts.add(path)  # run, but not as the code it was taken for: a shell's
        if path in hooks:
            _at_install(file_facts, hooks[path])
        facts.extend(file_facts)
        for specifier in file_facts.imports:
            pending.extend((target, True) for target in _resolve(path, specifier, files))
            if _package_of(specifier) in _ADDON_LOADERS:
                pending.extend((addon, True) for addon in _addons(path, files))
    for label, suffix, code in inline:
        analyzer = next((a for a in analyzers() if suffix in a.suffixes), None)
        if analyzer is not None:
            file_facts = analyzer.analyze(label, code.encode(), budget)
            _at_install(file_facts, label)
            facts.threats.extend(file_facts.threats)
            facts.obfuscation.extend(file_facts.obfuscation)
    _cached_bytecode(files, done, facts)
    _scripts(files, facts, run_scripts)
    _propagation(files, done, facts)
    _analyse_unreached(files, done, budget, facts)
    return facts


#: How executables start: ELF, Mach-O (both byte orders, 32 and 64 bits, universal).
_EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


def _executable(data: bytes) -> bool:
    """Whether ``data`` is an executable's: ELF, Mach-O, or a PE (``MZ`` whose header points
    at ``PE\\0\\0``, so a text starting with ``MZ`` is not one)."""
    if data.startswith(_EXECUTABLE_MAGIC):
        return True
    if not data.startswith(b"MZ") or len(data) < 0x40:
        return False
    offset = int.from_bytes(data[0x3C:0x40], "little")
    return data[offset : offset + 4] == b"PE\0\0"


#: Packages that find and load a package's compiled addons (``.node``) by searching its folders:
#: ``require("bindings")("x")``, ``require("node-gyp-build")(__dirname)``, node-pre-gyp's ``find``.
_ADDON_LOADERS = frozenset(
    {
        "bindings",
        "node-gyp-build",
        "node-gyp-build-optional-packages",
        "@mapbox/node-pre-gyp",
        "node-pre-gyp",
        "@discordjs/node-pre-gyp",
        "pkg-prebuilds",
        "prebuildify-load",
        "load-addon",
    }
)


def _package_of(specifier: str) -> str:
    """The package a bare specifier names (``@scope/name/sub`` -> ``@scope/name``)."""
    parts = specifier.removeprefix("node:").split("/")
    return "/".join(parts[:2] if specifier.startswith("@") else parts[:1])


def _addons(importer: str, files: PackageFiles) -> list[str]:
    """The compiled addons of the package ``importer`` belongs to (the tarball's, or a bundled
    dependency's), which a loader package searches its folders for; not those of the
    dependencies bundled inside it."""
    marker = importer.rfind("node_modules/")
    root = ""
    if marker >= 0:
        rest = importer[marker + len("node_modules/") :].split("/")
        root = (
            importer[:marker]
            + "node_modules/"
            + "/".join(rest[:2] if rest[0].startswith("@") else rest[:1])
            + "/"
        )
    return [
        path
        for path in sorted(files.files)
        if path.startswith(root) and path.endswith(".node") and "node_modules/" not in path[len(root) :]
    ][:100]


#: Bytecode Python caches for a module: ``pkg/__pycache__/mod.cpython-312.pyc`` for ``pkg/mod.py``.
_CACHED_BYTECODE = compiled(r"((?:.*/)?)__pycache__/([A-Za-z_][A-Za-z0-9_]*)\.[^/]*\.py[co]")


def _cached_bytecode(files: PackageFiles, done: set[str], facts: CodeFacts) -> None:
    """A Python package's ``__pycache__`` bytecode for a module that runs: with an unchecked
    hash-based header (PEP 552) Python runs it instead of the source, whatever the source
    says, and an installer that compiles nothing (uv) leaves it in place."""
    if files.layout not in (Layout.WHEEL, Layout.SDIST):
        return
    for path in sorted(files.files):
        match = _CACHED_BYTECODE.fullmatch(path)
        if match is None:
            continue
        source = f"{match.group(1)}{match.group(2)}.py"
        if source in done or not _skipped(path):
            facts.incomplete.append(
                (path, "Python bytecode that may run instead of its source, which is not read")
            )


def _propagation(files: PackageFiles, done: set[str], facts: CodeFacts) -> None:
    """A file of code that runs (or a script) that publishes packages and either names a
    registry's credentials or renames a package manifest: a worm spreading through its
    victim's packages, or copies of itself under new names. Publishing alone is release
    tooling (which bumps versions, never names)."""
    for path in sorted(files.files):
        script = path.lower().endswith(_SCRIPT_SUFFIXES)
        if not (script or path in done) or _skipped(path) or path in files.dropped:
            continue
        text = files.files[path][:_MAX_SCRIPT_BYTES].decode("utf-8", "replace")
        match = PROPAGATION_TEXT.search(text)
        if match is None:
            continue
        line = text.count("\n", 0, match.start()) + 1
        # what goes with the publish is looked for near it (40 lines either side): a bundle
        # names package.json and assigns some .name far from a help text that says "publish"
        start = _line_start(text, max(1, line - _PROPAGATION_LINES))
        end = _line_start(text, line + _PROPAGATION_LINES + 1)
        near = text[start:end]
        credential = REGISTRY_CREDENTIAL.search(near)
        if credential is not None:
            why = f"names {credential.group(0)[:40]!r}"
            at = start + credential.start()
        else:
            renamed = MANIFEST_RENAME.search(near) if MANIFEST_FILE.search(near) else None
            if renamed is None:
                continue
            why = "renames a package manifest"
            at = start + renamed.start()
        other = text.count("\n", 0, at) + 1
        flow = f"{match.group(0)[:60]!r} (line {line}) in a file that also {why} (line {other})"
        facts.threats.append(Threat(ThreatRule.SELF_PROPAGATION, flow, path, line, True))


#: Lines either side of a publish command searched for a registry's credentials or a rename.
_PROPAGATION_LINES = 40


def _line_start(text: str, line: int) -> int:
    """Where 1-based ``line`` starts in ``text`` (its end when there are fewer lines)."""
    position = 0
    for _ in range(line - 1):
        position = text.find("\n", position)
        if position < 0:
            return len(text)
        position += 1
    return position


def _install_hooks(files: PackageFiles) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """What npm runs at install: the files the root manifest's preinstall, install and
    postinstall scripts name (path -> hook), and the code they pass inline
    (``node -e CODE``: where, the language's suffix, the code)."""
    raw = files.files.get("package.json")
    try:
        manifest = json.loads(raw.decode("utf-8", "replace").removeprefix("\ufeff")) if raw else None
    except (json.JSONDecodeError, RecursionError):
        return {}, []
    scripts = manifest.get("scripts") if isinstance(manifest, dict) else None
    if not isinstance(scripts, dict):
        return {}, []
    named: dict[str, str] = {}
    inline: list[tuple[str, str, str]] = []
    for hook in _INSTALL_HOOKS:
        command = scripts.get(hook)
        if not isinstance(command, str):
            continue
        for folder, words, script in script_commands(command, scripts):
            where = f"package.json scripts.{hook}" + (f" (through scripts.{script})" if script else "")
            for index, word in enumerate(words):
                previous = words[index - 1] if index else ""
                if (
                    previous in _INLINE_CODE
                    and index >= 2
                    and _interpreter(words[index - 2], _INLINE_CODE[previous])
                ):
                    inline.append((f"{where} ({words[index - 2]} {previous})", _INLINE_CODE[previous], word))
                    continue
                for path in _command_files(folder, [word], files):
                    named.setdefault(path, where)
    return named, inline


def _shell_files(files: PackageFiles) -> set[str]:
    """Files the manifest's run scripts hand to a shell (``sh scripts/setup``): their text is
    shell, whatever they are called, and a shell line parses as JavaScript often enough."""
    raw = files.files.get("package.json")
    try:
        manifest = json.loads(raw.decode("utf-8", "replace").removeprefix("\ufeff")) if raw else None
    except (json.JSONDecodeError, RecursionError):
        return set()
    scripts = manifest.get("scripts") if isinstance(manifest, dict) else None
    if not isinstance(scripts, dict):
        return set()
    found: set[str] = set()
    for hook in _RUN_SCRIPTS:
        command = scripts.get(hook)
        if not isinstance(command, str):
            continue
        for folder, words, _script in script_commands(command, scripts):
            operands = [word for word in words[1:] if not word.startswith("-")]
            if posixpath.basename(words[0]) in POSIX_SHELLS and operands:
                found.update(_command_files(folder, operands[:1], files))
    return found


def _interpreter(word: str, suffix: str) -> bool:
    name = posixpath.basename(word)
    return name in ("node", "nodejs", "bun", "deno") if suffix == ".js" else name.startswith("python")


def _at_install(file_facts: CodeFacts, hook: str) -> None:
    """Threats in code an install hook runs: they run on every install, before any review."""
    file_facts.threats[:] = [
        dataclasses.replace(t, reaches=True, flow=f"{t.flow}, run at install by {hook}")
        for t in file_facts.threats
    ]


#: Shell and batch scripts: no parser here, but their text is what they run.
_SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".ps1", ".psm1", ".bat", ".cmd", ".command")
#: Bytes of one script (or unparseable source file) searched.
_MAX_SCRIPT_BYTES = 1024 * 1024


def _scripts(files: PackageFiles, facts: CodeFacts, run: set[str]) -> None:
    """Fixed texts in shell scripts, and in source files the parser refused (a fragment, a
    one-liner for another interpreter): what such a text does does not depend on its syntax.
    In a script the text is the command (it reaches); in an unparseable file it only might.
    A file something runs (``run``) that no analyser read is a script wherever it is: a
    ``#!/bin/sh`` bin, or a hook's ``sh scripts/setup``, was read by its name only, and not
    in tests or docs."""
    unparseable = {path for path, reason in facts.skipped if reason.startswith("not parseable")}
    for path in sorted(files.files):
        script = path in run or (path.lower().endswith(_SCRIPT_SUFFIXES) and not _skipped(path))
        if not (script or (path in unparseable and not _skipped(path))) or path in files.dropped:
            continue
        text = files.files[path][:_MAX_SCRIPT_BYTES].decode("utf-8", "replace")
        facts.threats.extend(text_threats(path, text, reaches=script))


def text_threats(path: str, text: str, *, reaches: bool) -> list[Threat]:
    """Threats named by fixed texts in ``text``, one per rule and line."""
    found: list[Threat] = []
    seen: set[tuple[ThreatRule, int]] = set()
    for pattern, rule in THREAT_TEXTS:
        for count, match in enumerate(pattern.finditer(text)):
            if count >= 20:
                break
            line = text.count("\n", 0, match.start()) + 1
            if (rule, line) not in seen:
                seen.add((rule, line))
                found.append(Threat(rule, f"{match.group(0)[:80]!r} (line {line})", path, line, reaches))
    return found


def _analyse_unreached(files: PackageFiles, done: set[str], budget: AnalysisBudget, facts: CodeFacts) -> None:
    """Tests, docs and examples nothing that runs was seen to load are read too, after the
    code that runs (which keeps the budget first): a way of running them that entry-point
    detection misses must not hide them. What they hold is reported as information only,
    as fixtures name addresses and keys; their own budget overruns are not findings."""
    for path in sorted(files.files):
        if path in done or path in files.dropped or not _skipped(path) or _bundled(path):
            continue
        if budget.expired():
            return
        data = files.files[path]
        analyzer = _analyzer(path, data, loaded=False)
        if analyzer is not None:
            facts.unreached.extend(_notable(analyzer.analyze(path, data, budget)))


def _bundled(path: str) -> bool:
    return path.startswith("node_modules/") or "/node_modules/" in path


def _notable(file_facts: CodeFacts) -> Iterator[tuple[str, int, str]]:
    kinds: dict[Capability, CapabilityUse] = {}
    for use in file_facts.capabilities:
        kinds.setdefault(use.capability, use)
    sensitive = kinds.get(Capability.SENSITIVE_FILES)
    if sensitive is not None and Capability.NETWORK in kinds:
        what = f"names sensitive files ({sensitive.detail}) and talks to the network"
        yield sensitive.path, sensitive.line, what
    dynamic = kinds.get(Capability.DYNAMIC_CODE)
    if dynamic is not None:
        yield dynamic.path, dynamic.line, f"runs dynamic code ({dynamic.detail})"
    for item in file_facts.obfuscation[:1]:
        yield item.path, item.line, f"obfuscated code ({item.detail})"
