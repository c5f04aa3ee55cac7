"""The root ``mcpward`` application and its global options."""

from __future__ import annotations

from typing import Annotated

import typer

from mcpward import __version__

app = typer.Typer(
    name="mcpward",
    help="Govern the MCP servers your organisation's AI assistants use.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    suggest_commands=False,  # click already says "Did you mean ...?"; Typer said it a second time
)


#: The command groups, in the order help lists them; each module of this package adds its
#: group's commands.
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
sandbox_app = typer.Typer(
    help="Run MCP servers with no network but an allow-listed proxy and no files but their mounts.",
    no_args_is_help=True,
)
app.add_typer(sandbox_app, name="sandbox")
report_app = typer.Typer(help="Documents for the people who govern MCP servers.", no_args_is_help=True)
app.add_typer(report_app, name="report")
pins_app = typer.Typer(help="Tool signature pins the gateway enforces.", no_args_is_help=True)
app.add_typer(pins_app, name="pins")
agent_app = typer.Typer(
    help="The scheduled scan of every home on a machine, reported to the registry.", no_args_is_help=True
)
app.add_typer(agent_app, name="agent")


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
