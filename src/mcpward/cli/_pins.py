"""``mcpward pins``: tool signature pins the gateway enforces."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward.cli._app import pins_app
from mcpward.cli._common import fail, say
from mcpward.errors import ExitCode

if TYPE_CHECKING:
    pass


@pins_app.command("approve")
def pins_approve(
    server: Annotated[str, typer.Argument(help="The server's name, as the gateway calls it.")],
    tool: Annotated[
        list[str] | None,
        typer.Option(
            "--tool",
            help="Only this tool (repeatable); `instructions`: the server's own "
            "(`tool:NAME` or `instructions:instructions` when one name fits both).",
        ),
    ] = None,
    sha256: Annotated[
        list[str] | None,
        typer.Option(
            "--sha256",
            help="The version reviewed (repeatable): the whole sha256 (64 hex digits) that the "
            "withheld item's event in the audit log shows; if what waits now is another version "
            "(the server changed it since), nothing is approved.",
        ),
    ] = None,
    store: Annotated[Path | None, typer.Option(help="Pin store (default: the user data folder's).")] = None,
    database: Annotated[
        str | None,
        typer.Option(help="The registry database the gateways share pins in (`local` or a URL), not a file."),
    ] = None,
) -> None:
    """Approve the tool (and instructions) changes the gateway withheld (review the diff in the
    audit log first)."""
    from mcpward.gateway import approve_pins
    from mcpward.inspect import PinStoreError, default_pin_store
    from mcpward.registry import RegistryError

    try:
        approved = approve_pins(
            store or default_pin_store(),
            server,
            list(tool) if tool else None,
            database=database,
            actor=getpass.getuser(),
            expected=list(sha256) if sha256 else None,
        )
    except (PinStoreError, RegistryError) as exc:
        raise fail(str(exc)) from None
    if not approved:
        raise fail(f"no tool change of {server} is waiting for approval", ExitCode.FINDINGS)
    say(f"approved {', '.join(approved)} of {server}")  # the server names its tools
