"""Whether a launch line's options and environment leave what runs to the approved package.

The registry approves a package by name and version, as fetched from the registry it was vetted
on. What the runner fetches and runs also depends on its options (``npx --registry``, ``uvx
--with``), on its variables and the runtime's (``npm_config_registry``, ``UV_INDEX_URL``,
``NODE_OPTIONS=--require x.js``, ``PYTHONPATH``), and on which program the line starts
(``/tmp/x/npx``). This module is the one judgement of those for every caller: the launch's
parse (:func:`mcpward.launch.resolve_launch`, whose ``beyond_package`` serves ``scan
--registry``, the fleet and the gateway) and the gateway's reading of an entry's env
(:mod:`mcpward.package_sources`). Both said once, with lists of their own, and disagreed.

Allow-lists: a runner's option, a package manager's or a runtime's variable, is harmless only if
it is named here; any other is taken to change what runs, and a launch with it is not the
approved package. Variables outside the package managers' and runtimes' namespaces (an API key,
``LOG_LEVEL``) are the server's own and are not judged, except those known to load code, to
choose whom to trust, or to move where a runner finds its user's configuration (``LD_PRELOAD``,
``BASH_ENV``, ``SSL_CERT_FILE``, ``GIT_SSH_COMMAND``, ``HOME``, ``PREFIX``).

Text only: nothing is run, no file is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from mcpward._regex import compiled
from mcpward.model import Ecosystem

#: Runners that take an npm package, and those that take a Python one, as the launch's parse
#: names them (:attr:`mcpward.launch.Launch.runner`).
NPM_RUNNERS = frozenset({"npx", "npm exec", "pnpm dlx", "pnpx", "bunx", "yarn dlx"})
PYTHON_RUNNERS = frozenset({"uvx", "uv run", "pipx run"})

#: The runners' options that change nothing of what is fetched or run. The package's own option
#: (``-p``/``--package``, ``--from``, ``--spec``, ``uv run``'s ``--with``), given twice or with
#: a command of the line's own, and a ``--python`` given as a path, are the launch's parse's to
#: judge. Any other option is refused: npm takes every setting of its configuration as an
#: option (``--@acme:registry=URL``, ``--cafile``, ``--script-shell``), and uv grows new ones.
_HARMLESS_NPM_OPTIONS = frozenset({
    "-y", "--yes", "--no", "-q", "--quiet", "-s", "--silent", "--loglevel", "--prefer-online",
    "--prefer-offline", "--offline", "--ignore-scripts", "--no-update-notifier", "--no-fund",
    "--no-audit", "--no-progress", "--color", "--no-color", "--bun", "-p", "--package",
})  # fmt: skip
_HARMLESS_UV_OPTIONS = frozenset({
    "-q", "--quiet", "-v", "--verbose", "--offline", "--no-progress", "--isolated", "--native-tls",
    "--color", "--python", "-p", "--python-preference", "--no-python-downloads", "--managed-python",
    "--no-managed-python", "--no-config", "--refresh", "-n", "--no-cache", "--no-env-file", "--from",
})  # fmt: skip
_HARMLESS_OPTIONS: dict[str, frozenset[str]] = {
    **dict.fromkeys(NPM_RUNNERS, _HARMLESS_NPM_OPTIONS),
    "uvx": _HARMLESS_UV_OPTIONS,
    # uv run's package is its --with (given once, the parse judges); its project is left out.
    "uv run": _HARMLESS_UV_OPTIONS | {"--with", "--no-project"},
    "pipx run": frozenset({"-q", "--quiet", "-v", "--verbose", "--spec", "--python", "--no-cache"}),
}

#: Node options that load no code (``--max-old-space-size=4096`` is common in entries); any
#: other may (``--require``, ``--import``, a loader, ``--inspect``: a debugger that any local
#: process may attach to and run code in).
_HARMLESS_NODE_OPTION = compiled(
    r"--(?:max-old-space-size|max-semi-space-size|max-http-header-size|stack-size|no-warnings"
    r"|no-deprecation|enable-source-maps|dns-result-order|trace-warnings|unhandled-rejections"
    r"|disable-warning)(?:=\S+)?"
)

#: The package managers' namespaces of variables, by the package's ecosystem: each reads its
#: own, whatever their case.
_PACKAGE_MANAGER_PREFIXES: dict[Ecosystem, tuple[str, ...]] = {
    Ecosystem.NPM: ("npm_config_", "bun_", "yarn_", "pnpm_", "corepack_"),
    # An active environment's (uv run runs its python to ask it what it is).
    Ecosystem.PYPI: ("uv_", "pip_", "pipx_", "virtual_env", "conda_"),
    Ecosystem.OCI: ("docker_", "container_", "containers_"),
}
#: The runtimes' namespaces, whatever the ecosystem (a runner is itself Node or Python, and so
#: is much of what a package starts).
_RUNTIME_PREFIXES = ("node_", "python")
#: Variables of those namespaces that change nothing of what is fetched or run. A registry's
#: credentials (npm's ``//host/:_authToken``, uv's ``UV_INDEX_NAME_PASSWORD``) name no source.
_HARMLESS_VARIABLES = compiled(
    r"npm_config_(?:yes|loglevel|update[_-]notifier|fund|audit|progress|color|//.*)"
    r"|uv_(?:no_progress|http_timeout|request_timeout|concurrent_\w+|native_tls|link_mode"
    r"|compile_bytecode|index_\w+_(?:username|password))"
    r"|pip_(?:disable_pip_version_check|no_input|quiet|progress_bar|no_color|timeout|default_timeout)"
    r"|node_env|node_no_warnings"
    r"|python(?:unbuffered|ioencoding|dontwritebytecode|utf8|faulthandler|hashseed)",
    re.IGNORECASE,
)
#: Outside those namespaces: what loads code into a process, or chooses whom it trusts (behind a
#: proxy, a CA of the entry's answers for the registry), or what git runs to fetch a dependency;
#: the folders the runners find their user's and machine's configuration in (npm's
#: ``$HOME/.npmrc``, ``$PREFIX/etc/npmrc`` and ``$PREFIX/bin``, uv's ``$XDG_CONFIG_HOME/uv``,
#: Windows' ``APPDATA``...); and what the shell npx runs the package's program in reads
#: (``ComSpec`` is that shell on Windows; where ``sh`` is bash, ``SHELLOPTS=xtrace`` runs ``PS4``'s
#: substitutions and ``BASH_FUNC_name%%`` stands in for a program of that name); and the other
#: runtimes' code loaded first, for what a server starts (``JAVA_TOOL_OPTIONS=-javaagent:x.jar``,
#: ``PERL5OPT``, ``RUBYOPT``, ``DOTNET_STARTUP_HOOKS``).
_LOADS_OR_TRUSTS = compiled(
    r"ld_\w+|dyld_\w+|bash_env|ssl_cert_file|ssl_cert_dir|requests_ca_bundle|curl_ca_bundle"
    r"|git_(?:ssh|ssh_command|proxy_command|askpass|exec_path|template_dir|config\w*|ssl_\w+)"
    r"|homedrive|homepath|prefix|destdir|xdg_\w+|programdata"
    r"|comspec|shellopts|bashopts|ps4|bash_func_.*"
    r"|java_tool_options|_java_options|jdk_java_options|perl5opt|perl5lib|perllib|rubyopt|rubylib"
    r"|dotnet_startup_hooks|dotnet_additional_deps",
    re.IGNORECASE,
)
#: Where a runner named by its path is the machine's or the user's own install: the system's bin
#: folders, a package manager's (Homebrew, Linuxbrew, MacPorts, snap, Nix), Python's and
#: Docker's installers', and the user's own tool folders (uv's and pipx's ~/.local/bin, nvm's,
#: volta's, bun's, pip's --user, scoop's). Anywhere else (``/tmp``, a
#: cloned project's folder, a path with ``..``) is a folder others or the project may write, and
#: the program there is theirs, whatever its name.
#: A home by its own path: ``~`` and ``$HOME`` are not expanded where the launch is started (the
#: gateway's exec, the entry's PATH), and name a folder of the one the server starts in.
_HOME = r"(?:/home/[^/]+|/Users/[^/]+|/root)"
_TRUSTED_RUNNER_FOLDER = compiled(
    r"/(?:usr/(?:local/)?)?s?bin"
    r"|/opt/(?:homebrew|local)/s?bin|/(?:opt/homebrew|usr/local)/opt/[^/]+/bin"
    r"|/home/linuxbrew/\.linuxbrew/bin|/snap/bin|/run/current-system/sw/bin"
    r"|/nix/var/nix/profiles/default/bin|/opt/podman/bin"
    r"|/Library/Frameworks/Python\.framework/Versions/[0-9.]+/bin"
    r"|/Applications/Docker\.app/Contents/Resources/bin"
    rf"|{_HOME}/(?:\.local/bin|\.cargo/bin|\.volta/bin|\.bun/bin|\.deno/bin|\.npm-global/bin"
    r"|\.nix-profile/bin|\.nvm/versions/node/v[0-9.]+/bin|\.asdf/shims|\.pyenv/shims"
    r"|\.local/share/mise/shims|\.local/share/pnpm|Library/pnpm|Library/Python/[0-9.]+/bin)"
    r"|[a-z]:\\program files(?: \(x86\))?\\(?:nodejs|python3\d*\\scripts|docker\\docker\\resources\\bin)"
    r"|[a-z]:\\windows\\system32"
    r"|[a-z]:\\users\\[^\\]+\\(?:appdata\\roaming\\npm|\.local\\bin|\.cargo\\bin|scoop\\shims"
    r"|appdata\\(?:local\\programs|roaming)\\python\\python3\d*\\scripts)",
    re.IGNORECASE,
)
#: A Windows user's folder by its own path.
_WINDOWS_HOME = r"[a-z]:\\users\\[^\\/]+"
#: Each home folder variable's standard value (a trailing separator allowed).
_STANDARD_FOLDER = {
    "appdata": compiled(rf"{_WINDOWS_HOME}\\appdata\\roaming\\?", re.IGNORECASE),
    "localappdata": compiled(rf"{_WINDOWS_HOME}\\appdata\\local\\?", re.IGNORECASE),
    "userprofile": compiled(rf"{_WINDOWS_HOME}\\?", re.IGNORECASE),
    "home": compiled(rf"{_HOME}/?|{_WINDOWS_HOME}\\?", re.IGNORECASE),
}
#: Variables whose value decides; a value not known (the scan keeps an entry's names only) is not
#: known harmless. The home folders among them are harmless as the user's own standard folder:
#: Windows configs of desktop clients commonly set ``APPDATA`` to the user's own
#: ``C:\\Users\\NAME\\AppData\\Roaming`` (npx found no cache without it), which moves nothing.
_JUDGED_BY_VALUE = frozenset({"node_options", "path", *_STANDARD_FOLDER})


def options_beyond_package(runner: str, options: Sequence[str]) -> tuple[str, ...]:
    """The options of ``options`` (the words between the runner and its package, values and all)
    not known to change nothing of what ``runner`` fetches or runs, each as a phrase. A runner
    this module does not know is judged by the launch's parse alone."""
    harmless = _HARMLESS_OPTIONS.get(runner)
    if harmless is None:
        return ()
    names = [word.partition("=")[0] for word in options if word[:1] == "-" and word not in ("-", "--")]
    if _node_options_given_load_nothing(options):
        harmless |= {"--node-options"}
    unknown = [name for name in dict.fromkeys(names) if name not in harmless]
    return tuple(f"{name[:100]} (not known to change nothing)" for name in unknown)


def _node_options_given_load_nothing(options: Sequence[str]) -> bool:
    """Whether the ``--node-options`` given (``--node-options=V``, ``--node-options V``) load no
    code."""
    values = [word.partition("=")[2] for word in options if word.startswith("--node-options=")]
    values += [options[i + 1] for i, word in enumerate(options[:-1]) if word == "--node-options"]
    return all(node_options_load_nothing(value) for value in values)


def node_options_load_nothing(value: str) -> bool:
    """Whether Node options (``NODE_OPTIONS``, ``--node-options``) load no code."""
    return all(_HARMLESS_NODE_OPTION.fullmatch(word) for word in value.split())


def variables_beyond_package(
    ecosystem: Ecosystem, package: str, variables: Mapping[str, str | None]
) -> tuple[str, ...]:
    """The variables of ``variables`` given to the runner of ``package`` (of ``ecosystem``) not
    known to change nothing of what it fetches or runs, each as a phrase that starts with the
    variable's name. A value of None is one not known: the scan keeps names only."""
    prefixes = _PACKAGE_MANAGER_PREFIXES.get(ecosystem, ()) + _RUNTIME_PREFIXES
    why = []
    for name, value in variables.items():
        folded = name.casefold()
        if folded in _JUDGED_BY_VALUE:
            if value is None:
                why.append(f"{name[:100]} (its value not read)")
            elif not _value_harmless(folded, value):
                kind = "not the user's own folder" if folded in _STANDARD_FOLDER else "code of its own"
                why.append(f"{name[:100]} ({kind})")
        elif (folded.startswith(prefixes) and not _HARMLESS_VARIABLES.fullmatch(name)) or (
            _LOADS_OR_TRUSTS.fullmatch(name)
        ):
            # npm's scoped registries too, whatever the scope: the package's dependencies of
            # that scope come from it (most servers depend on @modelcontextprotocol/sdk).
            why.append(f"{name[:100]} (another source or code)")
    return tuple(why)


def values_harmless(variables: Mapping[str, str]) -> tuple[str, ...]:
    """The names of ``variables`` whose value decides what runs (``PATH``, ``NODE_OPTIONS``, the
    home folders) and is harmless: what a reader that keeps names only (the scan) may keep of a
    value judged."""
    return tuple(
        name
        for name, value in variables.items()
        if name.casefold() in _JUDGED_BY_VALUE and _value_harmless(name.casefold(), value)
    )


def _value_harmless(folded: str, value: str) -> bool:
    """Whether the value of a variable of :data:`_JUDGED_BY_VALUE` (its name case-folded)
    loads or runs nothing of its own."""
    if folded == "node_options":
        return node_options_load_nothing(value)
    if folded == "path":
        return _trusted_path(value)
    folder = _STANDARD_FOLDER[folded]
    return bool(folder.fullmatch(value)) and ".." not in re.split(r"[\\/]", value)


def trusted_runner_path(program: str) -> bool:
    """Whether ``program``, a runner named by its path or by its name alone, is the machine's
    or the user's install of it rather than a program of a folder others or the project may
    write (``/tmp/x/npx``, ``./tools/npx``, ``/home/me/src/repo/bin/npx``)."""
    folder, slash, _ = program.replace("\\", "/").rpartition("/")
    if not slash:
        return True  # found on the PATH, which is judged where it is set
    return _trusted_folder(folder or "/")


def _trusted_folder(folder: str) -> bool:
    """Whether ``folder`` is one of :data:`_TRUSTED_RUNNER_FOLDER`, written plainly (no ``..``,
    no ``.``: ``/usr/bin/../../tmp/x`` is ``/tmp/x``)."""
    parts = re.split(r"[\\/]", folder)
    if ".." in parts or "." in parts:
        return False
    if re.match(r"^[A-Za-z]:[\\/]", folder):
        folder = folder.replace("/", "\\")
    return bool(_TRUSTED_RUNNER_FOLDER.fullmatch(folder.rstrip("/\\") or "/"))


def _trusted_path(value: str) -> bool:
    """Whether every folder of a ``PATH`` value is a trusted one (an empty one is the current
    folder, whatever it is)."""
    return all(folder and _trusted_folder(folder) for folder in path_folders(value))


def path_folders(value: str) -> list[str]:
    """The folders of a ``PATH`` value, Windows' (``;``) or the others' (``:``)."""
    return value.split(";") if ";" in value or "\\" in value else value.split(":")


#: The variables that name a home folder (the user's, or a folder of Windows' user profile).
HOME_VARIABLES = frozenset(_STANDARD_FOLDER)
_IN_A_HOME = compiled(rf"(?:{_HOME}|{_WINDOWS_HOME})(?=[\\/]|$)", re.IGNORECASE)


def home_folder(path: str) -> str | None:
    """The home folder ``path`` lies in, as written (``/home/b`` of ``/home/b/.local/bin``,
    ``C:\\Users\\b`` of ``C:\\Users\\b\\AppData\\Roaming``), or None if in none."""
    found = _IN_A_HOME.match(path)
    return found.group(0) if found else None
