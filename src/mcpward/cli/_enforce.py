"""``mcpward enforce``: the approved registry as each AI client's own managed configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mcpward.cli._app import app
from mcpward.cli._common import fail, write_file


@app.command("enforce")
def enforce(
    root: Annotated[
        Path,
        typer.Option(
            help="Write under DIR: each client's file at its system path below DIR (--format "
            "files), or the MDM payloads in DIR (--format mdm).",
            metavar="DIR",
        ),
    ],
    registry: Annotated[
        str,
        typer.Option(
            help="The registry: 'local', a database URL, or a registry server's URL.", metavar="SOURCE"
        ),
    ] = "local",
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy", help="An exported policy instead of the registry (offline).", metavar="FILE"
        ),
    ] = None,
    registry_url: Annotated[
        str | None,
        typer.Option(
            help="The registry server clients point at (VS Code's MCP gallery; /v0.1 below it).",
            metavar="URL",
        ),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="files or mdm.")] = "files",
    platform: Annotated[str, typer.Option(help="files for linux, macos or windows.")] = "linux",
    client: Annotated[
        list[str] | None, typer.Option("--client", help="Only these clients (repeatable).", metavar="ID")
    ] = None,
    wrap: Annotated[
        bool, typer.Option("--wrap", help="Start each stdio server through the gateway.")
    ] = False,
    gateway_command: Annotated[
        str, typer.Option(help="The gateway's program on the managed machines.", metavar="PATH")
    ] = "mcpward",
    gateway_config: Annotated[
        str | None, typer.Option(help="The gateway config on the managed machines.", metavar="PATH")
    ] = None,
    gateway_url: Annotated[
        str | None,
        typer.Option(
            help="With --wrap: reach remote servers through `gateway serve` at URL (URL/servers/KEY/mcp; "
            "each user's client token in MCPWARD_GATEWAY_TOKEN).",
            metavar="URL",
        ),
    ] = None,
    export_policy: Annotated[
        Path | None,
        typer.Option(help="Also write the policy (for `scan --enforcement`).", metavar="FILE"),
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty",
            help="Write files for a registry with no entry (they disable every MCP server).",
        ),
    ] = False,
) -> None:
    """Compile the approved registry (and its denials) into the managed configuration of Claude
    Code, VS Code (and Insiders), Gemini CLI and Codex. Writes files only; changes no client."""
    from pydantic import ValidationError

    from mcpward.enforce import (
        EnforceError,
        GatewayRoute,
        Platform,
        Policy,
        clients,
        compile_policy,
        managed_files,
        mdm_bundle,
        read_policy,
        write_tree,
    )
    from mcpward.registry import RegistryError, all_entries

    if output_format not in ("files", "mdm"):
        raise fail(f"unknown --format {output_format!r}; choose files or mdm")
    try:
        target = Platform(platform)
    except ValueError:
        raise fail(f"unknown --platform {platform!r}; choose linux, macos or windows") from None
    try:
        clients(client)
        if policy_file is not None:
            policy = read_policy(policy_file)
            if registry_url:
                policy = policy.model_copy(update={"registry_url": registry_url})
                try:
                    policy = Policy.model_validate(policy.model_dump())
                except ValidationError as exc:
                    # Its message alone: the whole error shows the value, a password and all.
                    raise fail(
                        f"--registry-url: {exc.errors()[0]['msg'].removeprefix('Value error, ')}"
                    ) from None
        else:
            entries, today = all_entries(registry)
            if not entries and not allow_empty:
                # An empty registry is most often a mistyped --registry (a new database is
                # created there): its files would turn every client's MCP servers off.
                raise fail(
                    f"the registry {registry} has no entry: its files would disable every MCP server "
                    "(--allow-empty if that is meant)"
                )
            gateway = GatewayRoute((gateway_command,), gateway_config, gateway_url) if wrap else None
            policy = compile_policy(entries, today, registry_url=registry_url, gateway=gateway)
        if output_format == "mdm":
            written = mdm_bundle(policy, root, client)
        else:
            written = write_tree(managed_files(policy, target, client), root)
        if export_policy is not None:
            write_file(export_policy, policy.to_json())
    except (EnforceError, RegistryError) as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(f"--registry-url: {exc}") from None
    for item in written:
        typer.echo(f"wrote {item.path} ({item.client})")
    if policy.registry_url is None and (not client or {"vscode", "vscode-insiders"} & set(client)):
        typer.echo("mcpward: no --registry-url: nothing written for VS Code", err=True)
    allowed, denied = len(policy.allowed), len(policy.denied)
    typer.echo(f"mcpward: {allowed} allowed, {denied} denied", err=True)
