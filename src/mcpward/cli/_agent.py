"""``mcpward agent``: install, run and remove the scheduled scan that reports to the registry."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from mcpward.cli._app import agent_app
from mcpward.cli._common import fail, say


@agent_app.command("install")
def agent_install(
    registry: Annotated[str, typer.Option(help="The registry server's URL.", metavar="URL")],
    token_file: Annotated[
        str,
        typer.Option(
            help="The API token's file on the machine (owner-only; requester role).", metavar="PATH"
        ),
    ],
    platform: Annotated[str, typer.Option(help="linux (systemd), macos (launchd) or windows.")] = "linux",
    root: Annotated[Path, typer.Option(help="Write under DIR instead of /.", metavar="DIR")] = Path("/"),
    user: Annotated[str, typer.Option(help="The service account it runs as.", metavar="NAME")] = "mcpward",
    interval: Annotated[int, typer.Option(help="Minutes between runs.", metavar="MIN")] = 360,
    jitter: Annotated[int, typer.Option(help="Most minutes a run is delayed.", metavar="MIN")] = 30,
    homes_under: Annotated[
        list[str] | None,
        typer.Option(
            help="Scan the subfolders of DIR as homes (default: every account's home).", metavar="DIR"
        ),
    ] = None,
    command: Annotated[
        str | None,
        typer.Option(
            help="How the scheduler starts mcpward (default /usr/bin/mcpward; for Windows, give "
            "the path of mcpward.exe).",
            metavar="PATH",
        ),
    ] = None,
) -> None:
    """Write the agent's settings and its scheduler's files (a systemd service and timer, a
    launchd daemon, a Windows task), and print the commands that enable them."""
    from pydantic import ValidationError

    from mcpward.agent import AgentConfig, AgentError, install, scheduler

    if command is None:
        if platform == "windows":  # no place mcpward.exe is known to be
            raise fail("--command: the path of mcpward.exe is needed for a Windows task")
        command = "/usr/bin/mcpward"
    try:
        # As the platform writes a command line: on Windows, backslashes are path separators.
        words = scheduler(platform).split_command(command)
    except AgentError as exc:  # an unknown platform
        raise fail(str(exc)) from None
    except ValueError as exc:  # an unclosed quote: the user's to fix, not an internal error
        raise fail(f"--command: {exc}") from None
    try:
        config = AgentConfig(
            registry=registry,
            token_file=token_file,
            user=user,
            interval_minutes=interval,
            jitter_minutes=jitter,
            homes_under=tuple(homes_under or ()),
            command=tuple(words) or ("mcpward",),
        )
        written, enable = install(config, platform, root)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    except AgentError as exc:
        raise fail(str(exc)) from None
    for path in written:
        typer.echo(f"wrote {path}")
    for line in enable:
        typer.echo(f"then run: {shlex.join(line)}")


@agent_app.command("run")
def agent_run(
    config: Annotated[Path, typer.Option(help="The agent's settings.", metavar="FILE")] = Path(
        "/etc/mcpward/agent.toml"
    ),
    no_jitter: Annotated[
        bool, typer.Option("--no-jitter", help="Start at once (the scheduler already delays the run).")
    ] = False,
) -> None:
    """Scan every home and report each to the registry as its own fleet record; reports that
    cannot be sent are spooled and sent, once, by a later run."""
    from mcpward.agent import AgentConfig, AgentError, run
    from mcpward.registry import RegistryError

    try:
        outcome = run(AgentConfig.load(config), jitter=not no_jitter)
    except (AgentError, RegistryError) as exc:
        raise fail(str(exc)) from None
    for home in outcome.delivered:
        say(f"delivered the spooled report of {home}", err=True)
    for home in outcome.reported:
        say(f"reported {home}", err=True)
    for home in outcome.spooled:
        say(f"spooled {home}", err=True)
    for problem in outcome.problems:
        say(f"mcpward: {problem}", err=True)


@agent_app.command("remove")
def agent_remove(
    platform: Annotated[str, typer.Option(help="linux, macos or windows.")] = "linux",
    root: Annotated[Path, typer.Option(help="Under DIR instead of /.", metavar="DIR")] = Path("/"),
) -> None:
    """Delete the agent's settings and scheduler files (disable the timer or task first)."""
    from mcpward.agent import AgentError, remove

    try:
        removed = remove(platform, root)
    except AgentError as exc:
        raise fail(str(exc)) from None
    for path in removed:
        typer.echo(f"removed {path}")
    if not removed:
        typer.echo("nothing to remove")
