"""What, besides the name, decides which package a launch runs.

The registry approves a package by name and version, as fetched from the registry it was vetted
on. ``npx -y @acme/ok@1.0.0`` fetches from the registry npm's configuration names, and that
configuration comes from the launch line (``--registry``), the server's environment
(``npm_config_registry``), the project the server is started in (its ``.npmrc``, its own
``node_modules``), and the user's and the machine's files. ``uvx`` is the same with ``--index-url``,
``UV_INDEX_URL`` and a project's ``uv.toml``. The first three are the launch's and the project's
to set (a repository's client config, a plugin): any of them makes the launch something other
than the approved package. The user's own configuration (``~/.npmrc``, the user's uv config,
the environment the client runs in) is the user's choice of mirror, and is left to decide.

A project's configuration files are judged by allow-lists of settings known to choose nothing
(npm and pnpm's ``.npmrc``, uv's settings, ``.yarnrc.yml``, ``bunfig.toml``,
``pnpm-workspace.yaml``): each tool reads more forms of a key, and more keys, than a list of
refused ones could name. Besides its settings, a project holds programs the runners find before
the package or the machine's: a copy of the package in its ``node_modules``, a program npx finds
by the line's word or on its PATH (``node_modules/.bin/node``), the interpreter ``uv run`` asks
(``.venv``, ``.python-version``), the script ``pipx run`` and ``uv run`` take from the folder, a
version manager's hooks, and on Windows a program of the current folder.

Nothing here runs a package manager: the files are read as text, a bounded amount of each.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mcpward._env_file import read_env_file
from mcpward._program_name import program_name
from mcpward._regex import compiled
from mcpward.launch import RUNS_ANYTHING, Launch, resolve_launch
from mcpward.launch_judge import HOME_VARIABLES, home_folder, path_folders, variables_beyond_package
from mcpward.model import Ecosystem, PackageRef

#: A project's ``.npmrc`` settings that choose nothing of where packages come from or what runs:
#: npm's and pnpm's ordinary ones (how a project saves, resolves peers, hoists, logs). Any other
#: key is refused, and so is one written other than plainly: npm expands ``${VAR}`` in keys
#: (``registry${X?}``), unquotes ``"registry"`` and reads ``registry[]`` as ``registry``, and ini
#: takes a key alone on its line as ``key=true``. A ``[]`` is kept off a harmless key only (pnpm's
#: ``public-hoist-pattern[]=*eslint*``). Every scope's registry is refused, whatever the package's:
#: the package's dependencies of that scope come from it (the SDK's ``@modelcontextprotocol``).
_NPMRC_HARMLESS = frozenset({
    "access", "audit", "audit-level", "color", "depth", "engine-strict", "fetch-retries",
    "fetch-retry-factor", "fetch-retry-maxtimeout", "fetch-retry-mintimeout", "fetch-timeout",
    "foreground-scripts", "format-package-lock", "fund", "git-tag-version", "heading", "include",
    "init-author-email", "init-author-name", "init-author-url", "init-license", "init-private",
    "init-type", "init-version", "init.author.email", "init.author.name", "init.author.url",
    "init.license", "init.version", "install-links", "json", "legacy-peer-deps", "lockfile-version",
    "loglevel", "logs-max", "long", "maxsockets", "message", "min-release-age", "offline", "omit",
    "package-lock", "package-lock-only", "parseable", "prefer-dedupe", "prefer-offline",
    "prefer-online", "preid", "production", "progress", "provenance", "save", "save-bundle",
    "save-dev", "save-exact", "save-optional", "save-peer", "save-prefix", "save-prod",
    "shrinkwrap", "sign-git-commit", "sign-git-tag", "strict-peer-deps", "tag-version-prefix",
    "timing", "unicode", "update-notifier", "usage", "yes",
    # pnpm's, in the same file: the layout of node_modules and how a workspace resolves.
    "auto-install-peers", "strict-peer-dependencies", "shamefully-hoist", "node-linker", "hoist",
    "hoist-pattern", "public-hoist-pattern", "link-workspace-packages", "prefer-workspace-packages",
    "save-workspace-protocol", "shared-workspace-lockfile", "resolution-mode",
    "dedupe-peer-dependents", "dedupe-direct-deps", "resolve-peers-from-workspace-root",
    "enable-pre-post-scripts", "recursive-install", "prefer-frozen-lockfile", "frozen-lockfile",
    "lockfile", "ignore-workspace-root-check", "child-concurrency", "network-concurrency",
    "package-manager-strict", "package-manager-strict-version", "exclude-links-from-lockfile",
})  # fmt: skip
#: Settings that only tighten at ``true``; at ``false`` they undo the user's own (a registry's
#: certificate unchecked, install scripts run).
_NPMRC_HARMLESS_WHEN_TRUE = frozenset({"strict-ssl", "ignore-scripts"})
#: A registry's credentials: they name no source (``//npm.acme.example/:_authToken=${TOKEN}``).
_NPMRC_CREDENTIAL = compiled(
    r"(?://[^\s=]*:)?(?:_authToken|_auth|_password|username|email|always-auth|certfile|keyfile)"
)
#: A project's ``.yarnrc.yml`` settings that choose nothing of what ``yarn dlx`` (which copies the
#: file into the project it installs in, plugins and all) fetches or runs: how yarn lays out, logs
#: and locks, and a registry's credentials. Any other top-level key is refused (a registry, a
#: scope's, ``packageExtensions``, a CA, a proxy, a cache, ``injectEnvironmentFiles``,
#: ``yarnPath``, ``plugins``...), and any line at the mapping's indent that is no plain ``key:``
#: (YAML's quoted keys, a flow mapping, a merge ``<<:``).
_YARNRC_HARMLESS = frozenset({
    "nodeLinker", "enableTelemetry", "enableGlobalCache", "compressionLevel", "enableProgressBars",
    "enableColors", "enableHyperlinks", "enableMessageNames", "enableInlineBuilds",
    "enableInlineHunks", "preferInteractive", "preferAggregateCacheInfo", "preferTruncatedLines",
    "logFilters", "defaultSemverRangePrefix", "initScope", "initFields", "initLicense",
    "changesetBaseRefs", "changesetIgnorePatterns", "pnpMode", "enableHardenedMode",
    "enableImmutableInstalls", "enableImmutableCache", "enableNetwork", "enableOfflineMode",
    "networkConcurrency", "httpTimeout", "httpRetry", "enableTransparentWorkspaces", "nmMode",
    "nmHoistingLimits", "nmSelfReferences", "enableConstraintsChecks", "npmAuthToken",
    "npmAuthIdent", "npmAlwaysAuth", "npmPublishAccess", "immutablePatterns", "lockfileFilename",
    "cacheMigrationMode", "enableCacheClean", "winLinkType", "taskPoolConcurrency",
})  # fmt: skip
#: A project's ``pnpm-workspace.yaml`` settings that choose nothing of what ``pnpm dlx`` (which
#: installs with the settings pnpm started with, pnpm 10 reading them from this file as from
#: ``.npmrc``) fetches or runs: the workspace's packages and catalogs, and the layout settings
#: kept in ``.npmrc`` too. Any other is refused (``overrides``, ``packageExtensions``,
#: ``patchedDependencies``, ``onlyBuiltDependencies``, a registry, a Node version...).
_PNPM_WORKSPACE_HARMLESS = frozenset({
    "packages", "catalog", "catalogs", "autoInstallPeers", "strictPeerDependencies",
    "shamefullyHoist", "nodeLinker", "hoist", "hoistPattern", "publicHoistPattern",
    "linkWorkspacePackages", "preferWorkspacePackages", "saveWorkspaceProtocol",
    "sharedWorkspaceLockfile", "resolutionMode", "dedupePeerDependents", "dedupeDirectDeps",
    "resolvePeersFromWorkspaceRoot", "enablePrePostScripts", "recursiveInstall",
    "preferFrozenLockfile", "ignoreWorkspaceRootCheck", "childConcurrency", "networkConcurrency",
    "packageManagerStrict", "packageManagerStrictVersion", "excludeLinksFromLockfile",
    "engineStrict", "saveExact", "savePrefix", "minimumReleaseAge",
})  # fmt: skip
_YARNRC_KEY = compiled(r"\s*([A-Za-z]+)\s*:(?:\s.*)?")
#: A project's ``bunfig.toml`` settings that choose nothing of what ``bunx`` fetches or runs, by
#: table (None: the top level): how bun logs and transpiles JSX, how it saves a lockfile, and the
#: tables of commands other than bunx (``[test]``, ``[serve]``). Any other is refused: a registry,
#: a scope's, a CA, a cache or bin folder, ``preload``, ``define`` and ``loader`` (the package's
#: code changed as it loads), ``[env] file`` (more variables), ``[run] shell``.
_BUNFIG_HARMLESS: dict[str | None, frozenset[str]] = {
    None: frozenset({"logLevel", "telemetry", "smol", "jsx", "jsxFactory", "jsxFragment",
                     "jsxImportSource", "test", "serve", "install", "run"}),
    "install": frozenset({"exact", "frozenLockfile", "dryRun", "production", "optional", "dev", "peer",
                          "saveTextLockfile", "linker", "minimumReleaseAge", "lockfile"}),
    "run": frozenset({"silent"}),
}  # fmt: skip
#: The ``.env`` files a runner reads into its own environment from the project's folder: bun's
#: (its documentation: a bunfig's registry token may come from them), yarn 4's ``.env.yarn``.
_ENV_FILES = {
    "bunx": (".env", ".env.local", ".env.development", ".env.production", ".env.test"),
    "yarn dlx": (".env.yarn",),
}
#: A project's uv settings (``uv.toml``, ``pyproject.toml`` ``[tool.uv]``) that choose nothing of
#: what ``uv run --no-project --with`` or ``uvx`` installs: the project's own metadata, which uv
#: reads for the project alone (its sources, groups, workspace), and how uv works (TLS, links,
#: downloads of Python from its default place). Any other key is refused: an index, a mirror, a
#: dependency's metadata (``requires-dist = ["evil"]`` installs evil beside the package), build
#: settings (code of the project's choosing builds a package), a keyring program, another
#: resolution of the dependencies, and keys uv adds later.
_UV_HARMLESS = frozenset({
    "conflicts", "default-groups", "dependency-groups", "dev-dependencies", "environments",
    "required-environments", "managed", "package", "sources", "workspace", "build-backend",
    "cache-keys", "required-version", "native-tls", "offline", "no-cache", "preview",
    "python-preference", "python-downloads", "concurrent-downloads", "concurrent-builds",
    "concurrent-installs", "link-mode", "compile-bytecode", "exclude-newer", "fork-strategy",
    "no-build", "no-build-package", "no-sources", "reinstall", "reinstall-package", "upgrade",
    "upgrade-package", "publish-url", "check-url", "trusted-publishing", "add-bounds",
    "pip",  # settings of uv pip's commands alone
})  # fmt: skip
#: A Python request that names a version or an implementation (``3.12``, ``cpython@3.12``,
#: ``pypy3.10``, ``3.13t``, ``>=3.11``, ``cpython-3.12.1-linux-x86_64-gnu``): no path, no
#: program's name.
_PYTHON_VERSION = compiled(
    r"(?:cpython|python|pypy|graalpy|pyodide|cp|pp|gp)?[@-]?(?:[<>=!~]=?)?[0-9][\w.+*,<>=!~ -]*"
    r"|cpython|pypy|graalpy|pyodide|python"
)
#: Configuration files are small; what is past this is not read (and refused, not guessed at).
_MOST_READ = 1 << 20
#: A project's installed tree is read up to this many packages (a large one has a few thousand).
_MOST_PACKAGES = 100_000


def other_sources(
    command: tuple[str, ...], server_env: Mapping[str, str], directory: Path, home: Path
) -> list[str]:
    """Why the package the launch ``command`` names may not be what runs, each as a phrase ("the
    entry's env sets npm_config_registry ..."); empty when only the package's name and the
    user's own configuration decide. ``server_env`` holds the variables of the entry's own (set
    aside for the server); ``directory`` is the folder the server starts in. The line's options
    and variables, and the entry's, are judged by :mod:`mcpward.launch_judge`, as the scan
    judges them; the project's files are read here alone."""
    launch = resolve_launch(command[0] if command else None, command[1:])
    package = launch.package
    if package is None:
        return []
    entry_env = variables_beyond_package(package.ecosystem, package.name, server_env)
    return [
        *(f"the launch sets {reason}" for reason in launch.beyond_package),
        *(f"the entry's env sets {reason}" for reason in entry_env),
        *_inherited_path(server_env),
        *_other_accounts(launch, server_env, home),
        *_project(launch, package, directory, home),
    ]


def _other_accounts(launch: Launch, server_env: Mapping[str, str], home: Path) -> list[str]:
    """The runner, a home folder variable or a ``PATH`` folder of the launch's or the entry's in
    another home than the user's: ``/home/b/.local/bin/npx``, ``HOME=/home/b`` on a shared
    machine (npm reads b's ``.npmrc``, npx runs b's programs), or a Windows user folder where the
    server starts on another system (there a folder of the one it starts in). The judge the scan
    shares takes any home as a user's, reading configs of machines whose users it does not know;
    here the user is known."""
    places: list[tuple[str, str]] = []
    if "/" in launch.argv[0] or "\\" in launch.argv[0]:
        places.append(("the runner", launch.argv[0]))
    # (a container's own variables, `docker run -e HOME=...`, are the container's folders)
    inside = len(launch.container.env_assignments) if launch.container else 0
    line = launch.env_assignments[: len(launch.env_assignments) - inside]
    variables = {**dict(word.partition("=")[::2] for word in line), **server_env}
    for name, value in variables.items():
        if name.casefold() in HOME_VARIABLES:
            places.append((name, value))
        elif name.casefold() == "path":
            places += [(name, folder) for folder in path_folders(value)]
    own = _folder_key(str(home))
    return [
        f"{what[:100]} is in {folder[:100]!r}, another account's home than the user's"
        for what, path in places
        if (folder := home_folder(path)) is not None and _folder_key(folder) != own
    ]


def _folder_key(folder: str) -> str:
    """A home folder as compared: Windows' without case, and with either separator."""
    folder = folder.rstrip("/\\")
    return folder.replace("/", "\\").casefold() if re.match(r"[A-Za-z]:[\\/]", folder) else folder


def _inherited_path(server_env: Mapping[str, str]) -> list[str]:
    """A folder of the PATH the server inherits (the entry's own is judged with its env) that is
    relative to the one it starts in: ``./node_modules/.bin``, an empty entry (the current
    folder), ``~/bin`` (not expanded there). The runner and what it runs by name are found on it,
    a cloned project's programs among them."""
    inherited = os.environ.get("PATH")
    if inherited is None or any(name.casefold() == "path" for name in server_env):
        return []  # none: the system's default folders
    folders = inherited.split(os.pathsep)
    relative = [folder for folder in folders if not os.path.isabs(folder)]
    return (
        [f"the PATH it inherits holds {relative[0][:100]!r}, a folder of the one it starts in"]
        if relative
        else []
    )


def _project(launch: Launch, package: PackageRef, directory: Path, home: Path) -> list[str]:
    why: list[str] = []
    word = launch.argv[len(launch.argv) - len(launch.server_args) - 1]
    if _WINDOWS:
        why += _windows_programs(launch, package, directory)
    if package.ecosystem is Ecosystem.PYPI and launch.runner in ("uv run", "pipx run"):
        why += _of_the_folder(launch.runner, word, directory)
    for folder in _project_folders(directory, home):
        if package.ecosystem in (Ecosystem.NPM, Ecosystem.PYPI):
            # The runner may be a version manager's shim (~/.volta/bin, ~/.asdf/shims), which
            # runs the program the project names: volta's project hooks (where node and npm are
            # downloaded from, or a program of the project's that names the URL), asdf's and
            # mise's .tool-versions with a version built from a path or a git ref.
            hooks = folder / ".volta" / "hooks.json"
            if hooks.is_symlink() or hooks.exists():
                why.append(f"{hooks} tells volta where its node and npm come from")
            why += _settings(folder / ".tool-versions", _tool_versions_not_released)
        if package.ecosystem is Ecosystem.NPM:
            why += _npm_folder(launch, package, word, folder)
        elif package.ecosystem is Ecosystem.PYPI and launch.runner in ("uvx", "uv run"):
            why += _uv_folder(launch, folder)
    return why


def _npm_folder(launch: Launch, package: PackageRef, word: str, folder: Path) -> list[str]:
    """What of a project's folder an npm runner reads (``word``: the line's, the spec or, with
    ``-p``, the command)."""
    why = _settings(folder / ".npmrc", _npmrc_sources)
    if launch.runner == "yarn dlx":
        yarnrc = functools.partial(_yaml_settings, harmless=_YARNRC_HARMLESS)
        why += _settings(folder / ".yarnrc.yml", yarnrc)
        # yarn 1 (many machines' global yarn) runs a project's yarn-path in its place.
        why += _settings(folder / ".yarnrc", _yarn1rc_settings)
    if launch.runner == "bunx":
        why += _settings(folder / "bunfig.toml", _bunfig_sources)
    if launch.runner in ("pnpm dlx", "pnpx"):
        workspace = functools.partial(_yaml_settings, harmless=_PNPM_WORKSPACE_HARMLESS)
        why += _settings(folder / "pnpm-workspace.yaml", workspace)
        why += _settings(folder / "package.json", _pnpm_manifest_settings)
        why += [
            f"{hooks} is code pnpm loads to rewrite what it installs"
            for hooks in (folder / ".pnpmfile.cjs", folder / ".pnpmfile.mjs")
            if hooks.is_symlink() or hooks.exists()
        ]
    for name in _ENV_FILES.get(launch.runner or "", ()):
        why += _settings(folder / name, functools.partial(_env_file_variables, package=package))
    # npx runs a copy the project's tree holds, at any depth, in place of fetching one.
    why += _copies(folder / "node_modules", package.name)
    # Before it fetches, npx runs a program of the project's named as the line's word (the spec,
    # version and all; with -p, the command): a bin of the project's package.json, or its
    # node_modules/.bin/<word>, which is on the PATH the command is found on, after the fetched
    # package's.
    program = folder / "node_modules" / ".bin" / word
    if program.is_symlink() or program.exists():
        why.append(f"{program} is a program of the project's named {word[:100]}")
    why += _settings(folder / "package.json", functools.partial(_bins_named, word=word, folder=folder))
    # npx (pnpm dlx likewise) runs the program with every project folder's node_modules/.bin on
    # the PATH before the machine's: its sh is the shell the program runs in, its node what the
    # program's `#!/usr/bin/env node` finds.
    return why + _runtimes_in(folder / "node_modules" / ".bin")


def _uv_folder(launch: Launch, folder: Path) -> list[str]:
    """What of a project's folder ``uvx`` and ``uv run`` read."""
    why = _settings(folder / "uv.toml", _uv_sources)
    why += _settings(folder / "pyproject.toml", _pyproject_uv_sources)
    options = set(launch.argv[: len(launch.argv) - len(launch.server_args)])
    if launch.runner != "uv run":
        return why
    if (folder / "pyproject.toml").exists() and not (options & {"--no-project", "--isolated"}):
        # uv run builds and installs the project it is started in (its build backend runs), and
        # runs the command in the project's environment.
        why.append(f"uv run installs the project {folder} beside it (--no-project does not)")
    # uv run runs the interpreter the project names, to ask it what it is, before it installs
    # anything: its .venv (with --isolated, with --python 3.12 too), a path in its
    # .python-version (which --no-config leaves unread).
    venv = folder / ".venv"
    if venv.is_symlink() or venv.exists():
        why.append(f"{venv} is the project's environment, whose python uv run runs")
    if "--no-config" not in options:
        why += _settings(folder / ".python-version", _python_requests_not_versions)
    return why


def _of_the_folder(runner: str, word: str, directory: Path) -> list[str]:
    """What ``uv run`` and ``pipx run`` take from the folder they start in (the server's own, not
    those above it) in the package's place: a file or folder named as the command (uv runs a
    folder by its ``__main__.py``; pipx runs a file named as its word as a Python script), and
    pipx the app in PEP 582's ``__pypackages__/<X.Y>/lib/bin``."""
    why = []
    named = directory / word
    if named.is_symlink() or named.exists():
        why.append(f"{named} is the folder's own {word[:100]}, which {runner} runs in the package's place")
    pypackages = directory / "__pypackages__"
    if runner == "pipx run" and (pypackages.is_symlink() or pypackages.exists()):
        why.append(f"{pypackages} holds programs pipx runs in the package's place")
    return why


def _project_folders(directory: Path, home: Path) -> list[Path]:
    """The folder the server starts in and those above it, below the user's home: a project's.
    The home folder and those above it hold the user's and the machine's own configuration."""
    home = home.resolve()
    folders = []
    for folder in (directory, *directory.parents):
        if folder in (home, *home.parents):
            break
        folders.append(folder)
    return folders


def _settings(path: Path, sources: Callable[[str], list[str]]) -> list[str]:
    """The settings of a project's file ``sources`` finds that choose a source, as a phrase."""
    if not path.is_file():  # is_file: a named pipe is never opened (it would wait for ever)
        return []
    try:
        with path.open("rb") as file:
            data = file.read(_MOST_READ + 1)
    except OSError as exc:
        return [f"{path} cannot be read ({exc.strerror or exc})"]
    if len(data) > _MOST_READ:
        return [f"{path} is over {_MOST_READ} bytes"]
    try:
        keys = sources(data.decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError:
        return [f"{path} is not TOML that can be read"]
    return [f"{path} sets {', '.join(key[:100] for key in keys)}"] if keys else []


def _npmrc_sources(text: str) -> list[str]:
    """The lines of a project's ``.npmrc`` not known to choose nothing (by their key, or the whole
    line where it has no key of its own: ``[section]``)."""
    refused = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith((";", "#")):
            continue
        key, equals, value = (part.strip() for part in line.partition("="))
        plain = key.removesuffix("[]")
        harmless = (
            plain in _NPMRC_HARMLESS
            or (plain in _NPMRC_HARMLESS_WHEN_TRUE and equals and value == "true" and plain == key)
            or bool(_NPMRC_CREDENTIAL.fullmatch(key))
        )
        if not harmless:
            refused.append(key if equals else line)
    return refused


def _manifest(text: str) -> dict[str, Any] | None:
    """A ``package.json``'s object, or None where it is not one (not JSON, another value)."""
    try:
        manifest = json.loads(text)
    except ValueError:
        return None
    return manifest if isinstance(manifest, dict) else None


def _bins_named(text: str, *, word: str, folder: Path) -> list[str]:
    """The programs of a project's ``package.json`` named ``word``, as npm names them: each key of
    its ``bin`` by its last part, a ``bin`` given as a path by the package's name, and each file of
    its ``directories.bin`` folder."""
    manifest = _manifest(text)
    if manifest is None:
        return []  # npm reads no program of a package.json it cannot read
    bin_ = manifest.get("bin")
    names = list(bin_) if isinstance(bin_, dict) else [str(manifest.get("name", ""))] if bin_ else []
    found = [f"bin {name[:100]}" for name in names if word in (name, re.split(r"[\\/:]", name)[-1])]
    directories = manifest.get("directories")
    programs = directories.get("bin") if isinstance(directories, dict) else None
    if isinstance(programs, str) and (folder / programs / word).exists():
        found.append(f"directories.bin {programs[:100]}")
    return found


#: Windows looks for a program in the current folder before the PATH: CreateProcess (the
#: gateway's spawn of a bare ``npx``, completed with ``.exe``) and cmd.exe (which npm runs the
#: package's program in, and whose shims call ``node`` by name), for each of these suffixes.
_WINDOWS = os.name == "nt"
_WINDOWS_PROGRAM = (".exe", ".com", ".cmd", ".bat")
#: What a project's node_modules/.bin may not hold under an npm runner (:func:`_runtimes_in`).
_RUNTIMES = (RUNS_ANYTHING | {"git"}) - {"tsx", "ts-node"}


def _runtimes_in(bin_folder: Path) -> list[str]:
    """The programs of a project's ``node_modules/.bin`` that run whatever they are given (a
    shell, ``node``, ``python``, a package manager, ``git``), by their name without Windows'
    suffixes; but ``tsx`` and ``ts-node``, a TypeScript project's own tools, which a published
    program rarely names."""
    try:
        names = sorted(os.listdir(bin_folder))
    except OSError:
        return []
    runtimes = [
        name for name in names if program_name(name) in _RUNTIMES or program_name(name).startswith("python")
    ]
    return [
        f"{bin_folder / name} is the project's {program_name(name)}, found before the machine's"
        for name in runtimes
    ]


def _windows_programs(launch: Launch, package: PackageRef, directory: Path) -> list[str]:
    """The programs of the server's folder that Windows finds before the machine's: named as the
    runner, a runtime or shell, or after the package (``ok.cmd``, ``acme-ok.exe`` for
    ``@acme/ok``)."""
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return []
    names = _RUNTIMES | {program_name(launch.argv[0])}
    package_words = re.split(r"[-_.]+", package.name.rpartition("/")[2].casefold())
    found = []
    for entry in entries:
        stem, suffix = os.path.splitext(entry.casefold())
        words = re.split(r"[-_.]+", stem)
        named_after = any(
            words[i : i + len(package_words)] == package_words
            for i in range(len(words) - len(package_words) + 1)
        )
        if suffix in _WINDOWS_PROGRAM and (stem in names or stem.startswith("python") or named_after):
            found.append(
                f"{directory / entry} is a program of the server's folder, found before the machine's"
            )
    return found


def _copies(node_modules: Path, name: str) -> list[str]:
    """The copy of the package ``name`` the project's tree holds, at any depth, as npm's reading
    of the installed tree finds it (``node_modules/x/node_modules/@acme/ok``); a folder read once
    (a link back to a folder above ends), a bounded number of packages."""
    folders, read, packages = [node_modules], set[Path](), 0
    while folders:
        folder = folders.pop()
        copy = folder / name
        if copy.is_symlink() or copy.exists():
            return [f"{copy} is the project's own copy of it"]
        if folder.resolve() in read:
            continue
        read.add(folder.resolve())
        for package in _packages_in(folder):
            packages += 1
            if packages > _MOST_PACKAGES:
                return [f"{node_modules} holds over {_MOST_PACKAGES} packages"]
            if os.path.isdir(os.path.join(package, "node_modules")):
                folders.append(Path(package, "node_modules"))
    return []


def _packages_in(node_modules: Path) -> list[str]:
    """The folders of a ``node_modules``'s packages, a scope's (``@acme/ok``) among them."""
    try:
        entries = list(os.scandir(node_modules))
        scoped = [e for e in entries if e.name.startswith("@") and e.is_dir()]
        return [e.path for e in entries if e not in scoped] + [
            inner.path for scope in scoped for inner in os.scandir(scope.path)
        ]
    except OSError:
        return []


def _python_requests_not_versions(text: str) -> list[str]:
    """The lines of a ``.python-version`` that name no version or implementation (uv takes
    another for a path, or a program's name, and runs what it finds)."""
    requests = [line.strip() for line in text.splitlines() if line.strip()[:1] not in ("", "#")]
    return [request[:100] for request in requests if not _PYTHON_VERSION.fullmatch(request)]


def _yaml_settings(text: str, harmless: frozenset[str]) -> list[str]:
    """The top-level keys of a YAML mapping (``.yarnrc.yml``, ``pnpm-workspace.yaml``) not in
    ``harmless``, and the lines at the mapping's indent that are no plain key (as far as 100
    characters)."""
    lines = [
        line
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#") and line.rstrip() != "---"
    ]
    indent = min((len(line) - len(line.lstrip(" ")) for line in lines), default=0)
    refused = []
    for line in lines:
        if len(line) - len(line.lstrip(" ")) > indent:
            continue  # a value of the key above
        key = _YARNRC_KEY.fullmatch(line)
        if key is None or key.group(1) not in harmless:
            refused.append(key.group(1) if key else line.strip()[:100])
    return refused


def _pnpm_manifest_settings(text: str) -> list[str]:
    """The settings of a project's ``package.json`` that pnpm reads as its own: its ``pnpm``
    field's (judged as ``pnpm-workspace.yaml``'s) and ``resolutions`` (pnpm's overrides)."""
    manifest = _manifest(text)
    if manifest is None:
        return []  # pnpm reads no setting of a package.json it cannot read
    settings = manifest.get("pnpm", {})
    found = (
        [f"pnpm.{key}" for key in settings if key not in _PNPM_WORKSPACE_HARMLESS]
        if isinstance(settings, dict)
        else ["pnpm"]
    )
    return found + (["resolutions"] if "resolutions" in manifest else [])


def _tool_versions_not_released(text: str) -> list[str]:
    """The tools of a ``.tool-versions`` whose version is a folder's (``path:``) or built from a
    git ref (``ref:``), not a release."""
    lines = (line.partition("#")[0].split() for line in text.splitlines())
    return [
        f"{words[0][:100]} {version[:100]}"
        for words in lines
        for version in words[1:]
        if version.startswith(("path:", "ref:"))
    ]


def _yarn1rc_settings(text: str) -> list[str]:
    """Every setting of a yarn 1 ``.yarnrc`` (``yarn-path "./yarn.js"``, ``registry "URL"``)."""
    lines = (line.strip() for line in text.splitlines())
    return [line.split()[0][:100] for line in lines if line and not line.startswith("#")]


def _bunfig_sources(text: str) -> list[str]:
    document = tomllib.loads(text)
    refused = [key for key in document if key not in _BUNFIG_HARMLESS[None]]
    for table in ("install", "run"):
        settings = document.get(table, {})
        if not isinstance(settings, dict):
            refused.append(table)
            continue
        refused += [f"{table}.{key}" for key in settings if key not in _BUNFIG_HARMLESS[table]]
    return refused


def _env_file_variables(text: str, *, package: PackageRef) -> list[str]:
    """The variables of a project's ``.env`` file that the entry's env could not set either, and
    the lines not read as a variable (``NAME=value``, ``export NAME=value``)."""
    env_file = read_env_file(text)
    unread = [f"{line} (a line not read)" for line in env_file.unread]
    return [*variables_beyond_package(package.ecosystem, package.name, env_file.variables), *unread]


def _uv_sources(text: str) -> list[str]:
    return _uv_table_sources(tomllib.loads(text))


def _pyproject_uv_sources(text: str) -> list[str]:
    tool = tomllib.loads(text).get("tool")
    return _uv_table_sources(tool.get("uv") if isinstance(tool, dict) else None)


def _uv_table_sources(table: object) -> list[str]:
    return [key for key in table if key not in _UV_HARMLESS] if isinstance(table, dict) else []
