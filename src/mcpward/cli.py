"""The ``mcpward`` command. It parses arguments and calls the parts; nothing else lives here."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward import __version__

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from mcpward.model import Report, Severity

app = typer.Typer(
    name="mcpward",
    help="Govern the MCP servers your organisation's AI assistants use.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
advisories_app = typer.Typer(
    help="The offline advisory snapshot used by known-vulnerable checks.", no_args_is_help=True
)
app.add_typer(advisories_app, name="advisories")
dlp_app = typer.Typer(help="Find secrets and personal data in text or JSON.", no_args_is_help=True)
app.add_typer(dlp_app, name="dlp")
identity_app = typer.Typer(help="The list of official MCP packages and vendor brands.", no_args_is_help=True)
app.add_typer(identity_app, name="identity")

EXIT_FINDINGS = 1
EXIT_USAGE = 2
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
) -> None:
    """Inventory the MCP servers on this machine, with config risk findings. Offline; starts
    no server."""
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
) -> None:
    """Check what servers tell the model (tools, prompts, resources, instructions) for tool
    poisoning, and compare with pinned signatures to catch rug pulls. No description leaves the
    machine."""
    import os

    from mcpward.inspect import InspectOptions, PinStoreError, ServerTarget, run_inspect, targets_from_scan
    from mcpward.model import ScanError

    _check_format(output_format, ("table", "json", "sarif"))
    threshold = _threshold(fail_on)
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
    """Exit 1 when a finding is at least as severe as ``--fail-on``."""
    worst = report.worst_severity()
    if threshold is not None and worst is not None and worst.at_least(threshold):
        raise typer.Exit(EXIT_FINDINGS)


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
    try:
        app(args=argv, prog_name="mcpward", standalone_mode=True)
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
