"""``mcpward audit``: the gateway's call-level audit log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward.cli._app import audit_app
from mcpward.cli._common import fail
from mcpward.errors import ExitCode

if TYPE_CHECKING:
    pass


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
    from mcpward.gateway import anchor_paths, check_audit_log, default_audit_log

    target = path or default_audit_log()
    if not target.exists() and not any(anchor.exists() for anchor in anchor_paths(target)):
        # A misspelt path is not a break of the chain (exit 1); a log deleted beside its key
        # and head still is.
        raise fail(f"{target}: no such audit log")
    if target.exists() and not target.is_file():
        # A FIFO blocked the check forever and /dev/zero (one endless line) ran it out of memory.
        raise fail(f"{target}: not a file")
    verdict = check_audit_log(target)
    if verdict.problem:
        raise fail(
            f"{target}: {verdict.problem} ({verdict.count} records verified before it)", ExitCode.FINDINGS
        )
    if not verdict.anchored and not unanchored:
        raise fail(
            f"{target}: {verdict.count} records, chain intact but NOT anchored: there is no key "
            f"{anchor_paths(target)[0]}, so records removed from its end, a recomputed chain or an "
            "emptied log would not show (--unanchored accepts this)",
        )
    summary = f"{target}: {verdict.count} records, chain intact"
    if verdict.anchored and verdict.head is not None:
        summary += f" and anchored (its head names record {verdict.head.seq})"
    if verdict.incomplete_lines:
        lines = ", ".join(map(str, verdict.incomplete[:10]))
        summary += (
            f"; {verdict.incomplete_lines} incomplete line(s) skipped, cut short by a writer that "
            f"died (their calls were not forwarded): line {lines}"
        )
    typer.echo(summary)


@audit_app.command("mirror")
def audit_mirror(
    path: Annotated[Path | None, typer.Argument(help="Audit log (default: the user data folder's).")] = None,
    database: Annotated[
        str, typer.Option(help="The registry database (`local` or a URL) the records are mirrored into.")
    ] = "local",
) -> None:
    """Mirror into the registry database the records of an audit log that it lacks (those a
    gateway wrote but had not mirrored when it was killed, or during a database outage). Records
    already there are not added again; a log whose chain does not hold is not mirrored."""
    from mcpward.gateway import AuditMirrorError, default_audit_log, mirror_audit_log
    from mcpward.registry import RegistryError

    target = path or default_audit_log()
    if not target.is_file():
        raise fail(f"{target}: no such audit log")
    try:
        added = mirror_audit_log(target, database)
    except (AuditMirrorError, RegistryError) as exc:
        raise fail(str(exc), ExitCode.FINDINGS) from None
    typer.echo(f"{target}: {added} record(s) added to the registry")
