"""``mcpward report``: documents for the people who govern MCP servers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward.cli._app import report_app
from mcpward.cli._common import DatabaseOption, check_format, emit, fail, open_registry, write_file
from mcpward.errors import ExitCode

if TYPE_CHECKING:
    from mcpward.registry import ObservedServer


@report_app.command("audit")
def report_audit(
    since: Annotated[str, typer.Option(help="The period: 90d, 12w, 6m, 1y.")] = "90d",
    output_format: Annotated[str, typer.Option("--format", "-f", help="md, html or json.")] = "md",
    audit_log: Annotated[
        Path | None,
        typer.Option(help="The gateway's audit log (default: the user data folder's).", metavar="FILE"),
    ] = None,
    previous: Annotated[
        Path | None, typer.Option(help="A previous JSON audit report, for trends.", metavar="FILE")
    ] = None,
    local: Annotated[
        bool, typer.Option("--local", help="Also scan this machine and include its servers.")
    ] = False,
    database: DatabaseOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
) -> None:
    """The quarterly MCP audit: fleet servers and their approval, unpinned, drifted and revoked
    servers, reviews expired or due, advisories, unused servers, tool changes, DLP events,
    egress denials and baseline alerts from the gateway's audit log, and trends."""

    from mcpward.gateway import default_audit_log
    from mcpward.report.audit import (
        build_audit,
        observed_here,
        parse_since,
        render_html,
        render_json,
        render_markdown,
    )

    check_format(output_format, ("md", "html", "json"))
    try:
        period = parse_since(since)
    except ValueError as exc:
        raise fail(str(exc)) from None
    before = None
    if previous is not None:
        import codecs

        from mcpward._documents import DocumentError, read_raw
        from mcpward.report.audit import PREVIOUS_HEAD, previous_summary

        try:
            # The bounded reader: a FIFO blocked the report forever and /dev/zero ran it out of
            # memory; JSON nested thousands of levels deep exhausted the parser's stack. Only its
            # start, up to the summary, is decoded: the whole file (256 MiB of empty lists) took
            # gigabytes of memory.
            head = read_raw(previous, PREVIOUS_HEAD, head=True)
            summary = previous_summary(codecs.getincrementaldecoder("utf-8")().decode(head))
        except DocumentError as exc:
            raise fail(f"--previous {previous}: {exc}") from None
        except (ValueError, RecursionError) as exc:
            raise fail(f"--previous {previous}: not a JSON audit report ({type(exc).__name__})") from None
        # Another JSON document (a list, a scan report) was an internal error (exit 70), or a
        # report whose every "before" column was empty.
        if summary is None:
            raise fail(f"--previous {previous}: not a JSON audit report (no summary)")
        before = {"summary": summary}
    log = audit_log or default_audit_log()
    # A log named on the command line must be there: a misspelt path made a report of no calls,
    # no tool changes and no egress denials, with nothing said (the default log may be absent:
    # no gateway ran here).
    if audit_log is not None and not audit_log.is_file():
        raise fail(f"--audit-log {audit_log}: {'not a file' if audit_log.exists() else 'no such file'}")
    here: list[tuple[str, ObservedServer]] = []
    if local:
        import socket

        from mcpward.scan import ScanOptions, run_scan

        machine = socket.gethostname() or "this machine"
        scanned = run_scan(ScanOptions()).servers
        here = [(machine, server) for server in observed_here(spec for spec in scanned if not spec.disabled)]
    registry = open_registry(database)
    try:
        document = build_audit(
            registry,
            since=period,
            audit_log=log if log.exists() else None,
            previous=before,
            local=here,
        )
    except OSError as exc:
        raise fail(f"cannot read the audit log {log}: {exc.strerror or exc}") from None
    renderers = {"json": render_json, "md": render_markdown, "html": render_html}
    text = renderers[output_format](document)
    emit(text, output)


@report_app.command("questionnaire")
def report_questionnaire(
    answer: Annotated[
        bool,
        typer.Option("--answer", help="Fill it in for this organisation from the registry and inventory."),
    ] = False,
    output_format: Annotated[str, typer.Option("--format", "-f", help="md, csv or xlsx.")] = "md",
    database: DatabaseOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
) -> None:
    """The MCP section of a third-party risk questionnaire: blank, to send to vendors, or
    answered with evidence (--answer), to answer customers."""
    from mcpward.report.questionnaire import questionnaire, render_csv, render_markdown, render_xlsx

    check_format(output_format, ("md", "csv", "xlsx"))
    document = None
    if answer:
        from datetime import timedelta

        from mcpward.report.audit import build_audit

        # The audit report's own model: the two documents cannot disagree on a number.
        document = build_audit(open_registry(database), since=timedelta(days=90))
        # Answers sent to customers as evidence: not from a registry whose tables were edited
        # around mcpward (the audit report shows the same problem first under "Act on").
        if not document["registry_trail"]["verified"]:
            raise fail(
                "the registry's audit trail does not verify, so its records cannot answer "
                f"for this organisation: {document['registry_trail']['problem']}",
                ExitCode.FINDINGS,
            )
    questions = questionnaire(document)
    if output_format == "xlsx":
        if output is None:
            raise fail("--format xlsx needs --output FILE")
        write_file(output, render_xlsx(questions))
        return
    text = render_csv(questions) if output_format == "csv" else render_markdown(questions)
    emit(text, output)


@report_app.command("sbom")
def report_sbom(
    database: DatabaseOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
) -> None:
    """The approved servers and their packages, as a CycloneDX 1.6 BOM (JSON)."""
    from datetime import UTC, datetime

    from mcpward.registry import Status
    from mcpward.report.sbom import approved_sbom

    registry = open_registry(database)
    registry.expire_due()
    text = approved_sbom(registry.entries(status=Status.APPROVED), datetime.now(UTC))
    emit(text, output)
