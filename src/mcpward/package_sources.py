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

Nothing here runs a package manager: the files are read as text, a bounded amount of each.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path

from mcpward.launch import Launch, program_name, resolve_launch
from mcpward.model import Ecosystem, PackageRef

_NPM_RUNNERS = {"npx", "npm exec", "pnpm dlx", "pnpx", "bunx", "yarn dlx"}

#: The runner's options that change nothing of what is fetched or run (the package's own option,
#: ``-p``/``--from``/``--spec``/``--with``, given twice or with a command of the line's own, and a
#: ``--python`` path, the launch's parse finds). Any other is refused: npm takes every setting of
#: its configuration as an option (``--@acme:registry=URL``, ``--cafile``, ``--script-shell``).
_KEPT_NPM_OPTIONS = {
    "-y", "--yes", "--no", "-q", "--quiet", "-s", "--silent", "--loglevel", "--prefer-online",
    "--prefer-offline", "--offline", "--ignore-scripts", "--no-update-notifier", "--no-fund",
    "--no-audit", "--no-progress", "--color", "--no-color", "--bun", "-p", "--package",
}  # fmt: skip
_KEPT_PYTHON_OPTIONS = {
    "-q", "--quiet", "-v", "--verbose", "--offline", "--no-progress", "--isolated", "--native-tls",
    "--color", "--python", "-p", "--python-preference", "--no-python-downloads", "--managed-python",
    "--no-managed-python", "--no-config", "--refresh", "-n", "--no-cache", "--no-env-file",
    "--no-project", "--from", "--spec", "--with", "-w",
}  # fmt: skip
_PYTHON_RUNNERS = {"uvx", "uv run", "pipx run"}

# Variables of the entry's own env (what the client entry sets for the server) read by the
# package manager, by the package's ecosystem. Credentials for a registry (npm's
# ``//host/:_authToken``, uv's ``UV_INDEX_NAME_PASSWORD``) name no source and are kept.
_PACKAGE_MANAGER_VARIABLES = {
    Ecosystem.NPM: ("npm_config_", "bun_", "yarn_", "pnpm_", "corepack_"),
    Ecosystem.PYPI: ("uv_", "pip_", "pipx_"),
    Ecosystem.OCI: ("docker_", "container_", "containers_"),
}
_KEPT_VARIABLES = re.compile(
    r"npm_config_(?:yes|loglevel|update[_-]notifier|fund|audit|progress|color|//.*)"
    r"|uv_(?:no_progress|http_timeout|request_timeout|concurrent_\w+|native_tls|link_mode"
    r"|compile_bytecode|index_\w+_(?:username|password))"
    r"|pip_(?:disable_pip_version_check|no_input|quiet|progress_bar|no_color|timeout|default_timeout)",
    re.IGNORECASE,
)
#: Whatever the ecosystem: code loaded into the server's process, and a certificate authority
#: of the entry's (behind a proxy, what answers for the registry).
_LOADS_OR_TRUSTS = re.compile(
    r"node_path|pythonpath|pythonhome|pythonuserbase|pythonstartup|bash_env|ld_\w+|dyld_\w+"
    r"|node_extra_ca_certs|ssl_cert_file|ssl_cert_dir|requests_ca_bundle|curl_ca_bundle",
    re.IGNORECASE,
)
#: NODE_OPTIONS that load no code (``--max-old-space-size=4096`` is common in entries).
_KEPT_NODE_OPTION = re.compile(
    r"--(?:max-old-space-size|max-semi-space-size|max-http-header-size|stack-size|no-warnings"
    r"|no-deprecation|enable-source-maps|dns-result-order|trace-warnings|unhandled-rejections"
    r"|disable-warning)(?:=\S+)?"
)

# A project's settings that choose where packages come from, or run code as the package manager.
_NPMRC_SOURCE = re.compile(
    r"(?:.*:)?registry|userconfig|globalconfig|cache|prefix|node-options|script-shell|shell"
    r"|replace-registry-host|cafile|ca|strict-ssl|proxy|https-proxy",
    re.IGNORECASE,
)
_YARNRC_SOURCE = re.compile(
    r"^\s*(npmRegistryServer|npmScopes|yarnPath|plugins|unsafeHttpWhitelist)\s*:", re.M
)
_BUNFIG_SOURCE = {"registry", "scopes", "cafile", "ca", "cache", "globalDir"}
_UV_SOURCE = re.compile(
    r"index|index-url|extra-index-url|find-links|no-index|index-strategy|python-install-mirror"
    r"|pypy-install-mirror|python-downloads-json-url|cache-dir|allow-insecure-host"
    r"|override-dependencies|constraint-dependencies"
)
#: Configuration files are small; what is past this is not read (and refused, not guessed at).
_MOST_READ = 1 << 20


def other_sources(
    command: tuple[str, ...], server_env: Mapping[str, str], directory: Path, home: Path
) -> list[str]:
    """Why the package the launch ``command`` names may not be what runs, each as a phrase ("the
    launch sets --registry"); empty when only the package's name and the user's own configuration
    decide. ``server_env`` holds the variables of the entry's own (set aside for the server);
    ``directory`` is the folder the server starts in."""
    launch = resolve_launch(command[0] if command else None, command[1:])
    package = launch.package
    if package is None:
        return []
    # ``env A=1 npx ...`` sets the runner's variables as the entry's env does (a container's -e
    # are the container's, which its image's code reads, not the engine).
    in_container = len(launch.container.env_assignments) if launch.container else 0
    assigned = launch.env_assignments[: len(launch.env_assignments) - in_container]
    variables = dict(server_env) | dict(item.partition("=")[::2] for item in assigned)
    return [
        *_moved(command),
        *_options(launch),
        *_variables(package, variables),
        *_project(launch, package, directory, home),
    ]


def _moved(command: tuple[str, ...]) -> list[str]:
    """``env -C DIR`` / ``--chdir=DIR`` starts the runner in another folder than the one judged."""
    if not command or program_name(command[0]) != "env":
        return []
    for arg in command[1:]:
        if (
            arg == "--chdir"
            or arg.startswith("--chdir=")
            or (arg[:1] == "-" and arg[1:2] != "-" and "C" in arg)
        ):
            return ["the launch changes its folder (env --chdir)"]
        if arg[:1] != "-" and "=" not in arg:
            break
    return []


def _options(launch: Launch) -> list[str]:
    """The runner's options that are not known to change nothing (the parse of the launch names
    those it knows to fetch elsewhere; npm takes every setting of its configuration as an
    option, ``--cafile``, ``--script-shell``, and uv grows new ones)."""
    # The package, or the command run with it, is the first word after the options.
    start = len(launch.argv) - len(launch.server_args) - 1
    if launch.container is not None:
        # The image's own entrypoint is what was approved; another one runs the line's program.
        if any(arg == "--entrypoint" or arg.startswith("--entrypoint=") for arg in launch.argv[:start]):
            return ["the launch sets --entrypoint"]
        return []
    npm = launch.runner in _NPM_RUNNERS
    if not npm and launch.runner not in _PYTHON_RUNNERS:
        return []
    kept = _KEPT_NPM_OPTIONS if npm else _KEPT_PYTHON_OPTIONS
    options = launch.argv[1:start]
    names = [arg.partition("=")[0] for arg in options if arg[:1] == "-" and arg != "--"]
    why = [
        f"the launch sets {name[:100]}"
        for name in dict.fromkeys(names)
        if name not in kept and not (name == "--node-options" and _no_code(_values(options, name)))
    ]
    if launch.runner == "npm exec" and "--" not in launch.argv[: start + 1]:
        # Without "--" before the package, npm reads the options after it as its own, up to a
        # "--" (npx does not).
        args = launch.server_args
        own = args[: args.index("--")] if "--" in args else args
        why += [f"the launch sets {arg.partition('=')[0][:100]}" for arg in own if arg[:1] == "-"]
    return why


def _values(options: tuple[str, ...], name: str) -> list[str]:
    """The values given to the option ``name`` (``--name=value`` or ``--name value``)."""
    values = [arg.partition("=")[2] for arg in options if arg.startswith(f"{name}=")]
    return values + [options[i + 1] for i, arg in enumerate(options[:-1]) if arg == name]


def _no_code(node_options: list[str]) -> bool:
    """Whether Node options load no code (``--max-old-space-size=4096``, common in entries)."""
    return all(_KEPT_NODE_OPTION.fullmatch(word) for value in node_options for word in value.split())


def _variables(package: PackageRef, server_env: Mapping[str, str]) -> list[str]:
    prefixes = _PACKAGE_MANAGER_VARIABLES.get(package.ecosystem, ())
    why = []
    for name, value in server_env.items():
        folded = name.casefold()
        if folded.startswith("npm_config_@") and not _scope_of(package, folded.removeprefix("npm_config_")):
            continue
        if (
            folded.startswith(prefixes) and not _KEPT_VARIABLES.fullmatch(name)
        ) or _LOADS_OR_TRUSTS.fullmatch(name):
            why.append(f"the entry's env sets {name[:100]}")
        elif folded == "node_options" and not _no_code([value]):
            why.append(f"the entry's env sets {name} to load code")
    return why


def _project(launch: Launch, package: PackageRef, directory: Path, home: Path) -> list[str]:
    why: list[str] = []
    for folder in _project_folders(directory, home):
        if package.ecosystem is Ecosystem.NPM:
            why += _settings(folder / ".npmrc", lambda text: _npmrc_sources(text, package))
            if launch.runner == "yarn dlx":
                why += _settings(folder / ".yarnrc.yml", _YARNRC_SOURCE.findall)
            if launch.runner == "bunx":
                why += _settings(folder / "bunfig.toml", _bunfig_sources)
            # npx runs a copy the project holds (its own node_modules) in place of fetching one.
            copy = folder / "node_modules" / package.name
            if copy.is_symlink() or copy.exists():
                why.append(f"{copy} is the project's own copy of it")
        elif package.ecosystem is Ecosystem.PYPI and launch.runner in ("uvx", "uv run"):
            why += _settings(folder / "uv.toml", _uv_sources)
            why += _settings(folder / "pyproject.toml", _pyproject_uv_sources)
            options = set(launch.argv[: len(launch.argv) - len(launch.server_args)])
            if (
                launch.runner == "uv run"
                and (folder / "pyproject.toml").exists()
                and not (options & {"--no-project", "--isolated"})
            ):
                # uv run builds and installs the project it is started in (its build backend
                # runs), and runs the command in the project's environment.
                why.append(f"uv run installs the project {folder} beside it (--no-project does not)")
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


def _npmrc_sources(text: str, package: PackageRef) -> list[str]:
    keys = (line.partition("=")[0].strip() for line in text.splitlines() if "=" in line)
    return [
        key
        for key in keys
        if not key.startswith((";", "#"))
        and _NPMRC_SOURCE.fullmatch(key)
        and (not key.startswith("@") or _scope_of(package, key))
    ]


def _scope_of(package: PackageRef, key: str) -> bool:
    """Whether an ``@scope:registry`` setting is the package's scope's (a company repository's
    ``@acme:registry`` chooses nothing for ``@modelcontextprotocol/server-memory``)."""
    scope = key.partition(":")[0].casefold()
    return package.name.casefold().startswith(f"{scope}/")


def _bunfig_sources(text: str) -> list[str]:
    document = tomllib.loads(text)
    install = document.get("install")
    chosen = (
        [f"install.{key}" for key in install if key in _BUNFIG_SOURCE] if isinstance(install, dict) else []
    )
    return chosen + (["preload"] if "preload" in document else [])


def _uv_sources(text: str) -> list[str]:
    return _uv_table_sources(tomllib.loads(text))


def _pyproject_uv_sources(text: str) -> list[str]:
    tool = tomllib.loads(text).get("tool")
    return _uv_table_sources(tool.get("uv") if isinstance(tool, dict) else None)


def _uv_table_sources(table: object) -> list[str]:
    return [key for key in table if _UV_SOURCE.fullmatch(key)] if isinstance(table, dict) else []
