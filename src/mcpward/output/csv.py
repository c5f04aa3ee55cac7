"""``--format csv``: one row per server with its package and a summary of its findings, for a
spreadsheet inventory. Cells that a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import csv
from collections import defaultdict
from typing import TextIO

from mcpward.model import Finding, Report, Severity
from mcpward.output.interface import OutputFormat

COLUMNS = (
    "host",
    "scope",
    "name",
    "config_path",
    "project",
    "transport",
    "command",
    "args",
    "url",
    "package_ecosystem",
    "package_name",
    "package_version",
    "package_pinned",
    "env_names",
    "header_names",
    "owner",
    "repository",
    "disabled",
    "max_severity",
    "finding_rules",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A config written by anyone must not become a formula in the security team's spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class CsvFormat(OutputFormat):
    name = "csv"
    renders = frozenset({"scan"})  # one row per server: an inventory

    def write(self, report: Report, out: TextIO, *, terminal: bool = False) -> None:
        by_server: dict[str, list[Finding]] = defaultdict(list)
        for finding in report.findings:
            if finding.server_id:
                by_server[finding.server_id].append(finding)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for server in report.servers:
            findings = by_server.get(server.id, [])
            worst = max((f.severity for f in findings), key=lambda s: s.rank, default=None)
            package = server.package
            row = (
                server.host,
                server.scope.value,
                server.name,
                server.config_path,
                server.project,
                server.transport.value if server.transport else "",
                server.command,
                " ".join(server.args),
                server.url,
                package.ecosystem.value if package else "",
                package.name if package else "",
                package.version if package else "",
                str(package.pinned).lower() if package else "",
                " ".join(server.env_names),
                " ".join(server.header_names),
                server.owner,
                server.repository,
                str(server.disabled).lower(),
                worst.value if isinstance(worst, Severity) else "",
                " ".join(sorted({f.rule for f in findings})),
            )
            writer.writerow([safe_cell(v) for v in row])
