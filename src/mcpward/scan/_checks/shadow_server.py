"""``shadow-server``: an MCP server running or listening on the machine that no configuration
file, project or platform on it declares (``scan --processes``, ``--probe-ports``)."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward.model import Category, Finding, Severity
from mcpward.scan.interface import ConfigCheck, ServerContext


class ShadowServer(ConfigCheck):
    category = Category.SHADOW_SERVER

    def check(self, server: ServerContext) -> Iterator[Finding]:
        process = server.raw.process
        if process is None or process.configured_as:
            return
        started_by = f", started by {process.parent}" if process.parent else ""
        yield server.finding(
            rule="unconfigured-server",
            category=self.category,
            severity=Severity.MEDIUM,
            message="This MCP server is running but no configuration scanned declares it"
            f"{started_by}: it was started by hand, by a script, or by a client whose "
            "configuration is kept elsewhere, and nobody reviews it with the others.",
            evidence=server.spec.name,
            remediation="Find out who runs it; declare it in a reviewed configuration (and the "
            "registry) or stop it.",
        )
