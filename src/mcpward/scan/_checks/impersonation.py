"""``impersonation``: package and image names that imitate official MCP packages or vendors.

Look-alike characters (``@modeIcontextprotocol``) and scope look-alikes are critical, a name one
or two edits from an official one is high, and an unscoped npm name carrying a vendor's brand
(``postmark-mcp``), or a scope joining a brand or an official scope to ``mcp``
(``@stripe-mcp/server``), or a brand dressed as the vendor's (``postmarkmcp``, ``@postmarkhq``),
is medium: it may be a community package, but its publisher must be
checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpward.identity import NameRiskKind, assess_name
from mcpward.model import Category, Ecosystem, Finding, PackageRef, Severity
from mcpward.scan.interface import ConfigCheck, ServerContext

_SEVERITY = {
    NameRiskKind.HOMOGLYPH: Severity.CRITICAL,
    NameRiskKind.SCOPE_LOOKALIKE: Severity.CRITICAL,
    NameRiskKind.TYPOSQUAT: Severity.HIGH,
    NameRiskKind.BRAND: Severity.MEDIUM,
}


def _packages(server: ServerContext) -> list[PackageRef]:
    packages = [server.launch.package] if server.launch.package else []
    packages += list(server.spec.dependencies)
    return [p for p in packages if p.ecosystem in (Ecosystem.NPM, Ecosystem.PYPI, Ecosystem.OCI)]


class Impersonation(ConfigCheck):
    category = Category.IMPERSONATION

    def check(self, server: ServerContext) -> Iterator[Finding]:
        for package in _packages(server):
            for risk in assess_name(package.ecosystem, package.name):
                if risk.kind is NameRiskKind.BRAND:
                    remediation = (
                        f"Check who publishes {package.name}; prefer the vendor's own "
                        f"package under its official scope if one exists."
                    )
                else:
                    remediation = (
                        f"Do not run it. Replace it with {risk.imitates} if that is what "
                        "was meant, and check what the look-alike did while it ran."
                    )
                yield server.finding(
                    rule=f"impersonation-{risk.kind.value}",
                    category=self.category,
                    severity=_SEVERITY[risk.kind],
                    message=f"{package.ecosystem.value} package: {risk.detail}.",
                    evidence=package.display,
                    remediation=remediation,
                )
