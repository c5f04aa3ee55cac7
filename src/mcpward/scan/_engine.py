"""The scan: find config files, parse them, resolve launches, run checks, build the report."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from mcpward import __version__
from mcpward._documents import (
    Document,
    DocumentError,
    DocumentFormat,
    load_document,
    owned_by,
    parse_text,
    read_raw,
    read_text,
)
from mcpward._fork import default_workers, fork_map
from mcpward._regex import compiled
from mcpward.dlp import (
    VARIABLE_WITH_DEFAULT_OPENING,
    redact_argv,
    redact_command_line,
    redact_text,
    redact_url,
)
from mcpward.launch import Launch, resolve_launch
from mcpward.launch_judge import values_harmless
from mcpward.model import (
    Category,
    Ecosystem,
    Finding,
    PackageRef,
    Report,
    ScanError,
    Scope,
    ServerSpec,
    Severity,
)
from mcpward.scan._checks import all_checks
from mcpward.scan._hosts import all_hosts
from mcpward.scan._hosts._common import MAX_SERVERS_PER_FILE, listings_cut
from mcpward.scan._manifests.container import ContainerDefinitions
from mcpward.scan._manifests.interface import ManifestReader
from mcpward.scan._manifests.kubernetes import KubernetesManifests
from mcpward.scan._manifests.npm import NpmProject
from mcpward.scan._manifests.python import PythonProject
from mcpward.scan._owner import file_owner, git_remote
from mcpward.scan._platforms import PlatformFiles, platform_servers
from mcpward.scan._project_tree import DEFAULT_SKIP_DIRS, ProjectTreeWalker, TreeFindings
from mcpward.scan._tolerant_json import MAX_SCAN_TOKENS, MAX_TOKENS, read_around_errors
from mcpward.scan.interface import (
    ConfigCheck,
    ConfigLocation,
    DiscoveredServer,
    EntryError,
    HomeLayout,
    HostApp,
    Parsed,
    ServerContext,
    TargetOS,
    ToolApproval,
)

ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """What to scan. ``home`` None means the current user's machine."""

    home: Path | None = None
    paths: tuple[Path, ...] = ()
    target_os: TargetOS = field(default_factory=TargetOS.running)
    root: Path | None = None
    hosts: frozenset[str] | None = None
    include_user_configs: bool = True
    skip_dirs: frozenset[str] = DEFAULT_SKIP_DIRS
    #: Processes that share the walk of large trees (this one included).
    workers: int = field(default_factory=default_workers)
    #: Also report MCP servers among the running processes (``--processes``, Linux).
    processes: bool = False
    #: Also probe this machine's listening ports over loopback (``--probe-ports``, Linux).
    probe_ports: bool = False
    #: With ``probe_ports``: only these ports (empty: every listening port).
    ports: frozenset[int] = frozenset()
    #: Also report MCP images and containers of the local Docker/Podman engines (``--containers``).
    containers: bool = False
    #: The engines' API sockets; empty: the usual places.
    container_sockets: tuple[Path, ...] = ()
    #: Read only the config files this account owns (the agent, which reads every home with
    #: more rights than its owner: a link or a hard link there to another account's config
    #: made it report that file as the home's).
    owner: int | None = None


def manifest_readers() -> list[ManifestReader]:
    return [NpmProject(), PythonProject(), ContainerDefinitions(), PlatformFiles(), KubernetesManifests()]


def layout_for(options: ScanOptions) -> HomeLayout:
    live = options.home is None
    home = Path(options.home) if options.home is not None else Path.home()
    root = options.root
    if root is None and live and options.target_os is TargetOS.running():
        root = Path(os.path.abspath(os.sep))
    if root is None and live and options.target_os is TargetOS.WINDOWS:
        root = Path(os.environ.get("SYSTEMDRIVE", "C:") + os.sep)
    return HomeLayout(os=options.target_os, home=home, root=root, environ=dict(os.environ) if live else {})


class _Collector:
    """Accumulates what parsing yields, converting failures into errors and findings."""

    def __init__(self, owner: int | None = None, read_around_tokens: int | None = None) -> None:
        self.owner = owner
        #: Tokens left for reading configs around their syntax errors, the scan's files together
        #: (a tree of hostile files each cost a file's budget before).
        self.read_around_left = MAX_SCAN_TOKENS if read_around_tokens is None else read_around_tokens
        self.servers: list[DiscoveredServer] = []
        self.approvals: list[ToolApproval] = []
        self.errors: list[ScanError] = []
        self.findings: list[Finding] = []
        self.seen_files: set[tuple[str, Path | None, str]] = set()
        #: Files that could not be read, by identity and format: a file two hosts read
        #: (``.mcp.json``) is said once.
        self.unread_files: set[tuple[str, str]] = set()

    def error(self, path: Path, message: str, host: str | None) -> None:
        message = redact_text(message)
        self.errors.append(ScanError(path=os.fspath(path), message=message, host=host))
        self.findings.append(
            Finding(
                rule="parse-error",
                category=Category.PARSE_ERROR,
                severity=Severity.LOW,
                message=f"Config file could not be used: {message}",
                remediation="Fix or remove the file; servers it defines are not in this inventory.",
                host=host,
                config_path=os.fspath(path),
            )
        )

    def merge(self, other: _Collector) -> None:
        self.servers.extend(other.servers)
        self.approvals.extend(other.approvals)
        self.errors.extend(other.errors)
        self.findings.extend(other.findings)
        self.seen_files |= other.seen_files
        self.unread_files |= other.unread_files

    def read_config(self, host: HostApp, location: ConfigLocation) -> None:
        key = _identity(location.path)
        if (key, location.project, host.id) in self.seen_files:
            return
        self.seen_files.add((key, location.project, host.id))
        if (key, location.format) in self.unread_files:
            return
        try:
            document = load_document(location.path, location.format, self.owner)
        except DocumentError as exc:
            salvaged = self._read_as_its_client(location, exc)
            if salvaged is None:
                self.unread_files.add((key, location.format))
                spent = self.read_around_left <= 0 and _syntax_error_read_around(location, exc)
                why = "; not read around it: the scan's budget for such files is spent" if spent else ""
                self.error(location.path, f"{exc}{why}", host.id)
                return
            document, how = salvaged
            self.error(location.path, f"{exc}{how}, as its client reads it", host.id)
        try:
            items = _entries_of(host, location, document)
        except (RecursionError, ValueError, TypeError, AttributeError) as exc:
            # A host module met a shape it did not expect: report it, keep scanning.
            self.error(location.path, f"unexpected structure ({type(exc).__name__})", host.id)
            return
        for item in items:
            if isinstance(item, EntryError):
                self.error(location.path, str(item), host.id)
            elif isinstance(item, ToolApproval):
                self.approvals.append(item)
            else:
                self.servers.append(item)

    def _read_as_its_client(
        self, location: ConfigLocation, error: DocumentError
    ) -> tuple[Document, str] | None:
        """A JSON or JSONC config that does not load, as its client reads it, and how it was
        read: with its bytes that are not UTF-8 replaced (every client of such a file runs on
        Node, which reads it so), then a JSONC one around its syntax errors as VS Code's parser
        reads it (its servers start). None for any other failure, or when nothing is read."""
        text: str | None = None
        how = ""
        if location.format in (DocumentFormat.JSON, DocumentFormat.JSONC) and str(error).startswith(
            "not valid utf-8"
        ):
            try:
                raw = read_raw(location.path, owner=self.owner)
            except DocumentError:
                return None
            text, how = (
                raw.decode("utf-8-sig", errors="replace"),
                "; read with its bytes that are not UTF-8 replaced",
            )
            try:
                return Document(path=location.path, text=text, data=parse_text(text, location.format)), how
            except DocumentError as second:
                error = second
        if not _syntax_error_read_around(location, error) or self.read_around_left <= 0:
            return None
        try:
            text = text if text is not None else read_text(location.path, owner=self.owner)
            data, cut, read = read_around_errors(text, self.read_around_left)
        except (DocumentError, RecursionError, MemoryError):
            return None
        self.read_around_left -= read
        if not isinstance(data, dict) or not data:
            return None
        how += f"; read around {'its syntax error' if how else 'it'}"
        how += f" up to {MAX_TOKENS:,} tokens, the rest not" if cut else ""
        return Document(path=location.path, text=text, data=data), how


def _syntax_error_read_around(location: ConfigLocation, error: DocumentError) -> bool:
    """Whether ``error`` is a syntax error its client reads around (VS Code's JSONC parser)."""
    return location.format is DocumentFormat.JSONC and str(error).startswith("JSON syntax error")


def _entries_of(host: HostApp, location: ConfigLocation, document: Document) -> list[Parsed]:
    """What ``host`` parses of one document, at most :data:`MAX_SERVERS_PER_FILE` servers and
    entry errors: a list of entries (Continue's) or a map per project (``~/.claude.json``) was
    not counted, and 100,000 entries of 4 bytes each made an 82 MB report in a minute."""
    items: list[Parsed] = []
    entries = 0
    for item in host.parse(location, document):
        if not isinstance(item, ToolApproval):
            entries += 1
            if entries > MAX_SERVERS_PER_FILE:
                cut = f"more than {MAX_SERVERS_PER_FILE} servers or malformed entries; the rest skipped"
                items.append(EntryError("(file)", cut))
                break
        items.append(item)
    return items


def _identity(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.fspath(path)


def _exists(path: Path) -> bool:
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def discover(options: ScanOptions, progress: ProgressCallback | None = None) -> _Collector:
    layout = layout_for(options)
    hosts = [h for h in all_hosts() if options.hosts is None or h.id in options.hosts]
    collected = _Collector(options.owner)
    if options.include_user_configs:
        # With ``owner``, whatever is read of the home (configs, skills and their scripts,
        # plugin files, platform databases and installations) must be that account's.
        with owned_by(options.owner):
            _read_home(layout, hosts, collected, options)
    tree = _TreeScan(hosts, manifest_readers(), options)
    for root in options.paths:
        root = Path(os.path.abspath(root))
        if root.is_dir():
            tree.scan(root, collected, _tree_progress(progress, root))
        else:
            collected.error(root, "not a directory", None)
    if options.containers:
        from mcpward.scan._containers import container_servers

        sockets = list(options.container_sockets) or None
        for item in container_servers(os.environ, sockets):
            if isinstance(item, tuple):
                collected.error(item[0], item[1], "container")
            else:
                collected.servers.append(item)
    _apply_approvals(collected)
    if options.processes or options.probe_ports:
        _add_running(collected, options)
    return collected


def _read_home(layout: HomeLayout, hosts: list[HostApp], collected: _Collector, options: ScanOptions) -> None:
    for host in hosts:
        with listings_cut() as cut:
            locations = list(host.user_configs(layout))
        for folder, reason in cut:
            collected.error(folder, reason, host.id)
        for location in locations:
            if _exists(location.path):
                collected.read_config(host, location)
    if options.hosts is None:
        for item in platform_servers(layout):
            if isinstance(item, tuple):
                collected.error(item[0], item[1], "platform")
            else:
                collected.servers.append(item)


def _url_key(url: str) -> str:
    """A URL as a configured server and a probed port both spell it: loopback names are one."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return url
    if host in ("localhost", "127.0.0.1", "::1", "0.0.0.0"):  # noqa: S104 - a name compared, not bound
        host = "loopback"
    return f"{parts.scheme.lower()}://{host}:{port or ''}{parts.path.rstrip('/')}"


def _add_running(collected: _Collector, options: ScanOptions) -> None:
    """Servers running or listening now, each tied to the configured servers it runs."""
    from mcpward.scan._processes import MAX_RUNNING_SERVERS, PROC, launch_key, running_servers

    by_key: dict[str, list[str]] = {}
    for server in collected.servers:
        # As it starts (``${PKG:-x}`` runs x), to be matched with what runs.
        command = with_defaults(server.command) if server.command else server.command
        key = launch_key(command, map(with_defaults, server.args))
        if key is not None:
            by_key.setdefault(key, []).append(server_id(server))
        if server.url:
            by_key.setdefault(_url_key(server.url), []).append(server_id(server))
    found: list[DiscoveredServer] = []
    if options.processes:
        found += running_servers()
        if len(found) >= MAX_RUNNING_SERVERS:  # said, so that a flood of them hides nothing silently
            collected.errors.append(
                ScanError(
                    path=os.fspath(PROC),
                    message=f"{len(found)} MCP processes or more: the first are reported",
                )
            )
    if options.probe_ports:
        from mcpward.scan._probe import probed_servers

        by_pid = {s.process.pid: s.process for s in found if s.process is not None}
        for server in probed_servers(ports=options.ports):
            process = server.process
            if process is not None and process.pid in by_pid:
                known = by_pid[process.pid]
                process = replace(known, listening=process.listening)
            server.process = process
            found.append(server)
    for server in found:
        key = launch_key(server.command, server.args) if server.command else _url_key(server.url or "")
        matches = tuple(by_key.get(key or "", ()))
        if server.process is not None and matches:
            server.process = replace(server.process, configured_as=matches)
        collected.servers.append(server)


class _TreeScan:
    """``--path``: walk a tree and read what the walk matched, shared between processes.

    The top of the tree is visited here until there are enough directories to share; each
    worker then walks its share and reads and parses the configs and manifests in it, so that
    the reading is shared too.
    """

    def __init__(self, hosts: list[HostApp], readers: list[ManifestReader], options: ScanOptions) -> None:
        self._hosts = {h.id: h for h in hosts}
        self._readers = readers
        self._walker = ProjectTreeWalker(hosts, readers, options.skip_dirs)
        self._workers = max(1, options.workers)
        self._read_manifests = options.hosts is None
        self._read_around_share = MAX_SCAN_TOKENS

    def scan(self, root: Path, collected: _Collector, on_progress: Callable[[int, int], None] | None) -> None:
        top = TreeFindings()
        self._walker.walking(root)
        stack = (
            self._walker.frontier(root, top, minimum=self._workers * 8)
            if self._workers > 1
            else [os.fspath(root)]
        )
        self._read(root, top, collected)
        # Each worker reads around errors with its share of what is left of the scan's budget.
        self._read_around_share = collected.read_around_left // self._workers
        if len(stack) > 1:
            _warm_up()  # once here, inherited by every worker, instead of once per worker
        shares = [(index, root, stack[index :: self._workers], on_progress) for index in range(self._workers)]
        for part in fork_map(self._walk_and_read, [share for share in shares if share[2]]):
            collected.merge(part)

    def _walk_and_read(
        self, share: tuple[int, Path, list[str], Callable[[int, int], None] | None]
    ) -> _Collector:
        index, root, stack, on_progress = share
        found = TreeFindings()
        self._walker.walk_from(stack, found, on_progress if index == 0 else None)
        part = _Collector(read_around_tokens=self._read_around_share)
        self._read(root, found, part)
        return part

    def _read(self, root: Path, found: TreeFindings, collected: _Collector) -> None:
        for directory, reason in found.errors:
            collected.errors.append(ScanError(path=directory, message=f"cannot list: {reason}"))
        refused: set[str] = set()  # a file two hosts read (``.mcp.json``) is refused once
        for host_id, path_text, relative_text in sorted(found.configs):
            host, path, relative = self._hosts[host_id], Path(path_text), PurePosixPath(relative_text)
            project = Path(*path.parts[: len(path.parts) - len(relative.parts)])
            if path_text in refused:
                continue
            # A linked file, or one under a linked folder (``.vscode -> ...``), may lie anywhere.
            if not _inside(path, root):
                collected.error(path, "symbolic link pointing outside the scanned tree; not read", host.id)
                refused.add(path_text)
                continue
            for location in host.project_configs(project, relative):
                # ``relative`` is as the host names it; the file is read as it is named.
                collected.read_config(
                    host, replace(location, path=path) if location.path != path else location
                )
        if not self._read_manifests:
            return
        for (reader_index, directory), files in sorted(found.manifests.items()):
            reader = self._readers[reader_index]
            try:
                for item in reader.read(directory, sorted(files)):
                    if isinstance(item, tuple):
                        collected.error(item[0], item[1], reader.host)
                    else:
                        collected.servers.append(item)
            except (RecursionError, ValueError, TypeError, AttributeError) as exc:
                # A reader met a shape it did not expect (a repository's files are anyone's):
                # report it, keep scanning, as for a config's host module.
                collected.error(Path(directory), f"unexpected structure ({type(exc).__name__})", reader.host)


def _warm_up() -> None:
    """Build what every worker needs before the fork: the manifest prefilter and the credential
    patterns. (Not the pydantic entry model: only entries of unusual types need it.)"""
    from mcpward.dlp import find_credentials
    from mcpward.scan._manifests.interface import mentions_mcp

    mentions_mcp("")
    find_credentials("")


def _tree_progress(progress: ProgressCallback | None, root: Path) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    report = progress

    def on_progress(directories: int, files: int) -> None:
        report(os.fspath(root), directories, files)

    return on_progress


def _inside(path: Path, root: Path) -> bool:
    try:
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))
    except (OSError, ValueError):
        return False


def _apply_approvals(collected: _Collector) -> None:
    """Give each server the tools its host's settings approve (see ``ToolApproval.applies_to``).
    The approvals are gathered once per host, server name and project, and shared: matching
    each against each server, and copying a server's tuple at every match, cost servers times
    rules and rules squared (100,000 allow rules and 200 servers: minutes)."""
    gathered: dict[tuple[str, str | None, Path | None], tuple[dict[str, None], dict[str, None]]] = {}
    for approval in collected.approvals:
        key = (approval.host, approval.server, approval.location.project)
        tools, settings = gathered.setdefault(key, ({}, {}))
        tools.update(dict.fromkeys(approval.tools))
        settings[approval.setting] = None
    if not gathered:
        return
    shared = {key: (tuple(tools), tuple(settings)) for key, (tools, settings) in gathered.items()}
    for server in collected.servers:
        keys = dict.fromkeys(
            (server.host, name, project) for name in (server.name, None) for project in (None, server.project)
        )
        found = [shared[key] for key in keys if key in shared]
        if not found:
            continue
        if len(found) == 1 and not server.auto_approve and not server.auto_approve_via:
            server.auto_approve, server.auto_approve_via = found[0]
            continue
        server.auto_approve = tuple(
            dict.fromkeys([*server.auto_approve, *(t for tools, _ in found for t in tools)])
        )
        server.auto_approve_via = tuple(
            dict.fromkeys([*server.auto_approve_via, *(s for _, settings in found for s in settings)])
        )


def server_id(server: DiscoveredServer) -> str:
    key = "\0".join(
        (server.host, os.fspath(server.location.path), os.fspath(server.project or ""), server.name)
    )
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _endpoint(url: str | None) -> PackageRef | None:
    """A remote server's "package" is its endpoint, so every record says what it runs."""
    return PackageRef(ecosystem=Ecosystem.URL, name=redact_url(url)) if url else None


def masked_package(package: PackageRef | None) -> PackageRef | None:
    """``package`` with a credential in its name or version masked: a private repository or
    package server named with its token (``git+https://oauth2:TOKEN@...``), a token pasted
    where the package goes. What is shown of a package (the record, the findings' words) is
    built from this."""
    if package is None:
        return None
    name = redact_text(redact_url(package.name) if "://" in package.name else package.name)
    version = package.version
    if version is not None:
        version = redact_text(redact_url(version) if "://" in version else version)
    if name == package.name and version == package.version:
        return package
    return replace(package, name=name, version=version)


#: A variable with a default, innermost first (``${PKG:-evil-mcp}``, ``${PKG-x}``, ``:=``),
#: which Claude Code expands in a ``.mcp.json``'s command and arguments, as shells do (read as
#: DLP reads such a default).
_VARIABLE_WITH_DEFAULT = compiled(VARIABLE_WITH_DEFAULT_OPENING + r"([^{}$]*+)\}")
#: Defaults within defaults replaced; a launch line nests none deeper.
_MAX_DEFAULT_NESTING = 8


def with_defaults(word: str) -> str:
    """``word`` as it runs where its variables are unset: each ``${NAME:-default}`` its
    default (a launch line that named its runner or package so was judged as written, and its
    package was none or one that does not exist). Variables without a default stay."""
    for _ in range(_MAX_DEFAULT_NESTING):
        if "${" not in word:
            break
        replaced = _VARIABLE_WITH_DEFAULT.sub(r"\1", word)
        if replaced == word:
            break
        word = replaced
    return word


def _as_started(server: DiscoveredServer) -> DiscoveredServer:
    """``server`` with the defaults of its URL and headers in place, for the checks: a remote
    server named ``${MCP_URL:-http://...}`` is reached over plain http."""
    url = with_defaults(server.url) if server.url else server.url
    headers = {name: with_defaults(value) for name, value in server.headers.items()}
    if url == server.url and headers == server.headers:
        return server
    return replace(server, url=url, headers=headers)


def build_spec(server: DiscoveredServer, launch: Launch) -> ServerSpec:
    """The redacted, serialisable record of a server: names of env and headers, masked args."""
    args, _ = redact_argv(server.args, command=server.command)
    launched = tuple(map(with_defaults, server.args))
    if launch.shell is not None and launch.shell.script in launched:
        # The script a shell runs (``sh -c "curl -H 'Authorization: ...' ..."``) masked word
        # by word: ``redact_argv`` judges each argument whole. Only the script: splitting
        # every argument as shell words cost 30 s for one argument of 5 MB.
        script = launched.index(launch.shell.script)
        args = (*args[:script], redact_command_line(server.args[script]), *args[script + 1 :])
    command = server.command
    if command:
        command = redact_command_line(command) if " " in command.strip() else redact_text(command)
    location = server.location
    project = server.project or location.project
    environment = {**server.env_file, **server.env}  # the entry's env over its env file's
    return ServerSpec(
        id=server_id(server),
        host=server.host,
        name=redact_text(server.name),
        config_path=os.fspath(location.path),
        scope=location.scope,
        source=server.source,
        transport=server.transport,
        command=command,
        args=args,
        url=redact_url(server.url) if server.url else None,
        # Names masked too: a token pasted as a variable's or header's name is still a token.
        env_names=tuple(sorted(map(redact_text, environment))),
        # Names only are kept; a value that decides what runs (PATH) is judged here, where read.
        env_values_harmless=values_harmless(environment),
        header_names=tuple(sorted(map(redact_text, server.headers))),
        package=masked_package(launch.package or server.declared_package)
        or _endpoint(with_defaults(server.url) if server.url else None),
        dependencies=tuple(p for p in map(masked_package, server.dependencies) if p is not None),
        project=os.fspath(project) if project else None,
        owner=file_owner(location.path),
        repository=git_remote(project) if project and location.scope is Scope.PROJECT else None,
        disabled=server.disabled,
        line=server.line,
        process=server.process,
        plugin=server.plugin,
    )


def evaluate(
    servers: Iterable[DiscoveredServer], home: Path | None
) -> Iterator[tuple[ServerSpec, list[Finding]]]:
    checks: tuple[ConfigCheck, ...] | None = None  # imported at the first server, not for none
    home_text = os.fspath(home) if home else None
    for server in servers:
        if checks is None:
            checks = all_checks()
        # As it starts where the variables are unset: ``${PKG:-evil-mcp}`` runs evil-mcp.
        command = with_defaults(server.command) if server.command else server.command
        launch = resolve_launch(command, tuple(map(with_defaults, server.args)))
        # The checks word their findings with the package: masked before they see it.
        launch = replace(launch, package=masked_package(launch.package))
        spec = build_spec(server, launch)
        context = ServerContext(raw=_as_started(server), launch=launch, spec=spec, home=home_text)
        findings: list[Finding] = []
        for check in checks:
            try:
                findings.extend(check.check(context))
            except Exception as exc:  # noqa: BLE001 - one faulty check must not end the scan
                findings.append(
                    context.finding(
                        rule="check-failed",
                        category=check.category,
                        severity=Severity.INFO,
                        message=f"The {check.category.value} check failed on this entry "
                        f"({type(exc).__name__}); review it by hand.",
                        remediation="Report this as a bug in mcpward with the config's shape (no values).",
                    )
                )
        yield spec, findings


def run_scan(options: ScanOptions, progress: ProgressCallback | None = None) -> Report:
    collected = discover(options, progress)
    layout = layout_for(options)
    servers: list[ServerSpec] = []
    findings: list[Finding] = list(collected.findings)
    for spec, server_findings in evaluate(collected.servers, layout.home):
        servers.append(spec)
        findings.extend(server_findings)
    findings.sort(key=lambda f: (-f.severity.rank, f.host or "", f.server or "", f.rule))
    subject_parts = [f"home {layout.home}"] if options.include_user_configs else []
    subject_parts += [f"path {p}" for p in options.paths]
    return Report(
        tool_version=__version__,
        command="scan",
        generated_at=datetime.now(UTC),
        subject="; ".join(subject_parts) or "nothing",
        servers=tuple(sorted(servers, key=lambda s: (s.host, s.config_path, s.name))),
        findings=tuple(findings),
        errors=tuple(collected.errors),
    )
