"""``mcpward advisories`` and ``mcpward identity``: the offline data the checks use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward.cli._app import advisories_app, identity_app
from mcpward.cli._common import fail, say

if TYPE_CHECKING:
    pass


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
        raise fail(f"advisories not updated: {exc}") from None
    typer.echo(f"wrote {count} MCP advisories to {written}")


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
        update = update_official(source, destination)
    except IdentityDataError as exc:
        raise fail(f"official list not updated: {exc}") from None
    typer.echo(f"wrote {update.count} official packages to {update.path}")
    if update.left_out:
        # Anyone may publish to a registry: a listed look-alike made official is never reported.
        shown = ", ".join(update.left_out[:20]) + (", ..." if len(update.left_out) > 20 else "")
        say(
            f"left out {len(update.left_out)} listed names that imitate an official package or a "
            f"vendor's brand: {shown}",
            err=True,
        )
