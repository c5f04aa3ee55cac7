"""``unpinned-package``: a launch that fetches whatever the registry serves today.

A package that auto-updates is how a clean server turns malicious between two launches:
postmark-mcp was clean for fifteen versions, and every ``npx -y postmark-mcp`` picked up the
sixteenth on its next start.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcpward.model import Category, Ecosystem, Finding, Severity
from mcpward.scan.interface import ConfigCheck, ServerContext

_MOVING_TAGS = {"latest", "next", "main", "master", "edge", "nightly", "beta", "canary", "stable", "dev"}


class UnpinnedPackage(ConfigCheck):
    category = Category.UNPINNED_PACKAGE

    def check(self, server: ServerContext) -> Iterator[Finding]:
        package = server.launch.package
        if package is None or package.pinned:
            return
        runner = server.launch.runner or "the launcher"
        requested = package.version
        if package.ecosystem in (Ecosystem.NPM, Ecosystem.PYPI):
            registry = "npm" if package.ecosystem is Ecosystem.NPM else "PyPI"
            if requested is None:
                what = f"`{runner}` runs {package.name} with no version"
            elif requested.lower() in _MOVING_TAGS:
                what = f"`{runner}` runs {package.name} at the moving tag {requested!r}"
            else:
                what = f"`{runner}` runs {package.name} with the range {requested!r}"
            example = (
                f"{package.name}@1.2.3" if package.ecosystem is Ecosystem.NPM else f"{package.name}==1.2.3"
            )
            yield server.finding(
                rule=f"{package.ecosystem.value}-unpinned",
                category=self.category,
                severity=Severity.MEDIUM,
                message=f"{what}: every launch installs whatever {registry} serves then.",
                evidence=package.display,
                remediation=f"Pin the exact version you reviewed (e.g. {example}) and update it "
                "deliberately after review.",
            )
        elif package.ecosystem is Ecosystem.OCI:
            tag = requested or "latest (implied)"
            yield server.finding(
                rule="oci-unpinned",
                category=self.category,
                severity=Severity.MEDIUM,
                message=f"Image {package.name} is run by the moving tag {tag}; the registry can "
                "replace what it points to at any time.",
                evidence=package.display,
                remediation="Pin the image by digest (name@sha256:...) after review.",
            )
        elif package.ecosystem is Ecosystem.GIT:
            yield server.finding(
                rule="git-unpinned",
                category=self.category,
                severity=Severity.MEDIUM,
                message=f"Code is fetched from {package.name} at "
                f"{'the moving ref ' + repr(requested) if requested else 'its default branch'}.",
                evidence=package.display,
                remediation="Pin a full 40-character commit hash after review.",
            )
        elif package.ecosystem is Ecosystem.URL:
            yield server.finding(
                rule="url-unpinned",
                category=self.category,
                severity=Severity.MEDIUM,
                message=f"Code is fetched from a URL at every launch: {package.name}.",
                evidence=package.display,
                remediation="Install a reviewed copy locally, or pin a registry package by version.",
            )
