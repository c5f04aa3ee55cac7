"""``mcpward inspect``: what servers tell the model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward.cli._app import app
from mcpward.cli._common import check_format, exit_on, fail, say, severity_threshold, write_output

if TYPE_CHECKING:
    from mcpward.sandbox import Profile


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
        bool,
        typer.Option(
            "--run",
            help="Also start stdio servers to ask them: this runs their code, in the sandbox (no "
            "network, none of your files, an empty home); refused where no sandbox backend works.",
        ),
    ] = False,
    run_unsandboxed: Annotated[
        bool,
        typer.Option(
            "--run-unsandboxed",
            help="As --run, but start them as you, unconfined: their code reads your files and "
            "reaches the network.",
        ),
    ] = False,
    sandbox_profile: Annotated[
        Path | None,
        typer.Option(
            "--sandbox-profile",
            help="With --run: start the stdio servers in the sandbox with this profile (TOML, as "
            "`mcpward sandbox run --profile`): the hosts, mounts and variables it names, no more.",
            metavar="FILE",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds allowed per server.", min=0.1)] = 20.0,
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

    from mcpward.inspect import (
        InspectOptions,
        PinStoreError,
        ServerTarget,
        load_run_profile,
        run_inspect,
        targets_from_scan,
    )
    from mcpward.model import ScanError
    from mcpward.output import format_names

    check_format(output_format, format_names("inspect"))
    threshold = severity_threshold(fail_on)
    if results is not None:
        if tools_file or url or sse_url or scan or pin:
            raise fail(
                "--results is checked on its own: give it without --tools-file, --url, --scan or --pin"
            )
        from mcpward.inspect import ResultsError, inspect_results

        try:
            checked = inspect_results(results)
        except ResultsError as exc:
            raise fail(str(exc)) from None
        write_output(checked, output_format, output)
        exit_on(checked, threshold)
        return
    headers: dict[str, str] = {}
    for item in header or ():
        name, _, variable = item.partition(":")
        if not name or not variable:
            raise fail(f"--header {item!r}: expected NAME:ENV_VAR")
        if variable.strip() not in os.environ:
            raise fail(f"--header {name}: environment variable {variable.strip()} is not set")
        headers[name.strip()] = os.environ[variable.strip()]
    if bearer_env:
        if bearer_env not in os.environ:
            raise fail(f"--bearer-env: environment variable {bearer_env} is not set")
        headers["Authorization"] = f"Bearer {os.environ[bearer_env]}"
    targets = [ServerTarget(address, "http", url=address, headers=headers) for address in url or ()]
    targets += [ServerTarget(address, "sse", url=address, headers=headers) for address in sse_url or ()]
    skipped: list[ScanError] = []
    if sandbox_profile is not None and (run_unsandboxed or not (scan and run)):
        raise fail("--sandbox-profile is the sandbox of --scan --run (--run-unsandboxed has none)")
    if scan:
        from mcpward.sandbox.interface import SandboxError

        try:
            # Checked before any server starts: a profile that cannot be used stops the look.
            profile = load_run_profile(sandbox_profile) if sandbox_profile is not None else None
        except SandboxError as exc:
            raise fail(" ".join(str(exc).split())) from None
        if profile is not None:
            say(f"mcpward: stdio servers run in the sandbox with {_grants(profile)}", err=True)
        try:
            found, skipped = targets_from_scan(
                run_stdio=run or run_unsandboxed, sandboxed=not run_unsandboxed, profile=profile
            )
        except SandboxError as exc:
            why = " ".join(str(exc).split())  # one line, whatever a backend's reason holds
            raise fail(f"--run starts stdio servers in the sandbox, and {why}; "
                       "--run-unsandboxed starts them as you, unconfined") from None  # fmt: skip
        targets += found
    if not (tools_file or targets or skipped):
        raise fail("nothing to inspect: give --tools-file, --url, --sse-url or --scan")
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
        raise fail(str(exc)) from None
    if skipped:
        from dataclasses import replace

        report = replace(report, errors=report.errors + tuple(skipped))
    write_output(report, output_format, output)
    exit_on(report, threshold)


def _grants(profile: Profile) -> str:
    """What a profile grants beyond the sandbox's default, in one line: what the look allows
    is said before any server starts."""
    resolved = [f"{name} at {address}" for name, address in profile.network.resolve.items()]
    granted = [
        ("network", list(profile.network.allow)),
        # A name mapped to an address is how a server reaches loopback or a private network.
        ("reaching", resolved),
        ("read", [str(path) for path in profile.files.read]),
        ("write", [str(path) for path in profile.files.write]),
        ("variables", [*profile.env.allow, *profile.env.secrets]),
    ]
    said = [f"{kind} {', '.join(items)}" for kind, items in granted if items]
    if profile.inspect.enabled:
        said.append("its TLS opened by the proxy's own authority (trusted inside)")
    return "; ".join(said) if said else "nothing more than the default (no network, none of your files)"
