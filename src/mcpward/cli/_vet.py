"""``mcpward vet``: a package judged before approval."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward.cli._app import app
from mcpward.cli._common import check_format, fail, write_output
from mcpward.errors import ExitCode

if TYPE_CHECKING:
    pass


@app.command()
def vet(
    target: Annotated[
        str, typer.Argument(help="npm:NAME@VERSION, pypi:NAME==VERSION, or a .tgz/.whl/.tar.gz/folder.")
    ],
    baseline: Annotated[
        str | None,
        typer.Option(
            help="Compare with this version or archive (default: the previous published release).",
            metavar="OTHER",
        ),
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Use only the package cache.")] = False,
    cache_dir: Annotated[Path | None, typer.Option(help="Package cache folder.", metavar="DIR")] = None,
    time_limit: Annotated[
        float,
        typer.Option(
            min=1,
            max=3600,
            metavar="SECONDS",
            help="Seconds the code analysis may take; code left unread is reported, never passed.",
        ),
    ] = 30.0,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, json or sarif.")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE.", metavar="FILE")
    ] = None,
) -> None:
    """Judge an MCP server package before approval: identity, provenance, code, version diff.
    Exits 0 on pass, 1 on review, 4 on block. Never runs or imports the package."""
    from mcpward.output import format_names
    from mcpward.vet import VetError, VetOptions, run_vet

    check_format(output_format, format_names("vet"))
    try:
        report = run_vet(
            VetOptions(
                target=target,
                baseline=baseline,
                offline=offline,
                cache_dir=cache_dir,
                analysis_seconds=time_limit,
            )
        )
    except VetError as exc:
        raise fail(str(exc)) from None
    write_output(report, output_format, output)
    raise typer.Exit(
        {"pass": 0, "review": ExitCode.FINDINGS, "block": ExitCode.BLOCK}[report.verdict or "pass"]
    )
