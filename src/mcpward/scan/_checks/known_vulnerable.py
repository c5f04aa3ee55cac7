"""``known-vulnerable``: an exact version with a published advisory in the offline snapshot, or
any version of a package every version of which is affected (a malicious package)."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward.advisories import AdvisoryError, advisories_for
from mcpward.model import Category, Finding, PackageRef, Severity
from mcpward.scan.interface import ConfigCheck, ServerContext


class KnownVulnerable(ConfigCheck):
    category = Category.KNOWN_VULNERABLE

    def check(self, server: ServerContext) -> Iterator[Finding]:
        packages: list[PackageRef] = [server.launch.package] if server.launch.package else []
        packages += [d for d in server.spec.dependencies if d not in packages]
        for package in packages:
            try:
                advisories = advisories_for(package)
            except AdvisoryError as exc:
                # Not checked is not clean: a snapshot that cannot be read was skipped before,
                # and a failed check is only informational, so a malicious release showed none.
                yield server.finding(
                    rule="check-failed",
                    category=self.category,
                    severity=Severity.HIGH,
                    message=f"{package.display} was not checked against advisories: {exc}",
                    evidence=package.display,
                    remediation="Refresh the snapshot with `mcpward advisories update`, then scan again.",
                )
                return
            for advisory in advisories:
                ids = ", ".join((advisory.id, *advisory.aliases))
                if advisory.malicious:
                    remediation = (
                        "Remove it now, rotate every credential the server was given, "
                        "and review what it could reach."
                    )
                elif advisory.fixed:
                    remediation = f"Upgrade {package.name} to {advisory.fixed[0]} or later."
                else:
                    remediation = f"No fixed version is known; stop using {package.name}."
                yield server.finding(
                    rule="known-vulnerable",
                    category=self.category,
                    severity=advisory.severity,
                    message=f"{package.display} is affected by {ids}: {advisory.summary}",
                    evidence=package.display,
                    remediation=remediation,
                    references=advisory.references,
                    identifiers=(advisory.id, *advisory.aliases),
                )
