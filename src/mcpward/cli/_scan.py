"""``mcpward scan``: the inventory."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward.cli._app import app
from mcpward.cli._common import WalkProgress, check_format, exit_on, fail, severity_threshold, write_output

if TYPE_CHECKING:
    from mcpward.model import Report


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
    processes: Annotated[
        bool,
        typer.Option(
            "--processes",
            help="Also report MCP servers running now, with the app that started them (Linux: /proc).",
        ),
    ] = False,
    probe_ports: Annotated[
        bool,
        typer.Option(
            "--probe-ports",
            help="Also send a read-only MCP initialize to this machine's listening ports, over loopback "
            "only; servers answering without authentication are insecure-transport (Linux).",
        ),
    ] = False,
    containers: Annotated[
        bool,
        typer.Option(
            "--containers",
            help="Also report MCP images and containers of the local Docker/Podman engine (its API "
            "socket; packages read from image layers, nothing run).",
        ),
    ] = False,
    port: Annotated[
        list[int] | None,
        typer.Option("--port", help="With --probe-ports: only this port (repeatable).", metavar="PORT"),
    ] = None,
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
    enforcement: Annotated[
        Path | None,
        typer.Option(
            "--enforcement",
            help="Report enforcement-drift: managed client files (under --root) that differ from "
            "what `mcpward enforce` writes for this exported policy.",
            metavar="POLICY",
        ),
    ] = None,
) -> None:
    """Inventory the MCP servers on this machine, with config risk findings. Offline unless
    --registry or --report-to names a server; starts no MCP server."""
    from mcpward._paths import foreign_home
    from mcpward.output import format_names
    from mcpward.scan import DEFAULT_SKIP_DIRS, ScanOptions, TargetOS, host_ids, run_scan

    check_format(output_format, format_names("scan"))
    threshold = severity_threshold(fail_on)
    try:
        target_os = TargetOS(os_name.lower()) if os_name else TargetOS.running()
    except ValueError:
        raise fail(f"unknown --os {os_name!r}; choose from linux, macos, windows") from None
    unknown_hosts = sorted(set(host or ()) - set(host_ids()))
    if unknown_hosts:
        raise fail(f"unknown --host {', '.join(unknown_hosts)}; known: {', '.join(host_ids())}")
    if home is not None and not home.is_dir():
        raise fail(f"--home {home}: not a directory")
    # A tree that is not there is a mistyped argument, as a wrong --home is: an inventory of
    # nothing with exit 0 would tell a CI job that the tree was scanned and found clean.
    for tree in path or ():
        if not tree.is_dir():
            raise fail(f"--path {tree}: not a directory")
    if port and not probe_ports:
        raise fail("--port is used with --probe-ports")
    if any(not 0 < p < 65536 for p in port or ()):
        raise fail("--port: a port is a number from 1 to 65535")
    if (processes or probe_ports) and not sys.platform.startswith("linux"):
        raise fail(
            "--processes and --probe-ports read /proc, which this OS does not have (macOS would need "
            "libproc, Windows the Toolhelp API, e.g. through psutil, which mcpward does not depend on)"
        )
    skip = frozenset() if no_default_excludes else DEFAULT_SKIP_DIRS
    # Root over another account's home reads only that account's files there, as the agent
    # does: a link of theirs to a third account's config was listed (and reported) as theirs.
    foreign = foreign_home(home) if home is not None else None
    options = ScanOptions(
        home=home,
        owner=foreign.st_uid if foreign is not None else None,
        paths=tuple(path or ()),
        target_os=target_os,
        root=root,
        hosts=frozenset(host) if host else None,
        include_user_configs=not only_paths,
        skip_dirs=skip | frozenset(exclude or ()),
        processes=processes,
        probe_ports=probe_ports,
        containers=containers,
        ports=frozenset(port or ()),
    )
    with WalkProgress(enabled=bool(path) and sys.stderr.isatty()) as progress:
        report = run_scan(options, progress.callback())
    if registry or report_to:
        # The home labels the fleet record, so that each home's report replaces only its own.
        label = str((home or Path.home()).resolve())
        report = _with_registry(report, registry, report_to, label)
    if enforcement is not None:
        report = _with_drift(report, enforcement, target_os.value, root or Path("/"))
    write_output(report, output_format, output)
    exit_on(report, threshold)


def _with_drift(report: Report, policy_file: Path, platform: str, root: Path) -> Report:
    from dataclasses import replace

    from mcpward.enforce import EnforceError, Platform, drift, read_policy

    try:
        policy = read_policy(policy_file)
    except EnforceError as exc:
        raise fail(f"--enforcement {policy_file}: {exc}") from None
    return replace(report, findings=report.findings + tuple(drift(policy, Platform(platform), root)))


def _with_registry(report: Report, source: str | None, report_to: str | None, home: str) -> Report:
    from dataclasses import replace

    from mcpward.output.words import counted
    from mcpward.registry import RegistryError, approval_index, registry_findings
    from mcpward.registry import report_to as upload

    try:
        if report_to:
            stored = upload(report_to, report.servers, home, report.errors)
            typer.echo(f"mcpward: reported {counted(stored, 'server')} of {home} to {report_to}", err=True)
        if source:
            findings = registry_findings(report.servers, approval_index(source))
            report = replace(report, findings=report.findings + tuple(findings))
    except RegistryError as exc:
        raise fail(str(exc)) from None
    return report
