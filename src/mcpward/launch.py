"""From a launch line to what it runs.

A server's ``command`` and ``args`` are unwrapped (``cmd /c``, ``sh -c``, ``env``) and the
runner is recognised (``npx``, ``uvx``, ``docker run``, ...) to name the package behind the
server and whether its version is pinned. Nothing is executed: this is text analysis only.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from packaging.utils import canonicalize_name

from mcpward._program_name import program_name
from mcpward._regex import compiled
from mcpward.dlp import shell_words
from mcpward.launch_judge import (
    NPM_RUNNERS,
    PYTHON_RUNNERS,
    options_beyond_package,
    trusted_runner_path,
    variables_beyond_package,
)
from mcpward.model import Ecosystem, PackageRef

#: Shells by their program's name, each of which runs the command line after its ``-c``.
POSIX_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "ash"})
#: Windows' shells by their program's file name.
WINDOWS_SHELLS = frozenset({"cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh", "pwsh.exe"})
_SHELLS = POSIX_SHELLS | {"busybox"}
_POWERSHELLS = {"powershell", "pwsh"}
_SHELL_METACHARS = compiled(r"\|\||&&|[|;&<>`]|\$\(|\n")
_SUBSTITUTION = compiled(r"\$\(|`")
_DOWNLOAD_TO_SHELL = compiled(
    r"(?:curl|wget|iwr|invoke-webrequest|irm|invoke-restmethod)\b[^|]*\|\s*"
    r"(?:sudo\s+)?(?:sh|bash|zsh|dash|python3?|node|iex|invoke-expression|powershell|pwsh)\b",
    re.IGNORECASE,
)
_EXACT_SEMVER = compiled(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_VERSION_TAG = compiled(r"^v?\d+(?:\.\d+){1,3}(?:[-._+][0-9A-Za-z.-]+)?$")
_DIGEST = compiled(r"^sha256:[0-9a-f]{64}$")
_COMMIT = compiled(r"^[0-9a-f]{40}$")


@dataclass(frozen=True, slots=True)
class ShellWrap:
    """The launch goes through a shell; ``script`` is what the shell is asked to run."""

    shell: str
    script: str
    has_metachars: bool
    has_substitution: bool
    downloads_to_shell: bool
    encoded: bool = False


@dataclass(frozen=True, slots=True)
class ContainerRun:
    """Options of a ``docker run`` / ``podman run`` launch that matter for its scope."""

    engine: str
    image: str
    privileged: bool = False
    host_network: bool = False
    host_pid: bool = False
    mounts: tuple[tuple[str, str], ...] = ()  # (source, target)
    cap_add: tuple[str, ...] = ()
    env_assignments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Launch:
    """What a launch line runs, as far as the text tells."""

    argv: tuple[str, ...]
    runner: str | None = None
    package: PackageRef | None = None
    #: Arguments given to the server itself, after the package (paths, URLs, flags).
    server_args: tuple[str, ...] = ()
    shell: ShellWrap | None = None
    container: ContainerRun | None = None
    #: The command field itself holds shell syntax, which clients that spawn through a
    #: shell (several do on Windows) will interpret.
    command_has_shell_syntax: bool = False
    #: Extra environment assignments on the launch line (``env A=1 cmd``, ``docker -e A=1``).
    env_assignments: tuple[str, ...] = field(default=())
    #: What of the line, besides ``package``, decides what is installed or run: another package
    #: installed beside it, a command or runner of the line's own, and the runner's options and
    #: the line's variables not known harmless (:mod:`mcpward.launch_judge`: another index or
    #: registry, code loaded first). An approval of the package at its version reviewed none of it.
    beyond_package: tuple[str, ...] = ()


def resolve_launch(command: str | None, args: tuple[str, ...]) -> Launch:
    if not command:
        return Launch(argv=args)
    argv = [command, *args]
    has_shell_syntax = False
    if not args and (" " in command.strip() or _SHELL_METACHARS.search(command)):
        # The whole line is in "command"; some clients split it, some hand it to a shell.
        has_shell_syntax = bool(_SHELL_METACHARS.search(command))
        argv = shell_words(command)
    shell, argv = _unwrap_shell(argv)
    argv, env_assignments, moved = _unwrap_env(argv)
    launch = _resolve_runner(tuple(argv))
    steered: tuple[str, ...] = ()
    if launch.package:
        steered += _judged(launch, launch.package, env_assignments)
        if moved:
            # `env --chdir=DIR npx ...`: the runner reads DIR's .npmrc and node_modules, not
            # the folder the launch is judged in.
            steered += ("env --chdir (another folder)",)
    if launch.package and launch.runner != "binary" and not trusted_runner_path(argv[0]):
        # `./tools/npx -y ok@1.0.0` in a cloned project's config, `/tmp/x/npx`: a program of
        # a folder the project or others may write, whatever its name.
        steered += (f"runs {argv[0][:80]!r}, a runner outside the machine's and the user's bin folders",)
    if launch.package and (has_shell_syntax or (shell and (shell.has_metachars or shell.has_substitution))):
        # `sh -c "npx -y ok@1.0.0 && curl ... | sh"`: the package is the first command only.
        steered += ("a shell line that runs more than the package",)
    return Launch(
        argv=tuple(argv),
        runner=launch.runner,
        package=launch.package,
        server_args=launch.server_args,
        shell=shell,
        container=launch.container,
        command_has_shell_syntax=has_shell_syntax,
        env_assignments=env_assignments + (launch.container.env_assignments if launch.container else ()),
        beyond_package=launch.beyond_package + steered,
    )


def _judged(launch: Launch, package: PackageRef, env_assignments: tuple[str, ...]) -> tuple[str, ...]:
    """What :mod:`mcpward.launch_judge` finds of the runner's options (the words between it and
    its package) and of the variables the line sets for it (``env A=1 npx ...``)."""
    found: tuple[str, ...] = ()
    if launch.runner in NPM_RUNNERS or launch.runner in PYTHON_RUNNERS:
        # The package, or the command run with it, is the first word after the options.
        start = len(launch.argv) - len(launch.server_args) - 1
        found += options_beyond_package(launch.runner, launch.argv[1:start])
    variables = dict(assignment.partition("=")[::2] for assignment in env_assignments)
    return found + variables_beyond_package(package.ecosystem, package.name, variables)


def _interpreter_path(options: dict[str, list[str]]) -> list[str]:
    """uv's and pipx's ``--python`` given as a path (an interpreter of the line's own), not a
    version or an implementation's name (``3.12``, ``pypy``)."""
    values = options.get("--python", []) + options.get("-p", [])
    return [f"--python {v[:80]!r} (code of its own)" for v in values if "/" in v or "\\" in v]


def _first_simple_command(script: str) -> list[str]:
    """The words of the first command of a script, up to its first operator."""
    head = _SHELL_METACHARS.split(script, maxsplit=1)[0]
    return shell_words(head)


def _unwrap_shell(argv: list[str]) -> tuple[ShellWrap | None, list[str]]:
    if not argv:
        return None, argv
    program = program_name(argv[0])
    script: str | None = None
    encoded = False
    if program in _SHELLS:
        for index, arg in enumerate(argv[1:], start=1):
            if arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]:
                script = " ".join(argv[index + 1 : index + 2])
                break
            if not arg.startswith("-"):
                break  # `bash script.sh`: a script file, not a command string
    elif program == "cmd":
        for index, arg in enumerate(argv[1:], start=1):
            if arg.lower() in ("/c", "/k", "/s/c", "/s /c"):
                script = " ".join(argv[index + 1 :])
                break
    elif program in _POWERSHELLS:
        for index, arg in enumerate(argv[1:], start=1):
            lowered = arg.lower()
            if lowered in ("-c", "-command", "/c", "/command"):
                script = " ".join(argv[index + 1 :])
                break
            if lowered in ("-e", "-ec", "-enc", "-encodedcommand", "/encodedcommand"):
                script = _decode_powershell(" ".join(argv[index + 1 : index + 2]))
                encoded = True
                break
            if lowered in ("-file", "-f"):
                break
    elif program == "npx" or (program == "npm" and argv[1:2] in (["exec"], ["x"])):
        # npx -c / --call runs its string in a shell (the Flowise CVE-2026-40933 bypass of an
        # allow-list that admitted npx); before the package, so later arguments are the server's.
        first = 2 if program == "npm" else 1
        for index, arg in enumerate(argv[first:], start=first):
            if arg in ("-c", "--call"):
                script = " ".join(argv[index + 1 : index + 2])
                break
            if arg.startswith("--call="):
                script = arg.partition("=")[2]
                break
            if not arg.startswith("-"):
                break
    if script is None:
        return None, argv
    wrap = ShellWrap(
        shell=program,
        script=script,
        has_metachars=bool(_SHELL_METACHARS.search(script)),
        has_substitution=bool(_SUBSTITUTION.search(script)),
        downloads_to_shell=bool(_DOWNLOAD_TO_SHELL.search(script)),
        encoded=encoded,
    )
    inner = _first_simple_command(script)
    if inner and program_name(inner[0]) in _SHELLS | _POWERSHELLS | {"cmd"}:
        nested, inner = _unwrap_shell(inner)
        if nested is not None:
            wrap = ShellWrap(  # noqa: S604 - a record of a shell, not a call to one
                shell=f"{program}>{nested.shell}",
                script=script,
                has_metachars=wrap.has_metachars or nested.has_metachars,
                has_substitution=wrap.has_substitution or nested.has_substitution,
                downloads_to_shell=wrap.downloads_to_shell or nested.downloads_to_shell,
                encoded=encoded or nested.encoded,
            )
    return wrap, inner


def _decode_powershell(payload: str) -> str:
    try:
        return base64.b64decode(payload, validate=True).decode("utf-16-le", errors="replace")
    except ValueError:
        return payload


def _unwrap_env(argv: list[str]) -> tuple[list[str], tuple[str, ...], bool]:
    """``env [-i] A=1 B=2 cmd ...`` runs ``cmd`` with extra variables; and whether it runs it
    in another folder (``-C DIR``, ``--chdir=DIR``). As GNU env reads them: a long option by any
    prefix (``--ch=DIR``), and ``-S STRING`` split into arguments in place (``env
    -SNODE_OPTIONS=--require=x.js npx ...``), options, variables and command alike."""
    if not argv or program_name(argv[0]) != "env":
        return argv, (), False
    argv = list(argv)
    assignments: list[str] = []
    moved = False
    index = 1
    for _ in range(1000):  # each split string is read once: bounded however they nest
        if index >= len(argv):
            break
        arg = argv[index]
        name, equals, value = arg[2:].partition("=") if arg.startswith("--") else ("", "", "")
        letters = arg[1:] if arg[:1] == "-" and not arg.startswith("--") else ""
        option = next((letter for letter in letters if letter in "uCS"), "")
        if (name and "split-string".startswith(name)) or option == "S":
            given = value if equals else letters.partition("S")[2] if option == "S" else ""
            taken = 1 if given or equals else 2
            flags = [f"-{letters.partition('S')[0]}"] if letters.partition("S")[0] else []
            words = shell_words(given or " ".join(argv[index + 1 : index + taken]))
            argv[index : index + taken] = flags + words
            if flags:
                index += 1
        elif (name and "chdir".startswith(name)) or option == "C":
            moved = True
            index += 1 if equals or letters.partition("C")[2] else 2
        elif (name and "unset".startswith(name)) or option == "u":
            index += 1 if equals or letters.partition("u")[2] else 2
        elif arg.startswith("-"):
            index += 1
        elif "=" in arg[1:]:  # as env reads it: any word with "=" is a variable
            assignments.append(arg)
            index += 1
        else:
            break
    return argv[index:], tuple(assignments), moved


# -- runners ---------------------------------------------------------------------------------

#: npm's options that take the next word as their value; ``--loglevel`` too, whose value npm
#: drops when invalid: ``npx --loglevel ok@1.0.0 evil`` runs evil.
_NPX_VALUE_OPTIONS = {
    "--loglevel",
    "-p",
    "--package",
    "--registry",
    "--cache",
    "--userconfig",
    "-w",
    "--workspace",
    "--prefix",
    "--node-options",
    "-c",
    "--call",
}
#: Programs that run whatever they are given: `npx -p ok@1.0.0 node -e ...` runs a command of
#: the line's own with the package merely installed.
RUNS_ANYTHING = _SHELLS | _POWERSHELLS | {
    "cmd", "env", "node", "deno", "bun", "tsx", "ts-node", "npx", "npm", "pnpm", "pnpx", "yarn",
    "bunx", "uv", "uvx", "pip", "pipx", "perl", "ruby", "php", "curl", "wget", "sudo", "xargs",
}  # fmt: skip
_UVX_VALUE_OPTIONS = {
    "--from",
    "--with",
    "--with-editable",
    "--with-requirements",
    "-w",
    "--python",
    "-p",
    "--index",
    "--index-url",
    "--default-index",
    "--extra-index-url",
    "-i",
    "--find-links",
    "-f",
    "--directory",
    "--project",
    "--config-file",
    "--cache-dir",
    "--python-preference",
    "--constraints",
    "-c",
    "--overrides",
    "--refresh-package",
    "--reinstall-package",
    "--upgrade-package",
    "-P",
    "--index-strategy",
    "--keyring-provider",
    "--resolution",
    "--prerelease",
    "--exclude-newer",
    "--env-file",
    "--color",
    "--allow-insecure-host",
}
_DOCKER_VALUE_OPTIONS = {
    "-e",
    "--env",
    "--env-file",
    "-v",
    "--volume",
    "--mount",
    "--network",
    "--net",
    "--name",
    "-p",
    "--publish",
    "-u",
    "--user",
    "-w",
    "--workdir",
    "--entrypoint",
    "--cap-add",
    "--cap-drop",
    "--pid",
    "--ipc",
    "--uts",
    "--security-opt",
    "--platform",
    "--pull",
    "-l",
    "--label",
    "--add-host",
    "--device",
    "-h",
    "--hostname",
    "--memory",
    "-m",
    "--cpus",
    "--tmpfs",
    "--restart",
    "--log-driver",
    "--log-opt",
    "--dns",
    "--userns",
    "--cgroupns",
    "--runtime",
    "--gpus",
    "--ulimit",
    "--group-add",
    "--label-file",
    "--stop-signal",
    "--stop-timeout",
    "--shm-size",
    "--volumes-from",
    "--network-alias",
    "--ip",
    "--mac-address",
    "--health-cmd",
    "--init-path",
    "--cidfile",
    "--attach",
    "-a",
    "--expose",
    "--link",
    "--secret",
}


def _resolve_runner(argv: tuple[str, ...]) -> Launch:
    if not argv:
        return Launch(argv=argv)
    program = program_name(argv[0])
    rest = argv[1:]
    if program == "npx" or (program == "npm" and rest[:1] in (("exec",), ("x",))):
        return _npx(argv, rest if program == "npx" else rest[1:], "npx" if program == "npx" else "npm exec")
    if program in ("pnpm", "yarn") and rest[:1] == ("dlx",):
        return _npx(argv, rest[1:], f"{program} dlx")
    if program == "pnpx":
        return _npx(argv, rest, "pnpx")
    if program == "bunx" or (program == "bun" and rest[:1] == ("x",)):
        return _npx(argv, rest if program == "bunx" else rest[1:], "bunx")
    if program == "uvx" or (program == "uv" and rest[:2] == ("tool", "run")):
        return _uvx(argv, rest if program == "uvx" else rest[2:])
    if program == "uv":
        return _uv_run(argv, rest)
    if program == "pipx" and rest[:1] == ("run",):
        return _pipx_run(argv, rest[1:])
    if program in ("docker", "podman", "nerdctl") and "run" in rest[:3]:
        return _container_run(argv, program, rest[rest.index("run") + 1 :])
    if program in ("node", "deno", "bun", "tsx", "ts-node") or program.startswith("python"):
        return _interpreter(argv, program, rest)
    if program in ("mcp-remote", "supergateway"):
        return Launch(argv=argv, runner=program, server_args=rest)
    if "/" in argv[0] or "\\" in argv[0]:
        return Launch(
            argv=argv,
            runner="binary",
            package=PackageRef(ecosystem=Ecosystem.LOCAL, name=argv[0]),
            server_args=rest,
        )
    return Launch(argv=argv, runner=None, server_args=rest)


def _npx(argv: tuple[str, ...], rest: tuple[str, ...], runner: str) -> Launch:
    """``npx [-y] [-p pkg] spec-or-command [args]``: ``-p`` names what is installed."""
    options, positional = _options_then_positional(rest, _NPX_VALUE_OPTIONS)
    packages = options.get("-p", []) + options.get("--package", [])
    spec = packages[0] if packages else (positional[0] if positional else None)
    if spec is None:
        return Launch(argv=argv, runner=runner)
    # Another registry, a prefix or workspace whose node_modules holds a "1.0.0" of its own,
    # `--node-options=--require x.js`: the options' judge (mcpward.launch_judge) refuses every
    # option it does not know harmless. Here what only the parse can tell.
    beyond = []
    package = parse_npm_spec(spec)
    joined = [key for key in _given(options, {"-p", "--package"}) if key not in ("-p", "--package")]
    if len(packages) > 1 or joined:
        beyond.append("more than one package (-p)")
    if (packages or joined) and positional and not _bin_of(positional[0], package):
        beyond.append(f"runs {positional[0][:80]!r} with it installed")
    if runner == "npm exec" and "--" not in rest[: len(rest) - len(positional) + 1]:
        # Without "--" before the package, npm reads the options after it as its own, up to a
        # "--" (npx does not): `npm exec ok@1.0.0 --registry=URL`.
        args = positional[1:]
        own = args[: args.index("--")] if "--" in args else args
        beyond += [f"{arg.partition('=')[0][:100]} (npm's own option)" for arg in own if arg[:1] == "-"]
    return Launch(
        argv=argv,
        runner=runner,
        package=package,
        server_args=positional[1:],
        beyond_package=tuple(beyond),
    )


def _given(options: dict[str, list[str]], names: set[str]) -> list[str]:
    """The options of ``names`` given, a short one also joined to its value or to other flags
    (`-wevil`, `-qw evil`), as the runners' own parsers read them; ours took `-wevil` for a flag
    and left `evil` out."""
    letters = {name[1] for name in names if len(name) == 2}
    return [
        key
        for key in options
        if key in names or (not key.startswith("--") and len(key) > 2 and letters & set(key[1:]))
    ]


def _bin_of(command: str, package: PackageRef) -> bool:
    """Whether ``command``, run with ``package`` installed (``npx -p PKG CMD``, ``uvx --from PKG
    CMD``), is taken for one of the package's own programs. Which programs a package provides is
    not known offline, and a plain name finds whatever the PATH has (``nc``, ``git``) or a bin of
    another package installed with it: a name is taken only where it holds the package's name,
    without its scope, word for word (``ok-mcp-server`` and ``ok-mcp`` for ``ok-mcp``, ``acme-ok``
    for ``@acme/ok``, ``mcp-server-filesystem`` for ``@modelcontextprotocol/server-filesystem``),
    and is not a program that runs whatever it is given."""
    if not re.fullmatch(r"[A-Za-z0-9@][A-Za-z0-9@._-]*", command):
        return False
    if program_name(command) in RUNS_ANYTHING or program_name(command).startswith("python"):
        return False
    words = re.split(r"[-_.]+", command.casefold())
    name = re.split(r"[-_.]+", package.name.rpartition("/")[2].casefold())
    return any(words[i : i + len(name)] == name for i in range(len(words) - len(name) + 1))


#: A version that is itself a spec of what npm installs: another package (`npm:`), a
#: repository, an archive's URL, a path.
_SPEC_AS_VERSION = compiled(
    r"^(?:npm:|github:|gitlab:|bitbucket:|gist:|git\+|git://|https?://|file:|[./~]|[A-Za-z]:[\\/])"
)


def parse_npm_spec(spec: str, *, alias: bool = True) -> PackageRef:
    """``@scope/name@1.2.3``, ``name@latest``, ``npm:alias@1``, ``github:o/r#sha``, paths."""
    spec = spec.strip()
    if spec.startswith("npm:"):
        spec = spec[4:]
    if re.match(r"^(?:github|gitlab|bitbucket|gist):|^git\+|^git://|^[\w.-]+/[\w.-]+#", spec):
        url, _, ref = spec.partition("#")
        return PackageRef(
            ecosystem=Ecosystem.GIT, name=url, version=ref or None, pinned=bool(_COMMIT.match(ref))
        )
    if re.match(r"^https?://", spec):
        return PackageRef(ecosystem=Ecosystem.URL, name=spec, pinned=False)
    if spec.startswith((".", "/", "~", "file:")) or re.match(r"^[A-Za-z]:[\\/]", spec):
        return PackageRef(ecosystem=Ecosystem.LOCAL, name=spec, pinned=True)
    scope = ""
    body = spec
    if spec.startswith("@"):
        scope, _, body = spec.partition("/")
        scope += "/"
    name, at, version = body.partition("@")
    version_text = version if at else None
    if alias and version_text and _SPEC_AS_VERSION.match(version_text):
        # `ok@npm:evil@1.0.16` installs evil 1.0.16 under the name ok (a repository, URL or path
        # likewise): read as ok at a version named "npm:evil@1.0.16", the advisories of the
        # malicious release were never looked up. Once: npm refuses an alias of an alias.
        return parse_npm_spec(version_text, alias=False)
    return PackageRef(
        ecosystem=Ecosystem.NPM,
        name=scope + name,
        version=version_text or None,
        pinned=bool(version_text and _EXACT_SEMVER.match(version_text)),
    )


def parse_pypi_spec(spec: str) -> PackageRef:
    """``name==1.2``, ``name[extra]>=1``, uv's ``name@1.2``, ``git+https://...@ref``."""
    from packaging.requirements import InvalidRequirement, Requirement

    spec = spec.strip()
    if spec.startswith(("git+", "hg+", "svn+")):
        # A ref follows the path ("...repo@v1"); an "@" before it ends the URL's credentials.
        url, _, ref = (
            spec.rpartition("@") if "@" in spec.split("://", 1)[-1].partition("/")[2] else (spec, "", "")
        )
        return PackageRef(
            ecosystem=Ecosystem.GIT, name=url or spec, version=ref or None, pinned=bool(_COMMIT.match(ref))
        )
    if spec.startswith((".", "/", "~", "file:")) or re.match(r"^[A-Za-z]:[\\/]", spec):
        return PackageRef(ecosystem=Ecosystem.LOCAL, name=spec, pinned=True)
    uv_style = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?)@([^\s@]+)$", spec)
    if uv_style:
        name = canonicalize_name(uv_style.group(1).split("[")[0])
        version = uv_style.group(2)
        return PackageRef(
            ecosystem=Ecosystem.PYPI,
            name=name,
            version=version,
            pinned=bool(re.match(r"^\d[\w.!+-]*$", version)),
        )
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        return PackageRef(ecosystem=Ecosystem.PYPI, name=spec, pinned=False)
    name = canonicalize_name(requirement.name)
    if requirement.url:
        return PackageRef(ecosystem=Ecosystem.URL, name=requirement.url, pinned=False)
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator in ("==", "===") and "*" not in specifiers[0].version:
        return PackageRef(ecosystem=Ecosystem.PYPI, name=name, version=specifiers[0].version, pinned=True)
    version = str(requirement.specifier) or None
    return PackageRef(ecosystem=Ecosystem.PYPI, name=name, version=version, pinned=False)


def _options_then_positional(
    rest: tuple[str, ...], value_options: set[str]
) -> tuple[dict[str, list[str]], tuple[str, ...]]:
    """Split leading options (with their values) from the positional tail."""
    options: dict[str, list[str]] = {}
    index = 0
    while index < len(rest):
        arg = rest[index]
        if arg == "--":
            index += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        if "=" in arg and arg.startswith("--"):
            key, value = arg.split("=", 1)
            options.setdefault(key, []).append(value)
        elif arg in value_options and index + 1 < len(rest):
            options.setdefault(arg, []).append(rest[index + 1])
            index += 1
        else:
            options.setdefault(arg, []).append("")
        index += 1
    return options, rest[index:]


def _first(options: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        if options.get(key):
            return options[key][0]
    return None


def _uvx(argv: tuple[str, ...], rest: tuple[str, ...]) -> Launch:
    options, positional = _options_then_positional(rest, _UVX_VALUE_OPTIONS)
    spec = _first(options, "--from")
    if spec is None and positional:
        spec = positional[0]
    if spec is None:
        return Launch(argv=argv, runner="uvx")
    # `--with evil` (a `.pth` file of it runs at every start of the tool's Python), another
    # index: the options' judge refuses every option it does not know harmless.
    beyond = []
    package = parse_pypi_spec(spec)
    if "--from" in options and positional and not _bin_of(positional[0], package):
        beyond.append(f"runs {positional[0][:80]!r} with it installed")
    if len(options.get("--from", [])) > 1:
        beyond.append("--from given more than once")
    beyond += _interpreter_path(options)
    return Launch(
        argv=argv,
        runner="uvx",
        package=package,
        server_args=positional[1:],
        beyond_package=tuple(beyond),
    )


def _uv_run(argv: tuple[str, ...], rest: tuple[str, ...]) -> Launch:
    """``uv [--directory D] run [--with pkg==1] script-or-command``."""
    global_options, tail = _options_then_positional(rest, _UVX_VALUE_OPTIONS)
    if tail[:1] != ("run",):
        return Launch(argv=argv, runner="uv", server_args=tail)
    options, positional = _options_then_positional(tail[1:], _UVX_VALUE_OPTIONS)
    withs = options.get("--with", [])
    if withs:
        beyond = []
        package = parse_pypi_spec(withs[0])
        if len(withs) > 1:
            beyond.append("more than one package (--with)")
        beyond += _interpreter_path(global_options) + _interpreter_path(options)
        # uv run runs a script by its suffix from the folder it starts in, whatever its name.
        script = bool(positional) and positional[0].lower().endswith((".py", ".pyw", ".pyz"))
        if positional and (script or not _bin_of(positional[0], package)):
            beyond.append(f"runs {positional[0][:80]!r} with it installed")
        return Launch(
            argv=argv,
            runner="uv run",
            package=package,
            server_args=positional[1:],
            beyond_package=tuple(beyond),
        )
    directory = _first(global_options, "--directory", "--project") or _first(
        options, "--directory", "--project"
    )
    target = directory or (positional[0] if positional else None)
    if target is None:
        return Launch(argv=argv, runner="uv run")
    return Launch(
        argv=argv,
        runner="uv run",
        package=PackageRef(ecosystem=Ecosystem.LOCAL, name=target, pinned=True),
        server_args=positional[1:] if directory is None else positional,
    )


def _pipx_run(argv: tuple[str, ...], rest: tuple[str, ...]) -> Launch:
    options, positional = _options_then_positional(
        rest, {"--spec", "--python", "--index-url", "-i", "--pip-args"}
    )
    spec = _first(options, "--spec") or (positional[0] if positional else None)
    if spec is None:
        return Launch(argv=argv, runner="pipx run")
    beyond = []
    package = parse_pypi_spec(spec)
    if "--spec" in options and positional and not _bin_of(positional[0], package):
        # The app is looked up in the package's environment, whose bin holds its python too.
        beyond.append(f"runs {positional[0][:80]!r} with it installed")
    if len(options.get("--spec", [])) > 1:  # pipx installs the last one given
        beyond.append("--spec given more than once")
    beyond += _interpreter_path({"--python": options.get("--python", [])})
    return Launch(
        argv=argv,
        runner="pipx run",
        package=package,
        server_args=positional[1:],
        beyond_package=tuple(beyond),
    )


def _interpreter(argv: tuple[str, ...], program: str, rest: tuple[str, ...]) -> Launch:
    options, positional = _options_then_positional(rest, {"-m", "-r", "--require", "--import", "-W", "-X"})
    if program == "deno" and positional[:1] == ("run",):
        options, positional = _options_then_positional(positional[1:], set())
    module = _first(options, "-m")
    target = module or (positional[0] if positional else None)
    if target is None:
        return Launch(argv=argv, runner=program)
    if target.startswith("npm:"):
        return Launch(argv=argv, runner=program, package=parse_npm_spec(target), server_args=positional[1:])
    if target.startswith(("jsr:", "http://", "https://")):
        return Launch(
            argv=argv,
            runner=program,
            package=PackageRef(ecosystem=Ecosystem.URL, name=target),
            server_args=positional[1:],
        )
    name = f"-m {module}" if module else target
    return Launch(
        argv=argv,
        runner=program,
        package=PackageRef(ecosystem=Ecosystem.LOCAL, name=name, pinned=True),
        server_args=positional if module else positional[1:],
    )


def _container_run(argv: tuple[str, ...], engine: str, rest: tuple[str, ...]) -> Launch:
    options, positional = _options_then_positional(rest, _DOCKER_VALUE_OPTIONS)
    if not positional:
        return Launch(argv=argv, runner=f"{engine} run")
    image = positional[0]
    flags = set(options)
    network = [v for k in ("--network", "--net") for v in options.get(k, [])]
    mounts = [_volume(v) for k in ("-v", "--volume") for v in options.get(k, [])]
    mounts += [_mount(v) for v in options.get("--mount", [])]
    container = ContainerRun(
        engine=engine,
        image=image,
        privileged="--privileged" in flags and options["--privileged"] != ["false"],
        host_network="host" in network,
        host_pid="host" in options.get("--pid", []),
        mounts=tuple(m for m in mounts if m is not None),
        cap_add=tuple(c.upper() for c in options.get("--cap-add", [])),
        env_assignments=tuple(v for k in ("-e", "--env") for v in options.get(k, []) if "=" in v),
    )
    # The image's own entrypoint is what was approved; another one runs the line's program.
    entrypoint = ("--entrypoint (a program of the line's own)",) if "--entrypoint" in options else ()
    return Launch(
        argv=argv,
        runner=f"{engine} run",
        package=parse_image_ref(image),
        server_args=positional[1:],
        container=container,
        beyond_package=entrypoint,
    )


def _volume(value: str) -> tuple[str, str] | None:
    # Windows sources carry a drive colon: C:\Users\me:/data
    match = re.match(r"^([A-Za-z]:[\\/][^:]*|[^:]+):([^:]+)(?::[\w,]+)?$", value)
    return (match.group(1), match.group(2)) if match else None


def _mount(value: str) -> tuple[str, str] | None:
    parts = dict(p.split("=", 1) for p in value.split(",") if "=" in p)
    source = parts.get("source") or parts.get("src")
    target = parts.get("target") or parts.get("dst") or parts.get("destination")
    if parts.get("type", "volume") != "bind" or not source or not target:
        return None
    return source, target


def parse_image_ref(image: str) -> PackageRef:
    """``[registry/]repo[:tag][@sha256:digest]``; a digest pins it, a version tag nearly so."""
    name, _, digest = image.partition("@")
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    pinned = bool(_DIGEST.match(digest)) or bool(tag and _VERSION_TAG.match(tag))
    return PackageRef(ecosystem=Ecosystem.OCI, name=name, version=tag, pinned=pinned, digest=digest or None)
