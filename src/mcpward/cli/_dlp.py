"""``mcpward dlp``: secrets and personal data in text or JSON."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from mcpward.cli._app import dlp_app
from mcpward.cli._common import check_format, exit_on, fail, severity_threshold, write_file, write_output
from mcpward.errors import ExitCode

if TYPE_CHECKING:
    pass


@dlp_app.command("scan")
def dlp_scan(
    source: Annotated[str, typer.Argument(help="A file, or - for standard input: text or JSON.")],
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, json or sarif.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
    fail_on: Annotated[str | None, typer.Option("--fail-on", metavar="SEVERITY")] = None,
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy", help="A DLP policy (TOML): custom rules, allow-lists, actions.", metavar="FILE"
        ),
    ] = None,
    tool: Annotated[
        str | None,
        typer.Option("--tool", help="Use the policy's settings for this tool (server.tool).", metavar="NAME"),
    ] = None,
    redacted_output: Annotated[
        Path | None,
        typer.Option(
            "--redacted",
            help="Also write the content with its matches masked (with a policy: those to redact or block).",
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Find secrets and personal data; JSON input is scanned string by string with field paths.
    Exits 4 when a policy's action for a finding is block."""
    from mcpward.dlp.policy import PolicyError, load_policy
    from mcpward.dlp.report import scan_content
    from mcpward.output import format_names

    check_format(output_format, format_names("dlp"))
    threshold = severity_threshold(fail_on)
    if tool is not None and policy_file is None:
        # Without a policy there are no tool settings: the option was ignored, nothing said.
        raise fail("--tool is used with --policy (it picks that policy's settings for a tool)")
    try:
        policy = load_policy(policy_file) if policy_file is not None else None
    except PolicyError as exc:
        raise fail(f"policy not used: {exc}") from None
    try:
        data = _read_source(source)
    except OSError as exc:
        raise fail(f"cannot read {source}: {exc.strerror or exc}") from None
    scanned = scan_content(data, "standard input" if source == "-" else source, policy, tool)
    report = scanned.report
    if redacted_output is not None:
        write_file(redacted_output, scanned.redacted())
    write_output(report, output_format, output)
    if any(finding.action == "block" for finding in report.findings):
        raise typer.Exit(ExitCode.BLOCK)
    exit_on(report, threshold)


def _read_source(source: str) -> bytes:
    """The bytes to scan: a regular file, or a pipe (standard input, ``<(command)``), read up to
    one byte past the scan's limit (``scan_content`` reports the cut). A device such as
    /dev/zero, or an endless pipe, ran the command out of memory (an internal error)."""
    import os
    import stat

    from mcpward.dlp.report import MAX_INPUT_BYTES

    if source == "-":
        return _read_limited(sys.stdin.buffer, MAX_INPUT_BYTES + 1)
    with Path(source).open("rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            raise OSError(0, "not a file or a pipe")
        return _read_limited(handle, MAX_INPUT_BYTES + 1)


def _read_limited(handle: BinaryIO, limit: int) -> bytes:
    chunks: list[bytes] = []
    while limit > 0 and (chunk := handle.read(min(limit, 1 << 20))):
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)
