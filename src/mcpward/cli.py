"""The ``mcpward`` command. It parses arguments and calls the parts; nothing else lives here."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mcpward import __version__

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from mcpward.gateway import Session
    from mcpward.model import Report, Severity
    from mcpward.registry import Identity, ObservedServer, Registry

app = typer.Typer(
    name="mcpward",
    help="Govern the MCP servers your organisation's AI assistants use.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    suggest_commands=False,  # click already says "Did you mean ...?"; Typer said it a second time
)
advisories_app = typer.Typer(
    help="The offline advisory snapshot used by known-vulnerable checks.", no_args_is_help=True
)
app.add_typer(advisories_app, name="advisories")
dlp_app = typer.Typer(help="Find secrets and personal data in text or JSON.", no_args_is_help=True)
app.add_typer(dlp_app, name="dlp")
identity_app = typer.Typer(help="The list of official MCP packages and vendor brands.", no_args_is_help=True)
app.add_typer(identity_app, name="identity")
registry_app = typer.Typer(
    help="The approved MCP servers: requests, reviews, the audit trail, the registry server.",
    no_args_is_help=True,
)
app.add_typer(registry_app, name="registry")
gateway_app = typer.Typer(
    help="Enforce the registry on every call to an MCP server, with a call-level audit log.",
    no_args_is_help=True,
)
app.add_typer(gateway_app, name="gateway")
audit_app = typer.Typer(help="The gateway's call-level audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
token_app = typer.Typer(
    help="API tokens of the registry server (shown once, stored hashed).", no_args_is_help=True
)
registry_app.add_typer(token_app, name="token")

EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_BLOCK = 4


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"mcpward: {message}", err=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcpward {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Govern the MCP servers your organisation's AI assistants use."""


@app.command()
def scan(
    home: Annotated[
        Path | None,
        typer.Option(
            help="Treat DIR as the home directory (another user, a mounted disk image, a test).",
            metavar="DIR",
        ),
    ] = None,
    path: Annotated[
        list[Path] | None,
        typer.Option(
            "--path",
            help="Also walk this project tree for configs and manifests (repeatable).",
            metavar="DIR",
        ),
    ] = None,
    os_name: Annotated[
        str | None,
        typer.Option(
            "--os",
            help="Path conventions under --home: linux, macos or windows (default: this OS).",
            metavar="OS",
        ),
    ] = None,
    root: Annotated[
        Path | None,
        typer.Option(
            help="Filesystem root for system-wide (managed) configs; default / for this machine.",
            metavar="DIR",
        ),
    ] = None,
    host: Annotated[
        list[str] | None,
        typer.Option("--host", help="Only these host applications (repeatable), e.g. cursor.", metavar="ID"),
    ] = None,
    only_paths: Annotated[
        bool, typer.Option("--only-paths", help="Walk the --path trees only; skip the user's own configs.")
    ] = False,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Also skip directories with this name while walking (repeatable).",
            metavar="NAME",
        ),
    ] = None,
    no_default_excludes: Annotated[
        bool, typer.Option("--no-default-excludes", help="Walk node_modules, .git, virtual environments too.")
    ] = False,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv, sarif or cyclonedx.")
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the report to FILE instead of standard output.", metavar="FILE"
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a finding is at least this severe (critical, high, medium, low, info).",
            metavar="SEVERITY",
        ),
    ] = None,
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            help="Check every server against the approved registry: 'local', a database URL, or a "
            "registry server's URL (token in MCPWARD_REGISTRY_TOKEN).",
            metavar="SOURCE",
        ),
    ] = None,
    report_to: Annotated[
        str | None,
        typer.Option(
            "--report-to",
            help="Upload this machine's inventory to a registry server (token in MCPWARD_REGISTRY_TOKEN).",
            metavar="URL",
        ),
    ] = None,
) -> None:
    """Inventory the MCP servers on this machine, with config risk findings. Offline unless
    --registry or --report-to names a server; starts no MCP server."""
    from mcpward.output import format_names
    from mcpward.scan import DEFAULT_SKIP_DIRS, ScanOptions, TargetOS, host_ids, run_scan

    _check_format(output_format, format_names())
    threshold = _threshold(fail_on)
    try:
        target_os = TargetOS(os_name.lower()) if os_name else TargetOS.running()
    except ValueError:
        raise _fail(f"unknown --os {os_name!r}; choose from linux, macos, windows") from None
    unknown_hosts = sorted(set(host or ()) - set(host_ids()))
    if unknown_hosts:
        raise _fail(f"unknown --host {', '.join(unknown_hosts)}; known: {', '.join(host_ids())}")
    if home is not None and not home.is_dir():
        raise _fail(f"--home {home}: not a directory")
    # A tree that is not there is a mistyped argument, as a wrong --home is: an inventory of
    # nothing with exit 0 would tell a CI job that the tree was scanned and found clean.
    for tree in path or ():
        if not tree.is_dir():
            raise _fail(f"--path {tree}: not a directory")
    skip = frozenset() if no_default_excludes else DEFAULT_SKIP_DIRS
    options = ScanOptions(
        home=home,
        paths=tuple(path or ()),
        target_os=target_os,
        root=root,
        hosts=frozenset(host) if host else None,
        include_user_configs=not only_paths,
        skip_dirs=skip | frozenset(exclude or ()),
    )
    with _WalkProgress(enabled=bool(path) and sys.stderr.isatty()) as progress:
        report = run_scan(options, progress.callback())
    if registry or report_to:
        # The home labels the fleet record, so that each home's report replaces only its own.
        label = str((home or Path.home()).resolve())
        report = _with_registry(report, registry, report_to, label)
    _write(report, output_format, output)
    _exit_on(report, threshold)


@app.command()
def vet(
    target: Annotated[
        str, typer.Argument(help="npm:NAME@VERSION, pypi:NAME==VERSION, or a .tgz/.whl/.tar.gz/folder.")
    ],
    baseline: Annotated[
        str | None,
        typer.Option(
            help="Compare with this version or archive (default: the previous published release).",
            metavar="OTHER",
        ),
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Use only the package cache.")] = False,
    cache_dir: Annotated[Path | None, typer.Option(help="Package cache folder.", metavar="DIR")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, json or sarif.")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE.", metavar="FILE")
    ] = None,
) -> None:
    """Judge an MCP server package before approval: identity, provenance, code, version diff.
    Exits 0 on pass, 1 on review, 4 on block. Never runs or imports the package."""
    from mcpward.vet import VetError, VetOptions, run_vet

    _check_format(output_format, ("table", "json", "sarif"))
    try:
        report = run_vet(VetOptions(target=target, baseline=baseline, offline=offline, cache_dir=cache_dir))
    except VetError as exc:
        raise _fail(str(exc)) from None
    _write(report, output_format, output)
    raise typer.Exit({"pass": 0, "review": EXIT_FINDINGS, "block": EXIT_BLOCK}[report.verdict or "pass"])


@app.command()
def inspect(
    tools_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--tools-file",
            help="A saved tools/list result: an object with 'tools', or a list of tools (repeatable).",
            metavar="FILE",
        ),
    ] = None,
    url: Annotated[
        list[str] | None,
        typer.Option("--url", help="A streamable-HTTP server to ask (repeatable).", metavar="URL"),
    ] = None,
    sse_url: Annotated[
        list[str] | None, typer.Option("--sse-url", help="An SSE server to ask (repeatable).", metavar="URL")
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            help="NAME:ENV_VAR, a header for --url/--sse-url servers whose value is read from the "
            "environment variable (repeatable).",
            metavar="NAME:VAR",
        ),
    ] = None,
    bearer_env: Annotated[
        str | None,
        typer.Option(
            "--bearer-env",
            help="Send 'Authorization: Bearer' with the value of this environment variable.",
            metavar="VAR",
        ),
    ] = None,
    scan: Annotated[
        bool,
        typer.Option(
            "--scan", help="Ask the servers configured on this machine (remote ones; stdio ones with --run)."
        ),
    ] = False,
    run: Annotated[
        bool, typer.Option("--run", help="Also start stdio servers to ask them: this runs their code.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds allowed per server.")] = 20.0,
    pin: Annotated[bool, typer.Option("--pin", help="Record the signatures as approved.")] = False,
    pins: Annotated[
        Path | None,
        typer.Option("--pins", help="Pin store file (default: user data folder).", metavar="FILE"),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, json or sarif.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
    fail_on: Annotated[str | None, typer.Option("--fail-on", metavar="SEVERITY")] = None,
    results: Annotated[
        Path | None,
        typer.Option(
            "--results",
            help="A JSON list of tool results (strings or CallToolResult objects) to check for "
            "injected instructions, with the gateway's check.",
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Check what servers tell the model (tools, prompts, resources, instructions) for tool
    poisoning, and compare with pinned signatures to catch rug pulls; or check saved tool
    results for injected instructions (--results). No description leaves the machine."""
    import os

    from mcpward.inspect import InspectOptions, PinStoreError, ServerTarget, run_inspect, targets_from_scan
    from mcpward.model import ScanError

    _check_format(output_format, ("table", "json", "sarif"))
    threshold = _threshold(fail_on)
    if results is not None:
        if tools_file or url or sse_url or scan or pin:
            raise _fail(
                "--results is checked on its own: give it without --tools-file, --url, --scan or --pin"
            )
        from mcpward.inspect import ResultsError, inspect_results

        try:
            checked = inspect_results(results)
        except ResultsError as exc:
            raise _fail(str(exc)) from None
        _write(checked, output_format, output)
        _exit_on(checked, threshold)
        return
    headers: dict[str, str] = {}
    for item in header or ():
        name, _, variable = item.partition(":")
        if not name or not variable:
            raise _fail(f"--header {item!r}: expected NAME:ENV_VAR")
        if variable.strip() not in os.environ:
            raise _fail(f"--header {name}: environment variable {variable.strip()} is not set")
        headers[name.strip()] = os.environ[variable.strip()]
    if bearer_env:
        if bearer_env not in os.environ:
            raise _fail(f"--bearer-env: environment variable {bearer_env} is not set")
        headers["Authorization"] = f"Bearer {os.environ[bearer_env]}"
    targets = [ServerTarget(address, "http", url=address, headers=headers) for address in url or ()]
    targets += [ServerTarget(address, "sse", url=address, headers=headers) for address in sse_url or ()]
    skipped: list[ScanError] = []
    if scan:
        found, skipped = targets_from_scan(run_stdio=run)
        targets += found
    if not (tools_file or targets or skipped):
        raise _fail("nothing to inspect: give --tools-file, --url, --sse-url or --scan")
    if targets:  # asking servers takes seconds: say so before, not only after
        from mcpward.output.words import counted

        asking = f"mcpward: asking {counted(len(targets), 'server')} (at most {timeout:g} s each)"
        typer.echo(asking, err=True)
    try:
        report = run_inspect(
            InspectOptions(
                tools_files=tuple(tools_file or ()),
                servers=tuple(targets),
                timeout=timeout,
                pin=pin,
                pin_store=pins,
            )
        )
    except PinStoreError as exc:
        raise _fail(str(exc)) from None
    if skipped:
        from dataclasses import replace

        report = replace(report, errors=report.errors + tuple(skipped))
    _write(report, output_format, output)
    _exit_on(report, threshold)


@advisories_app.command("update")
def advisories_update(
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            help="OSV export to read: a URL, a zip, a folder of OSV JSON, or one JSON "
            "file (repeatable). Default: OSV's npm and PyPI exports.",
            metavar="URL|PATH",
        ),
    ] = None,
    destination: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the snapshot here instead of the user data folder.", metavar="FILE"
        ),
    ] = None,
) -> None:
    """Refresh the advisory snapshot with the MCP-related records of OSV exports."""
    from mcpward.advisories import DEFAULT_SOURCES, AdvisoryError, update_snapshot

    try:
        written, count = update_snapshot(source or DEFAULT_SOURCES, destination)
    except AdvisoryError as exc:
        raise _fail(f"advisories not updated: {exc}") from None
    typer.echo(f"wrote {count} MCP advisories to {written}")


@dlp_app.command("scan")
def dlp_scan(
    source: Annotated[str, typer.Argument(help="A file, or - for standard input: text or JSON.")],
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, json or sarif.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
    fail_on: Annotated[str | None, typer.Option("--fail-on", metavar="SEVERITY")] = None,
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy", help="A DLP policy (TOML): custom rules, allow-lists, actions.", metavar="FILE"
        ),
    ] = None,
    tool: Annotated[
        str | None,
        typer.Option("--tool", help="Use the policy's settings for this tool (server.tool).", metavar="NAME"),
    ] = None,
    redacted_output: Annotated[
        Path | None,
        typer.Option(
            "--redacted",
            help="Also write the content with its matches masked (with a policy: those to redact or block).",
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Find secrets and personal data; JSON input is scanned string by string with field paths.
    Exits 4 when a policy's action for a finding is block."""
    from mcpward.dlp.policy import PolicyError, load_policy
    from mcpward.dlp.report import scan_content

    _check_format(output_format, ("table", "json", "sarif"))
    threshold = _threshold(fail_on)
    try:
        policy = load_policy(policy_file) if policy_file is not None else None
    except PolicyError as exc:
        raise _fail(f"policy not used: {exc}") from None
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {source}: {exc.strerror or exc}") from None
    scanned = scan_content(data, "standard input" if source == "-" else source, policy, tool)
    report = scanned.report
    if redacted_output is not None:
        try:
            redacted_output.write_text(scanned.redacted(), "utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {redacted_output}: {exc.strerror or exc}") from None
    _write(report, output_format, output)
    if any(finding.action == "block" for finding in report.findings):
        raise typer.Exit(EXIT_BLOCK)
    _exit_on(report, threshold)


@identity_app.command("update")
def identity_update(
    source: Annotated[
        list[str],
        typer.Option(
            "--source",
            help="Official package list: our JSON format, or an official MCP registry listing "
            "(its /v0/servers answer), as a file or URL (repeatable).",
            metavar="URL|PATH",
        ),
    ],
    destination: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here instead of the user data folder.", metavar="FILE"),
    ] = None,
) -> None:
    """Extend the official package list that impersonation checks compare against."""
    from mcpward.identity import IdentityDataError, update_official

    try:
        written, count = update_official(source, destination)
    except IdentityDataError as exc:
        raise _fail(f"official list not updated: {exc}") from None
    typer.echo(f"wrote {count} official packages to {written}")


def _with_registry(report: Report, source: str | None, report_to: str | None, home: str) -> Report:
    from dataclasses import replace

    from mcpward.output.words import counted
    from mcpward.registry import RegistryError, approval_index, registry_findings
    from mcpward.registry import report_to as upload

    try:
        if report_to:
            stored = upload(report_to, report.servers, home)
            typer.echo(f"mcpward: reported {counted(stored, 'server')} of {home} to {report_to}", err=True)
        if source:
            findings = registry_findings(report.servers, approval_index(source))
            report = replace(report, findings=report.findings + tuple(findings))
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    return report


_DATABASE_HELP = "Registry database URL (default: MCPWARD_DATABASE_URL, else SQLite in the user data folder)."
_ACTOR_HELP = "Who is acting, for the audit trail (default: this OS account)."
_Database = Annotated[str | None, typer.Option(help=_DATABASE_HELP, metavar="URL")]
_Actor = Annotated[str | None, typer.Option("--as", help=_ACTOR_HELP, metavar="WHO")]


def _open_registry(database: str | None) -> Registry:
    from mcpward.registry import Registry, RegistryError

    try:
        return Registry.open(database)
    except RegistryError as exc:
        raise _fail(str(exc)) from None


def _actor(name: str | None) -> str:
    import getpass

    return name or getpass.getuser()


def _identity_of(target: str, digest: str | None) -> Identity:
    from pydantic import ValidationError

    from mcpward.registry import Identity

    text = target.strip()
    try:
        if text.startswith(("http://", "https://")):
            return Identity(kind="remote", url=text)
        if text.startswith("oci:"):
            image, _, found = text[4:].partition("@")
            return Identity(kind="oci", name=image, digest=found or digest)
        from mcpward.vet import VetError, parse_target

        try:
            parsed = parse_target(text)
        except VetError as exc:
            raise _fail(str(exc)) from None
        if parsed.path is not None:
            raise _fail(f"{target}: give npm:NAME@VERSION, pypi:NAME==VERSION, oci:IMAGE@DIGEST or a URL")
        return Identity(
            kind="package", ecosystem=parsed.ecosystem.value, name=parsed.name, version=parsed.version
        )
    except ValidationError as exc:
        raise _fail(f"{target}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None


def _default_name(identity: Identity) -> str:
    import re

    if identity.kind == "remote":
        from urllib.parse import urlsplit

        parts = urlsplit(str(identity.url))
        base = ".".join(reversed((parts.hostname or "remote").split(".")))
        return f"{base}/{re.sub(r'[^a-zA-Z0-9._-]+', '-', parts.path.strip('/')) or 'mcp'}"
    name = str(identity.name)
    namespace = {"npm": "npm", "pypi": "pypi"}.get(str(identity.ecosystem), "oci")
    if name.startswith("@"):
        scope, _, name = name[1:].partition("/")
        namespace = f"{namespace}.{scope}"
    clean = re.sub(r"[^a-zA-Z0-9._-]+", "-", name.rsplit("/", 1)[-1])
    return f"{re.sub(r'[^a-zA-Z0-9.-]+', '-', namespace)}/{clean}"


@registry_app.command("request")
def registry_request(
    target: Annotated[
        str,
        typer.Argument(help="npm:NAME@VERSION, pypi:NAME==VERSION, oci:IMAGE@sha256:DIGEST or an https URL."),
    ],
    owner: Annotated[str, typer.Option(help="The person or team accountable for it.", metavar="WHO")],
    name: Annotated[
        str | None,
        typer.Option(help="Registry name, reverse-DNS (default: from the package).", metavar="NAME"),
    ] = None,
    description: Annotated[str | None, typer.Option(help="What it is for.", metavar="TEXT")] = None,
    reads: Annotated[list[str] | None, typer.Option("--reads", help="Data it reads (repeatable).")] = None,
    writes: Annotated[list[str] | None, typer.Option("--writes", help="Data it writes (repeatable).")] = None,
    credential: Annotated[
        list[str] | None, typer.Option("--credential", help="A credential it needs, by name (repeatable).")
    ] = None,
    network: Annotated[
        list[str] | None, typer.Option("--network", help="A host it talks to (repeatable).")
    ] = None,
    shell: Annotated[bool, typer.Option("--shell", help="It runs shell commands.")] = False,
    credential_access: Annotated[
        bool, typer.Option("--credential-access", help="It reaches credentials beyond its own.")
    ] = False,
    production_write: Annotated[
        bool, typer.Option("--production-write", help="It writes production data.")
    ] = False,
    tier: Annotated[
        int | None, typer.Option(help="Raise the tier by hand (0 is the most sensitive).", min=0, max=2)
    ] = None,
    tools_file: Annotated[
        list[Path] | None, typer.Option("--tools-file", help="A saved tools/list result to inspect and pin.")
    ] = None,
    url: Annotated[
        list[str] | None, typer.Option("--url", help="Ask this HTTP server for its tools.")
    ] = None,
    digest: Annotated[str | None, typer.Option(help="Image digest, for an oci: target without one.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Vet from the package cache only.")] = False,
    cache_dir: Annotated[Path | None, typer.Option(help="Package cache folder.", metavar="DIR")] = None,
    actor: _Actor = None,
    database: _Database = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Request approval of a server: vets the package and inspects its tools (from --tools-file
    or --url), and stores what they found with the request."""
    from pydantic import ValidationError

    from mcpward.output._entries import write_entry
    from mcpward.registry import DataScope, EntryRequest, RegistryError, gather_evidence

    _check_format(output_format, ("table", "json"))
    identity = _identity_of(target, digest)
    evidence = gather_evidence(
        identity,
        tools_files=tuple(tool_file for tool_file in tools_file or ()),
        urls=tuple(url or ()),
        offline=offline,
        cache_dir=cache_dir,
    )
    for note in evidence.notes:
        typer.echo(f"mcpward: {note}", err=True)
    if evidence.vet and evidence.vet.integrity and identity.kind == "package":
        identity = identity.model_copy(update={"integrity": evidence.vet.integrity})
    try:
        request = EntryRequest(
            name=name or _default_name(identity),
            description=description,
            identity=identity,
            scope=DataScope(
                reads=tuple(reads or ()),
                writes=tuple(writes or ()),
                credentials=tuple(credential or ()),
                network=tuple(network or ()),
                shell=shell,
                credential_access=credential_access,
                production_write=production_write,
            ),
            owner=owner,
            tier=tier,
            pins=evidence.pins,
            vet=evidence.vet,
            inspect_findings=evidence.inspect_findings,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        raise _fail(f"{'.'.join(map(str, error['loc']))}: {error['msg']}") from None
    registry = _open_registry(database)
    try:
        entry = registry.request(request, _actor(actor))
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    write_entry(entry, output_format, sys.stdout)


def _decide(
    decision: str,
    entry_id: int,
    rationale: str,
    actor: str | None,
    database: str | None,
    revision: int | None,
    override: bool = False,
    grace_days: int | None = None,
) -> None:
    from mcpward.output._entries import write_entry
    from mcpward.registry import Conflict, Decision, PolicyRefusal, RegistryError

    registry = _open_registry(database)
    try:
        entry = registry.decide(
            entry_id, Decision(decision), _actor(actor), rationale, revision, override, grace_days=grace_days
        )
    except (Conflict, PolicyRefusal) as exc:
        raise _fail(str(exc), EXIT_FINDINGS) from None
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    write_entry(entry, "table", sys.stdout)


_RATIONALE = typer.Option("--rationale", "-m", help="Why: recorded with the decision.", metavar="TEXT")
_REVISION = typer.Option(help="Refuse if the entry changed since this revision.", metavar="N")


@registry_app.command("approve")
def registry_approve(
    entry_id: Annotated[int, typer.Argument(metavar="ID")],
    rationale: Annotated[str, _RATIONALE],
    override: Annotated[
        bool,
        typer.Option(
            "--override",
            help="Approve despite what the policy holds against it: vet's block (or no vetting), a "
            "critical inspect finding, a known advisory, a downgrade (recorded with the reasons).",
        ),
    ] = False,
    grace_days: Annotated[
        int | None,
        typer.Option(
            "--grace-days",
            help="Days the approval of the version this one replaces still stands (default: "
            "MCPWARD_SUPERSEDE_GRACE_DAYS or 14; at most that; 0 ends it now).",
            min=0,
            metavar="N",
        ),
    ] = None,
    revision: Annotated[int | None, _REVISION] = None,
    actor: _Actor = None,
    database: _Database = None,
) -> None:
    """Approve a request. Tier-0 needs two reviewers; the requester cannot approve. Approving a
    version supersedes the approval of the other versions of the same package after a grace
    period. Exits 1 when the policy refuses or the entry changed."""
    _decide("approve", entry_id, rationale, actor, database, revision, override, grace_days)


@registry_app.command("reject")
def registry_reject(
    entry_id: Annotated[int, typer.Argument(metavar="ID")],
    rationale: Annotated[str, _RATIONALE],
    revision: Annotated[int | None, _REVISION] = None,
    actor: _Actor = None,
    database: _Database = None,
) -> None:
    """Reject a request."""
    _decide("reject", entry_id, rationale, actor, database, revision)


@registry_app.command("revoke")
def registry_revoke(
    entry_id: Annotated[int, typer.Argument(metavar="ID")],
    rationale: Annotated[str, _RATIONALE],
    revision: Annotated[int | None, _REVISION] = None,
    actor: _Actor = None,
    database: _Database = None,
) -> None:
    """Withdraw an approval: scans then report the server as revoked."""
    _decide("revoke", entry_id, rationale, actor, database, revision)


@registry_app.command("list")
def registry_list(
    status: Annotated[
        str | None, typer.Option(help="requested, approved, rejected, revoked or expired.", metavar="STATUS")
    ] = None,
    database: _Database = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List entries (approved entries past their re-review date are marked expired first)."""
    from mcpward.output._entries import write_entries
    from mcpward.registry import RegistryError, Status

    _check_format(output_format, ("table", "json"))
    try:
        wanted = Status(status) if status else None
    except ValueError:
        raise _fail(f"unknown status {status!r}; choose from {', '.join(s.value for s in Status)}") from None
    registry = _open_registry(database)
    try:
        registry.expire_due()
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    write_entries(registry.entries(status=wanted), output_format, sys.stdout, terminal=sys.stdout.isatty())


@registry_app.command("show")
def registry_show(
    entry_id: Annotated[int, typer.Argument(metavar="ID")],
    database: _Database = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """One entry with its scope, vet and inspect findings, and its reviews."""
    from mcpward.output._entries import write_entry
    from mcpward.registry import NotFound

    _check_format(output_format, ("table", "json"))
    registry = _open_registry(database)
    try:
        entry = registry.get(entry_id)
        write_entry(entry, output_format, sys.stdout, refusals=registry.refusals(entry))
    except NotFound as exc:
        raise _fail(str(exc)) from None


@registry_app.command("export")
def registry_export(
    entry_id: Annotated[
        list[int] | None, typer.Argument(metavar="[ID]...", help="Entries (default: all approved).")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
    database: _Database = None,
) -> None:
    """Write entries as the official MCP registry's server.json: one object for one ID, else a
    list of them."""
    import json

    from mcpward.registry import NotFound, Status, export_server_json

    registry = _open_registry(database)
    try:
        entries = (
            [registry.get(i) for i in entry_id] if entry_id else registry.entries(status=Status.APPROVED)
        )
    except NotFound as exc:
        raise _fail(str(exc)) from None
    documents = [export_server_json(entry) for entry in entries]
    text = json.dumps(
        documents[0] if entry_id and len(documents) == 1 else documents, indent=2, ensure_ascii=False
    )
    _emit(text, output)


@registry_app.command("import")
def registry_import(
    file: Annotated[Path, typer.Argument(help="A server.json, or a list of them.", metavar="FILE")],
    owner: Annotated[
        str | None, typer.Option(help="Owner of entries whose server.json names none.", metavar="WHO")
    ] = None,
    actor: _Actor = None,
    database: _Database = None,
) -> None:
    """Import server.json documents as requests (each still needs a review). Nothing is stored
    unless every document is valid."""
    import json

    from mcpward._documents import DocumentError, read_text
    from mcpward.registry import RegistryError, parse_server_json, request_from_server_json

    try:
        document = json.loads(read_text(file))
    except DocumentError as exc:
        raise _fail(f"{file}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise _fail(
            f"{file}: JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    documents = document if isinstance(document, list) else [document]
    try:
        requests = [request_from_server_json(parse_server_json(d), owner=owner) for d in documents]
    except RegistryError as exc:
        raise _fail(f"{file}: {exc}") from None
    registry = _open_registry(database)
    try:
        entries = registry.request_many(requests, _actor(actor))
    except RegistryError as exc:
        raise _fail(f"{file}: {exc}") from None
    for entry in entries:
        typer.echo(f"entry {entry.id}: {entry.name} {entry.identity.release} requested (Tier-{entry.tier})")


@registry_app.command("audit")
def registry_audit(
    entry_id: Annotated[
        int | None, typer.Option("--entry", help="Only this entry's events.", metavar="ID")
    ] = None,
    verify: Annotated[bool, typer.Option("--verify", help="Check the hash chain; exit 1 if broken.")] = False,
    database: _Database = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """The audit trail, newest first; --verify checks that no event was altered or removed."""
    from mcpward.output._entries import write_audit
    from mcpward.registry import RegistryError

    registry = _open_registry(database)
    if verify:
        try:
            problem = registry.verify_audit()
        except RegistryError as exc:  # a damaged heads file, an unreadable key: named, not a traceback
            raise _fail(f"audit trail not verified: {exc}") from None
        if problem:
            raise _fail(f"audit trail broken: {problem}", EXIT_FINDINGS)
        typer.echo("audit trail intact")
        return
    write_audit(registry.audit(entry_id), output_format, sys.stdout)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The person or machine the token is for.")],
    role: Annotated[str, typer.Option(help="viewer, requester, reviewer or admin.")],
    actor: _Actor = None,
    database: _Database = None,
) -> None:
    """Create an API token and print it once; only its hash is stored."""
    from mcpward.registry import RegistryError, Role

    try:
        wanted = Role(role)
    except ValueError:
        raise _fail(f"unknown role {role!r}; choose from {', '.join(r.value for r in Role)}") from None
    try:
        token = _open_registry(database).create_token(name, wanted, _actor(actor))
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument()],
    actor: _Actor = None,
    database: _Database = None,
) -> None:
    """Revoke every token of NAME."""
    from mcpward.registry import RegistryError

    try:
        count = _open_registry(database).revoke_tokens(name, _actor(actor))
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    if not count:
        raise _fail(f"no active token for {name}", EXIT_FINDINGS)
    typer.echo(f"revoked {count} token(s) of {name}")


@token_app.command("list")
def token_list(
    database: _Database = None,
) -> None:
    """Token holders and roles (never the tokens)."""
    from mcpward.output._entries import printable

    for holder, role, created, revoked in _open_registry(database).tokens():
        state = "revoked" if revoked else "active"
        typer.echo(f"{printable(holder)}\t{role.value}\t{created:%Y-%m-%d}\t{state}")


@registry_app.command("serve")
def registry_serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    database: _Database = None,
    public_v0: Annotated[
        bool, typer.Option("--public-v0/--private-v0", help="Serve /v0/servers without a token.")
    ] = True,
    gateway_audit_log: Annotated[
        Path | None,
        typer.Option(
            help="Serve the held results of the gateway writing this audit log at /held, for reviewers.",
            metavar="FILE",
        ),
    ] = None,
    gateway_config: Annotated[
        Path | None, typer.Option(help="That gateway's config (its [quarantine] settings).", metavar="FILE")
    ] = None,
) -> None:
    """Run the registry server: JSON API (its OpenAPI schema at /openapi.json), /v0 registry API of approved
    entries, fleet inventory and the reviewers' pages."""
    import uvicorn

    from mcpward.registry.web import HeldReview, create_app

    held = None
    if gateway_audit_log is not None or gateway_config is not None:
        from mcpward.gateway import load_config

        store, log_path = _held(gateway_config, gateway_audit_log)
        held = HeldReview(store, log_path, load_config(gateway_config).quarantine.release_hours)
    app_ = create_app(_open_registry(database), public_v0=public_v0, held=held)
    uvicorn.run(app_, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)


@gateway_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def gateway_run(
    command: Annotated[list[str], typer.Argument(help="-- then the server's command and arguments.")],
    server: Annotated[
        str | None, typer.Option("--server", help="The server's name (default: the command).", metavar="NAME")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="Gateway config (TOML).", metavar="FILE")] = None,
    secret: Annotated[
        list[str] | None,
        typer.Option(
            "--secret",
            help="NAME=SOURCE: set NAME in the server's environment from env:VAR, file:PATH[#KEY] "
            "(owner-only) or keyring:SERVICE/USER, at launch (repeatable).",
            metavar="NAME=SOURCE",
        ),
    ] = None,
    sandbox: Annotated[
        Path | None,
        typer.Option(help="Run the server in the sandbox with this profile (TOML).", metavar="PROFILE"),
    ] = None,
    audit_log: Annotated[
        Path | None,
        typer.Option(help="Audit log file (default: the config's, else user data).", metavar="FILE"),
    ] = None,
) -> None:
    """Relay stdio between the client that launched this and the server it starts (never
    through a shell), checking and recording every call."""
    from mcpward.gateway import (
        AuditLog,
        ConfigError,
        Session,
        build_interceptors,
        default_audit_log,
        load_config,
        make_sinks,
    )
    from mcpward.gateway._stdio import environment, run_stdio

    try:
        settings = load_config(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    log_path = audit_log or settings.audit.path or default_audit_log()
    try:
        log = AuditLog(log_path)
    except OSError as exc:
        raise _fail(f"cannot open the audit log {log_path}: {exc.strerror or exc}") from None
    session = Session(server=server or Path(command[0]).name, target=" ".join(command[:1]))
    from_registry = settings.sandbox.from_registry
    if from_registry is None:
        from_registry = settings.registry.enabled
    confine = _confinement(sandbox or settings.sandbox.profile, from_registry, log_path)
    server_env = environment()
    from mcpward.sandbox import SandboxError
    from mcpward.sandbox._secrets import fetch

    for item in secret or ():
        variable, _, source = item.partition("=")
        if not variable or not source:
            raise _fail(f"--secret {variable or item!r}: expected NAME=SOURCE")
        try:
            server_env[variable] = fetch(variable, source)
        except SandboxError as exc:
            raise _fail(str(exc)) from None
    try:
        sinks = make_sinks(settings)
        interceptors = build_interceptors(settings, audit_log=log, command=tuple(command), sinks=sinks)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    code = _run_loop(
        run_stdio(
            session,
            interceptors,
            command[0],
            command[1:],
            env=server_env,
            max_message=settings.max_message,
            call_timeout=settings.call_timeout,
            log=lambda line: typer.echo(line, err=True),
            confine=confine,
        )
    )
    for sink in sinks:
        sink.close()
    raise typer.Exit(code)


sandbox_app = typer.Typer(
    help="Run MCP servers with no network but an allow-listed proxy and no files but their mounts.",
    no_args_is_help=True,
)
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("check")
def sandbox_check() -> None:
    """Which sandbox backends work on this machine (each is tried for real), and why not."""
    from mcpward.sandbox import backends

    working = 0
    for backend in backends():
        availability = backend.check()
        working += availability.works and not backend.explicit_only
        typer.echo(f"{backend.name}: {'works' if availability.works else 'unavailable'} - {availability.why}")
    if not working:
        raise typer.Exit(EXIT_FINDINGS)


@sandbox_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def sandbox_run(
    command: Annotated[list[str], typer.Argument(help="-- then the server's command and arguments.")],
    profile: Annotated[Path | None, typer.Option(help="Sandbox profile (TOML).", metavar="FILE")] = None,
    backend: Annotated[
        str | None, typer.Option(help="Backend to use (default: the first that works).")
    ] = None,
    server: Annotated[
        str | None,
        typer.Option("--server", help="The server's name, for the audit log; it also keeps its own home."),
    ] = None,
    audit_log: Annotated[
        Path | None, typer.Option(help="Audit log for egress records.", metavar="FILE")
    ] = None,
) -> None:
    """Run a server confined: standard input and output pass through, every outbound
    connection goes through the egress proxy and is recorded."""
    from datetime import UTC, datetime

    from mcpward.gateway import AuditLog, default_audit_log
    from mcpward.sandbox import SandboxError, choose_backend, load_profile, run_sandboxed, server_home

    name = server or Path(command[0]).name
    try:
        rules = load_profile(profile)
        chosen = choose_backend(backend)
    except SandboxError as exc:
        raise _fail(str(exc)) from None
    log_path = audit_log or default_audit_log()
    try:
        log = AuditLog(log_path)
    except OSError as exc:
        raise _fail(f"cannot open the audit log {log_path}: {exc.strerror or exc}") from None

    def report(record: dict[str, object]) -> None:
        stamp = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        log.append({"at": stamp, "server": name, "stage": "egress", **record})

    if chosen.name == "none":
        typer.echo(f"mcpward: {name} runs UNCONFINED (--backend none); this is recorded", err=True)
        report({"method": "sandbox-unconfined", "decision": "alert", "severity": "high",
                "reason": "the server runs with the user's files, network and environment"})  # fmt: skip
    report({"method": "sandbox-start", "decision": "allow", "backend": chosen.name,
            "allow": list(rules.network.allow), "read": [str(p) for p in rules.files.read],
            "write": [str(p) for p in rules.files.write], "inspect": rules.inspect.enabled})  # fmt: skip
    try:
        # A named server keeps its home (package cache, data) between runs; an unnamed one
        # gets an empty home each time.
        home = server_home(server) if server else None
        code = run_sandboxed(rules, command, report=report, backend=chosen, server=name, home=home)
    except SandboxError as exc:
        report({"method": "sandbox-refused", "decision": "block", "reason": str(exc)})
        raise _fail(str(exc)) from None
    report({"method": "sandbox-exit", "decision": "allow", "status": code})
    raise typer.Exit(code)


report_app = typer.Typer(help="Documents for the people who govern MCP servers.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("audit")
def report_audit(
    since: Annotated[str, typer.Option(help="The period: 90d, 12w, 6m, 1y.")] = "90d",
    output_format: Annotated[str, typer.Option("--format", "-f", help="md, html or json.")] = "md",
    audit_log: Annotated[
        Path | None,
        typer.Option(help="The gateway's audit log (default: the user data folder's).", metavar="FILE"),
    ] = None,
    previous: Annotated[
        Path | None, typer.Option(help="A previous JSON audit report, for trends.", metavar="FILE")
    ] = None,
    local: Annotated[
        bool, typer.Option("--local", help="Also scan this machine and include its servers.")
    ] = False,
    database: _Database = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
) -> None:
    """The quarterly MCP audit: fleet servers and their approval, unpinned, drifted and revoked
    servers, reviews expired or due, advisories, unused servers, tool changes, DLP events,
    egress denials and baseline alerts from the gateway's audit log, and trends."""
    import json

    from mcpward.gateway import default_audit_log
    from mcpward.report.audit import build_audit, parse_since, render_html, render_json, render_markdown

    _check_format(output_format, ("md", "html", "json"))
    try:
        period = parse_since(since)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    before = None
    if previous is not None:
        try:
            before = json.loads(previous.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise _fail(f"--previous {previous}: not a JSON audit report ({type(exc).__name__})") from None
    log = audit_log or default_audit_log()
    here: list[tuple[str, ObservedServer]] = []
    if local:
        import socket

        from mcpward.registry import observe
        from mcpward.scan import ScanOptions, run_scan

        machine = socket.gethostname() or "this machine"
        here = [(machine, observe(spec)) for spec in run_scan(ScanOptions()).servers if not spec.disabled]
    document = build_audit(
        _open_registry(database),
        since=period,
        audit_log=log if log.exists() else None,
        previous=before,
        local=here,
    )
    renderers = {"json": render_json, "md": render_markdown, "html": render_html}
    text = renderers[output_format](document)
    _emit(text, output)


@report_app.command("questionnaire")
def report_questionnaire(
    answer: Annotated[
        bool,
        typer.Option("--answer", help="Fill it in for this organisation from the registry and inventory."),
    ] = False,
    output_format: Annotated[str, typer.Option("--format", "-f", help="md, csv or xlsx.")] = "md",
    database: _Database = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
) -> None:
    """The MCP section of a third-party risk questionnaire: blank, to send to vendors, or
    answered with evidence (--answer), to answer customers."""
    from mcpward.report.questionnaire import questionnaire, render_csv, render_markdown, write_xlsx

    _check_format(output_format, ("md", "csv", "xlsx"))
    document = None
    if answer:
        from datetime import timedelta

        from mcpward.report.audit import build_audit

        # The audit report's own model: the two documents cannot disagree on a number.
        document = build_audit(_open_registry(database), since=timedelta(days=90))
    questions = questionnaire(document)
    if output_format == "xlsx":
        if output is None:
            raise _fail("--format xlsx needs --output FILE")
        try:
            write_xlsx(questions, output)
        except OSError as exc:
            raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None
        return
    text = render_csv(questions) if output_format == "csv" else render_markdown(questions)
    _emit(text, output)


@report_app.command("sbom")
def report_sbom(
    database: _Database = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
) -> None:
    """The approved servers and their packages, as a CycloneDX 1.6 BOM (JSON)."""
    from datetime import UTC, datetime

    from mcpward.registry import Status
    from mcpward.report.sbom import approved_sbom

    registry = _open_registry(database)
    registry.expire_due()
    text = approved_sbom(registry.entries(status=Status.APPROVED), datetime.now(UTC))
    _emit(text, output)


pins_app = typer.Typer(help="Tool signature pins the gateway enforces.", no_args_is_help=True)
app.add_typer(pins_app, name="pins")


@pins_app.command("approve")
def pins_approve(
    server: Annotated[str, typer.Argument(help="The server's name, as the gateway calls it.")],
    tool: Annotated[list[str] | None, typer.Option("--tool", help="Only this tool (repeatable).")] = None,
    store: Annotated[Path | None, typer.Option(help="Pin store (default: the user data folder's).")] = None,
) -> None:
    """Approve the tool changes the gateway withheld (review the diff in the audit log first)."""
    from mcpward.gateway._interceptors.pins import approve
    from mcpward.inspect import PinStoreError, default_pin_store

    try:
        approved = approve(store or default_pin_store(), server, list(tool) if tool else None)
    except PinStoreError as exc:
        raise _fail(str(exc)) from None
    if not approved:
        raise _fail(f"no tool change of {server} is waiting for approval", EXIT_FINDINGS)
    typer.echo(f"approved {', '.join(approved)} of {server}")


def _wrap_backups() -> Path:
    from mcpward._paths import user_data_dir

    return user_data_dir() / "wrap-backups"


@app.command("wrap")
def wrap_configs(
    host: Annotated[list[str] | None, typer.Option("--host", help="Only these clients (repeatable).")] = None,
    home: Annotated[Path | None, typer.Option(help="Treat DIR as the home directory.", metavar="DIR")] = None,
    config: Annotated[
        Path | None, typer.Option(help="Gateway config the wrapped servers use.", metavar="FILE")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; change nothing.")
    ] = False,
    move_secrets: Annotated[
        Path | None,
        typer.Option(
            help="Move literal secrets of the wrapped servers' env into FILE (mode 600); the gateway "
            "reads them at launch.",
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Rewrite discovered client configs so that their stdio servers run through the gateway,
    keeping a backup of each file; `mcpward unwrap` restores them exactly."""
    from mcpward.gateway._wrap import wrap
    from mcpward.scan import ScanOptions, host_ids

    unknown = sorted(set(host or ()) - set(host_ids()))
    if unknown:
        raise _fail(f"unknown --host {', '.join(unknown)}; known: {', '.join(host_ids())}")
    options = ScanOptions(home=home, hosts=frozenset(host) if host else None)
    outcome = wrap(
        options,
        _wrap_backups(),
        config=config.resolve() if config else None,
        dry_run=dry_run,
        secrets_file=move_secrets.expanduser().resolve() if move_secrets else None,
    )
    for path, name in outcome.wrapped:
        typer.echo(f"{'would wrap' if dry_run else 'wrapped'} {name} in {path}")
    for path, name, variable in outcome.moved:
        typer.echo(
            f"{'would move' if dry_run else 'moved'} the literal secret {variable} of {name} in {path}"
        )
    for path, name, why in outcome.skipped:
        typer.echo(f"skipped {name} in {path}: {why}")
    if not outcome.wrapped:
        typer.echo("nothing to wrap")


@app.command("unwrap")
def unwrap_configs(
    force: Annotated[
        bool, typer.Option("--force", help="Restore files edited since they were wrapped.")
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option(help="Only the configs under DIR (as `wrap --home DIR` chose them).", metavar="DIR"),
    ] = None,
) -> None:
    """Restore every config `mcpward wrap` changed, byte for byte."""
    from mcpward.gateway._wrap import unwrap

    if home is not None and not home.is_dir():
        raise _fail(f"--home {home}: not a directory")
    restored, problems = unwrap(_wrap_backups(), force=force, home=home)
    for path in restored:
        typer.echo(f"restored {path}")
    for problem in problems:
        typer.echo(f"mcpward: {problem}", err=True)
    if problems:
        raise typer.Exit(EXIT_FINDINGS)
    if not restored:
        typer.echo("nothing to restore")


@gateway_app.command("serve")
def gateway_serve(
    config: Annotated[
        Path, typer.Option(help="Gateway config (TOML) with [serve] and [servers.NAME].", metavar="FILE")
    ],
    audit_log: Annotated[Path | None, typer.Option(help="Audit log file.", metavar="FILE")] = None,
) -> None:
    """Serve the configured servers over streamable HTTP, one endpoint each
    (/servers/NAME/mcp), to clients holding a configured bearer token."""
    import os

    import uvicorn

    from mcpward.gateway import (
        AuditLog,
        ConfigError,
        build_interceptors,
        default_audit_log,
        load_config,
        make_baseline,
        make_sinks,
    )
    from mcpward.gateway._http import ClientLimits, Upstream, create_app

    try:
        settings = load_config(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    if not settings.servers:
        raise _fail(f"{config}: no [servers.NAME] to serve")
    if not settings.serve.clients:
        raise _fail(f"{config}: no [[serve.clients]]; create a token with `mcpward gateway token NAME`")
    log_path = audit_log or settings.audit.path or default_audit_log()
    try:
        log = AuditLog(log_path)
    except OSError as exc:
        raise _fail(f"cannot open the audit log {log_path}: {exc.strerror or exc}") from None
    port = settings.serve.port
    hosts = settings.serve.allowed_hosts or (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}")
    try:
        build_interceptors(settings, audit_log=log)  # refuse a bad DLP policy now, not per session
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    baseline = make_baseline(settings) if settings.baseline.enabled else None
    try:
        sinks = make_sinks(settings)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    upstreams = {}
    for name, upstream in settings.servers.items():
        missing = [v for v in upstream.headers_from_env.values() if v not in os.environ]
        if missing:
            raise _fail(f"{config}: servers.{name}: environment variable(s) not set: {', '.join(missing)}")
        headers = {header: os.environ[variable] for header, variable in upstream.headers_from_env.items()}
        upstreams[name] = Upstream(command=upstream.command, url=upstream.url, headers=headers)
    app_ = create_app(
        upstreams,
        lambda _name, upstream: build_interceptors(
            settings,
            audit_log=log,
            command=upstream.command,
            url=upstream.url,
            shared_baseline=baseline,
            sinks=sinks,
        ),
        token_hashes={client.sha256: client.name for client in settings.serve.clients},
        allowed_hosts=tuple(hosts),
        max_message=settings.max_message,
        call_timeout=settings.call_timeout,
        idle_timeout=settings.serve.idle_timeout,
        limits=ClientLimits(
            max_sessions_per_client=settings.serve.max_sessions_per_client,
            max_sessions=settings.serve.max_sessions,
            new_sessions_per_minute=settings.serve.new_sessions_per_minute,
            requests_per_second=settings.serve.requests_per_second,
            request_burst=settings.serve.request_burst,
        ),
    )
    try:
        uvicorn.run(app_, host=settings.serve.host, port=port, log_level="warning", server_header=False)
    finally:
        for sink in sinks:
            sink.close()


@gateway_app.command("token")
def gateway_token(name: Annotated[str, typer.Argument(help="The client the token is for.")]) -> None:
    """Create a client token: prints the token (give it to the client) and the config lines
    (which hold only its sha256)."""
    import hashlib
    import secrets

    token = "mcpg_" + secrets.token_urlsafe(32)
    typer.echo(f"token: {token}")
    typer.echo(f'[[serve.clients]]\nname = "{name}"\nsha256 = "{hashlib.sha256(token.encode()).hexdigest()}"')


_HeldConfig = Annotated[Path | None, typer.Option("--config", help="Gateway config (TOML).", metavar="FILE")]
_HeldLog = Annotated[
    Path | None,
    typer.Option(help="The gateway's audit log (default: the config's, else user data).", metavar="FILE"),
]
_HeldId = Annotated[str, typer.Argument(help="The quarantine ID the client's error named.", metavar="ID")]


def _held(config: Path | None, audit_log: Path | None) -> tuple[Any, Path]:
    """The folder of held results and the audit log, as the gateway with this config has them."""
    from mcpward.gateway import ConfigError, default_audit_log, load_config, quarantine

    try:
        settings = load_config(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    log_path = audit_log or settings.audit.path or default_audit_log()
    return quarantine(settings, log_path), log_path


def _safe_json(value: object) -> str:
    """JSON for a terminal: held results are a server's text; every character outside ASCII
    (invisible tags, bidi controls) and every control character is escaped, visible."""
    import json

    return json.dumps(value, ensure_ascii=True, indent=2, sort_keys=True)


@gateway_app.command("held")
def gateway_held(
    held_id: Annotated[
        str | None, typer.Argument(help="Show this held result in full.", metavar="ID")
    ] = None,
    config: _HeldConfig = None,
    audit_log: _HeldLog = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """The results the gateway holds for review (`[dlp] injection = "quarantine"`)."""
    import json

    from mcpward.gateway import QuarantineError

    _check_format(output_format, ("table", "json"))
    store, _ = _held(config, audit_log)
    try:
        if held_id is not None:
            typer.echo(_safe_json(store.show(held_id)))
            return
        pending = store.pending() if store.folder.exists() else []
    except (QuarantineError, OSError) as exc:
        raise _fail(str(exc) if isinstance(exc, QuarantineError) else f"{store.folder}: {exc}") from None
    if output_format == "json":
        typer.echo(_safe_json([{k: v for k, v in r.items() if k != "result"} for r in pending]))
        return
    if not pending:
        typer.echo(f"nothing is held in {store.folder}")
        return
    for record in pending:
        if record.get("unreadable"):
            typer.echo(f"{record['id']}  (unreadable: discard it)")
            continue
        line = (
            f"{record['id']}  {record.get('at', '?')}  {record.get('server')}.{record.get('subject')}  "
            f"{', '.join(map(str, record.get('families') or ()))}  {record['bytes']} bytes"
        )
        typer.echo(json.dumps(line, ensure_ascii=True)[1:-1])  # a tool name may hold escapes


@gateway_app.command("release")
def gateway_release(
    held_id: _HeldId,
    config: _HeldConfig = None,
    audit_log: _HeldLog = None,
    actor: _Actor = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the released result here.", metavar="FILE")
    ] = None,
) -> None:
    """Release a held result: the decision is recorded in the audit log, the result (redacted)
    is printed for the reviewer to pass on, and the next identical answer of the same tool
    passes once (within `[quarantine] release_hours`)."""
    from mcpward.gateway import QuarantineError, load_config

    store, log_path = _held(config, audit_log)
    hours = load_config(config).quarantine.release_hours
    try:
        record = store.release(held_id, log=log_path, reviewer=_reviewer(actor), hours=hours)
    except (QuarantineError, OSError) as exc:
        raise _fail(str(exc) if isinstance(exc, QuarantineError) else f"not released: {exc}") from None
    where = _safe_json(f"{record.get('server')}.{record.get('subject')}")[1:-1]
    typer.echo(f"released {held_id} ({where})", err=True)
    _emit(_safe_json(record.get("result")), output)


@gateway_app.command("discard")
def gateway_discard(
    held_id: _HeldId, config: _HeldConfig = None, audit_log: _HeldLog = None, actor: _Actor = None
) -> None:
    """Discard a held result: it is deleted and the decision recorded in the audit log."""
    from mcpward.gateway import QuarantineError

    store, log_path = _held(config, audit_log)
    try:
        store.discard(held_id, log=log_path, reviewer=_reviewer(actor))
    except (QuarantineError, OSError) as exc:
        raise _fail(str(exc) if isinstance(exc, QuarantineError) else f"not discarded: {exc}") from None
    typer.echo(f"discarded {held_id}")


def _reviewer(actor: str | None) -> str:
    import getpass

    if actor:
        return actor[:100]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _confinement(
    profile: Path | None, from_registry: bool, log_path: Path
) -> Callable[[Session, list[str]], list[str]] | None:
    """How the gateway wraps a server's command in the sandbox, if it does: with a profile
    file, or with a profile made from the server's registry entry. The registry judges the
    server's own command; what starts is the sandbox around it."""
    if profile is None and not from_registry:
        return None

    def confine(session: Session, argv: list[str]) -> list[str]:
        chosen = profile
        if chosen is None and session.entry is not None:
            from mcpward._paths import user_data_dir
            from mcpward.sandbox import profile_from_entry

            derived = profile_from_entry(session.entry)
            chosen = user_data_dir() / "sandbox-profiles" / f"entry-{session.entry.get('id')}.json"
            chosen.parent.mkdir(parents=True, exist_ok=True)
            chosen.write_text(derived.model_dump_json(), encoding="utf-8")
        if chosen is None:
            return argv  # no entry, no profile: the registry check decides whether it runs at all
        wrapped = [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(chosen.resolve())]
        return [*wrapped, "--server", session.server, "--audit-log", str(log_path), "--", *argv]

    return confine


def _run_loop(main: Coroutine[Any, Any, int]) -> int:
    """uvloop where it is installed (it halves the relay's own latency), else asyncio's loop."""
    import gc

    # What start-up made (modules, compiled patterns, the config) lives as long as the process:
    # moved out of the collector's sight, a full collection no longer walks it mid-call.
    gc.freeze()
    try:
        import uvloop
    except ImportError:
        import asyncio

        return asyncio.run(main)
    return uvloop.run(main)


@audit_app.command("verify")
def audit_verify(
    path: Annotated[Path | None, typer.Argument(help="Audit log (default: the user data folder's).")] = None,
    unanchored: Annotated[
        bool,
        typer.Option("--unanchored", help="Accept a log without its key (FILE.key): check its chain alone."),
    ] = False,
) -> None:
    """Check the audit log: its hash chain, each record's MAC and its head (FILE.key and
    FILE.head beside it). Exit 0 when every record holds and the log reaches its head, 1 at the
    first break: an altered, removed, forged or recomputed record, or an emptied log."""
    from mcpward.gateway import default_audit_log
    from mcpward.gateway._audit import anchor_paths, check

    target = path or default_audit_log()
    verdict = check(target)
    if verdict.problem:
        raise _fail(
            f"{target}: {verdict.problem} ({verdict.count} records verified before it)", EXIT_FINDINGS
        )
    if not verdict.anchored and not unanchored:
        raise _fail(
            f"{target}: {verdict.count} records, chain intact but NOT anchored: there is no key "
            f"{anchor_paths(target)[0]}, so records removed from its end, a recomputed chain or an "
            "emptied log would not show (--unanchored accepts this)",
            EXIT_FINDINGS,
        )
    summary = f"{target}: {verdict.count} records, chain intact"
    if verdict.anchored and verdict.head is not None:
        summary += f" and anchored (its head names record {verdict.head.seq})"
    if verdict.incomplete:
        lines = ", ".join(map(str, verdict.incomplete[:10]))
        summary += (
            f"; {len(verdict.incomplete)} incomplete line(s) skipped, cut short by a writer that "
            f"died (their calls were not forwarded): line {lines}"
        )
    typer.echo(summary)


def _emit(text: str, output: Path | None) -> None:
    """A finished document to standard output, or to ``output``."""
    if output is None:
        typer.echo(text)
        return
    try:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None


def _check_format(name: str, allowed: tuple[str, ...]) -> None:
    if name not in allowed:
        raise _fail(f"unknown --format {name!r}; choose from {', '.join(allowed)}")


def _threshold(fail_on: str | None) -> Severity | None:
    from mcpward.model import Severity

    try:
        return Severity.parse(fail_on) if fail_on else None
    except ValueError as exc:
        raise _fail(f"--fail-on: {exc}") from None


def _exit_on(report: Report, threshold: Severity | None) -> None:
    """Exit 1 when a finding is at least as severe as ``--fail-on``; else 3 when ``--fail-on``
    was given and an input could not be read: a gate that passed what it could not read would
    tell a CI job that nothing was found."""
    if threshold is None:
        return
    worst = report.worst_severity()
    if worst is not None and worst.at_least(threshold):
        raise typer.Exit(EXIT_FINDINGS)
    if report.errors:
        raise typer.Exit(EXIT_INCOMPLETE)


def _write(report: object, output_format: str, output: Path | None) -> None:
    from mcpward.model import Report
    from mcpward.output import write_report

    assert isinstance(report, Report)
    if output is None:
        write_report(report, output_format, sys.stdout, terminal=sys.stdout.isatty())
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as handle:
            write_report(report, output_format, handle)
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None


class _WalkProgress:
    """A transient progress line on standard error while project trees are walked."""

    def __init__(self, enabled: bool) -> None:
        self._progress: Progress | None = None
        if enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
        self._task: TaskID | None = None

    def __enter__(self) -> _WalkProgress:
        if self._progress is not None:
            self._progress.__enter__()
            self._task = self._progress.add_task("walking", total=None)
        return self

    def callback(self) -> Callable[[str, int, int], None] | None:
        return self._update if self._progress is not None else None

    def _update(self, root: str, directories: int, files: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task, description=f"walking {root}: {directories} directories, {files} files"
            )

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)


def main(argv: list[str] | None = None) -> None:
    """Entry point: no traceback ever reaches the user; an unexpected error is one line."""
    from mcpward._lazy_typer import lazy_command

    try:
        # Only the invoked command is built (Typer would build all of them: ~45 ms a start).
        lazy_command(app)(args=argv, prog_name="mcpward", standalone_mode=True)
    except KeyboardInterrupt:
        typer.echo("mcpward: interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence against tracebacks
        from mcpward.dlp import redact_text

        typer.echo(
            f"mcpward: internal error ({type(exc).__name__}): {redact_text(str(exc))[:300]}"
            " - please report it",
            err=True,
        )
        sys.exit(3)


if __name__ == "__main__":
    main()
