"""The ``mcpward`` command: a package of thin command groups, one module each, that parse
arguments and call the parts; nothing else lives here.

``_app`` holds the root application, ``_common`` what the groups share (exit codes, one-line
failures, output formats, progress); each other module registers its commands on import.
"""

from __future__ import annotations

import sys

import typer

# Each module adds its commands when imported; the top-level commands are listed by help in
# this order.
# isort: off
from mcpward.cli import _scan, _vet, _inspect, _wrap  # noqa: F401
from mcpward.cli import _data, _dlp, _registry, _gateway, _audit, _sandbox, _report, _pins  # noqa: F401
from mcpward.cli import _enforce, _agent  # noqa: F401

# isort: on
from mcpward.cli._app import app
from mcpward.errors import ExitCode, McpwardError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: no traceback ever reaches the user; an unexpected error is one line."""
    from mcpward._lazy_typer import lazy_command

    try:
        # Only the invoked command is built (Typer would build all of them: ~45 ms a start).
        lazy_command(app)(args=argv, prog_name="mcpward", standalone_mode=True)
    except KeyboardInterrupt:
        typer.echo("mcpward: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except SystemExit:
        raise
    except McpwardError as exc:  # one a command did not word itself: its message is for the user
        from mcpward.cli._common import say

        say(f"mcpward: {exc}", err=True)  # it may name what a server or a config said
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - last line of defence against tracebacks
        from mcpward.cli._common import say
        from mcpward.dlp import redact_text

        say(
            f"mcpward: internal error ({type(exc).__name__}): {redact_text(str(exc))[:300]}"
            " - please report it",
            err=True,
        )
        sys.exit(ExitCode.INTERNAL)
