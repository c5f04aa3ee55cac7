"""``mcpward wrap`` and ``unwrap``: client configs routed through the gateway."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward.cli._app import app
from mcpward.cli._common import fail, say
from mcpward.errors import ExitCode

if TYPE_CHECKING:
    pass


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
    keeping a backup of each file; `mcpward unwrap` restores them (edits made since kept)."""
    from mcpward.gateway import wrap
    from mcpward.scan import ScanOptions, host_ids

    unknown = sorted(set(host or ()) - set(host_ids()))
    if unknown:
        raise fail(f"unknown --host {', '.join(unknown)}; known: {', '.join(host_ids())}")
    # Absolute, links not resolved: a link planted under that name is replaced, not written through.
    secrets = Path(os.path.abspath(move_secrets.expanduser())) if move_secrets else None
    if move_secrets is not None and "#" in str(secrets):
        # The entry names the file as ``file:PATH#KEY``, which the gateway cuts at the first ``#``.
        raise fail(f"--move-secrets {move_secrets}: a path holding '#' cannot be named to the gateway")
    options = ScanOptions(home=home, hosts=frozenset(host) if host else None)
    outcome = wrap(
        options,
        _wrap_backups(),
        config=config.resolve() if config else None,
        dry_run=dry_run,
        secrets_file=secrets,
    )
    for path, name in outcome.wrapped:
        say(f"{'would wrap' if dry_run else 'wrapped'} {name} in {path}")
    for path, name, variable in outcome.moved:
        say(f"{'would move' if dry_run else 'moved'} the literal secret {variable} of {name} in {path}")
    for path, name, variable, why in outcome.kept:
        say(f"kept the literal secret {variable} of {name} in {path}: {why}")
    for path, name, why in outcome.skipped:
        say(f"skipped {name} in {path}: {why}")
    if not outcome.wrapped:
        typer.echo("nothing to wrap")


@app.command("unwrap")
def unwrap_configs(
    force: Annotated[
        bool, typer.Option("--force", help="Restore the original bytes, dropping edits made since wrap.")
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option(help="Only the configs under DIR (as `wrap --home DIR` chose them).", metavar="DIR"),
    ] = None,
) -> None:
    """Restore every config `mcpward wrap` changed: byte for byte, or only its wrapped entries where
    the file was edited since."""
    from mcpward.gateway import unwrap

    if home is not None and not home.is_dir():
        raise fail(f"--home {home}: not a directory")
    restored, problems = unwrap(_wrap_backups(), force=force, home=home)
    for path in restored:
        say(f"restored {path}")
    for problem in problems:
        say(f"mcpward: {problem}", err=True)
    if problems:
        raise typer.Exit(ExitCode.FINDINGS)
    if not restored:
        typer.echo("nothing to restore")
