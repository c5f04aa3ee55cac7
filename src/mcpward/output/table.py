"""``--format table`` (the default): servers grouped by host, then findings, then errors.

Every value from a config is rendered as plain text, never as rich markup, with control and
invisible characters escaped (``printable``), so a hostile config cannot restyle or rewrite the
terminal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, TextIO

from mcpward.model import Finding, Report, ServerSpec, Severity
from mcpward.output.interface import OutputFormat
from mcpward.output.text import one_line, printable
from mcpward.output.words import counted

if TYPE_CHECKING:  # rich costs 30 ms to import: only this format needs it
    from rich.console import Console
    from rich.text import Text

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def plain(value: object, limit: int = 200) -> Text:
    from rich.text import Text

    # one_line: a server "github " beside "github", or one spaced with U+3000, read as one.
    text = one_line("" if value is None else value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return Text(text)


def _launch(server: ServerSpec) -> str:
    if server.url:
        return server.url
    return " ".join([server.command or "", *server.args]).strip() or "(provided by an extension)"


class TableFormat(OutputFormat):
    name = "table"

    def write(self, report: Report, out: TextIO, *, terminal: bool = False) -> None:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        console = Console(
            file=out,
            force_terminal=terminal,
            no_color=not terminal,
            width=None if terminal else 160,
            highlight=False,
            soft_wrap=False,
        )
        worst: dict[str, Severity] = {}
        for finding in report.findings:
            if finding.server_id and (
                finding.server_id not in worst or finding.severity.rank > worst[finding.server_id].rank
            ):
                worst[finding.server_id] = finding.severity
        by_host: dict[str, list[ServerSpec]] = defaultdict(list)
        for server in report.servers:
            by_host[server.host].append(server)
        if report.verdict is not None:
            style = {"pass": "bold green", "review": "bold yellow", "block": "bold white on red"}[
                report.verdict
            ]
            # The subject is what was examined, as it names itself: a local archive's own
            # package.json chose it, and its OSC 52 wrote the clipboard of the user vetting it.
            line = Text(f"{report.command} {printable(report.subject)}: ")
            line.append(report.verdict.upper(), style=style)
            console.print(line)
        elif not report.servers and report.command == "scan":
            console.print(Text(f"No MCP servers found ({printable(report.subject)})."))
        for host in sorted(by_host):
            table = Table(
                title=Text(f"{printable(host)} ({len(by_host[host])})", style="bold"),
                title_justify="left",
                show_lines=False,
                expand=False,
            )
            for column in ("server", "scope", "transport", "package", "launch", "config", "risk"):
                table.add_column(column, overflow="fold")
            for server in by_host[host]:
                severity = worst.get(server.id)
                risk = Text(severity.value, style=SEVERITY_STYLE[severity]) if severity else Text("-")
                name = plain(server.name)
                if server.disabled:
                    name.append(" (disabled)", style="dim")
                table.add_row(
                    name,
                    plain(server.scope.value),
                    plain(server.transport.value if server.transport else "-"),
                    plain(server.package.display if server.package else "-", 60),
                    plain(_launch(server), 80),
                    plain(_short_path(server), 80),
                    risk,
                )
            console.print(table)
        if report.findings:
            self._findings(console, report.findings)
        if report.errors:
            # inspect's are mostly servers (a launch line, a URL) that could not be asked.
            what = "Servers and files" if report.command == "inspect" else "Files"
            console.print(Text(f"{what} that could not be read", style="bold"))
            for error in report.errors:
                line = plain(error.path, 300)
                line.append(f": {printable(error.message)}")
                console.print(line)
        counts = Counter(f.severity for f in report.findings)
        summary = ", ".join(f"{counts[s]} {s.value}" for s in reversed(Severity) if counts[s])
        servers = f"{counted(len(report.servers), 'server')}, " if report.command == "scan" else ""
        if report.examined:
            examined = dict(report.examined)
            pinned = examined.pop("pinned", None)
            nouns = {"servers": "server", "items": "item"}
            done = "Inspected " + ", ".join(counted(n, nouns.get(k, k)) for k, n in examined.items())
            if pinned is not None:
                done += f"; pinned {counted(pinned, 'item')}"
            console.print(Text(done + "."))
        console.print(
            Text(
                f"{servers}{counted(len(report.findings), 'finding')}"
                f"{' (' + summary + ')' if summary else ''}, {counted(len(report.errors), 'error')}."
            )
        )

    @staticmethod
    def _findings(console: Console, findings: tuple[Finding, ...]) -> None:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text("Findings", style="bold"), title_justify="left", expand=False)
        # Host and server columns only where a finding has one (vet and dlp findings do not).
        with_host = any(finding.host for finding in findings)
        with_server = any(finding.server for finding in findings)
        columns = ["severity", "rule", *(["host"] if with_host else []), *(["server"] if with_server else [])]
        for column in (*columns, "finding"):
            table.add_column(column, overflow="fold")
        fixes: dict[str, list[str]] = {}  # each fix and the rules that give it
        for finding in findings:
            message = plain(finding.message, 300)
            if finding.evidence:
                message.append("\n")
                message.append_text(plain(finding.evidence, 160))
                message.stylize("dim", len(message) - len(plain(finding.evidence, 160)))
            if finding.remediation:
                rules = fixes.setdefault(finding.remediation, [])
                if finding.rule not in rules:
                    rules.append(finding.rule)
            table.add_row(
                Text(finding.severity.value, style=SEVERITY_STYLE[finding.severity]),
                plain(finding.rule),
                *([plain(finding.host or "-")] if with_host else []),
                *([plain(finding.server or "-")] if with_server else []),
                message,
            )
        console.print(table)
        # Each fix once, after the table: on every row it took half of a scan's lines.
        if fixes:
            console.print(Text("How to fix", style="bold"))
            for remediation, rules in fixes.items():
                line = plain(", ".join(rules))
                line.stylize("bold")
                line.append(": ")
                line.append_text(plain(remediation, 300))
                console.print(line)


def _short_path(server: ServerSpec) -> str:
    path = server.config_path
    return f"{path}:{server.line}" if server.line else path
