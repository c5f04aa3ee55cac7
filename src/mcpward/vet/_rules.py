"""From facts to findings and a verdict.

The version diff carries the weight: what a release adds over the one before is what a
reviewer must see. A new hard-coded recipient or destination that reaches an outgoing message
or request, on a domain the package never used and does not own, blocks the release.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mcpward._regex import compiled
from mcpward.advisories import advisories_for, load_advisories, parse_version
from mcpward.identity import NameRiskKind, assess_name, official_names
from mcpward.model import Category, Finding, PackageRef, Severity
from mcpward.vet._code import text_threats
from mcpward.vet._code.interface import (
    Capability,
    CodeFacts,
    Destination,
    ThreatRule,
    ToolDeclaration,
    destinations_in,
    domain_of,
)
from mcpward.vet._provenance import ProvenanceStatus
from mcpward.vet.interface import FetchedPackage, PackageMetadata

DORMANCY = timedelta(days=365)
#: How long vet looks for the nearest release no advisory affects before giving up on the hint.
_SAFE_RELEASE_SECONDS = 2.0
#: Findings of one rule listed at most; the rest are counted in one summary finding, so that a
#: package of 300,000 links cannot produce a report of hundreds of megabytes.
MAX_FINDINGS_PER_RULE = 100
#: Domains of documentation and standards that carry no data anywhere.
_NEUTRAL_DOMAINS = frozenset(
    {
        "json-schema.org",
        "w3.org",
        "modelcontextprotocol.io",
        "schema.org",
        "npmjs.com",
        "npmjs.org",
        "nodejs.org",
        "python.org",
        "mozilla.org",
    }
)
_SEVERITY_OF_NAME_RISK = {
    NameRiskKind.HOMOGLYPH: Severity.CRITICAL,
    NameRiskKind.SCOPE_LOOKALIKE: Severity.CRITICAL,
    NameRiskKind.TYPOSQUAT: Severity.HIGH,
    NameRiskKind.BRAND: Severity.MEDIUM,
}


@dataclass(frozen=True, slots=True)
class Side:
    package: FetchedPackage
    facts: CodeFacts


class _Findings:
    def __init__(self, target: Side) -> None:
        self.host = target.package.ref.ecosystem.value
        self.server = target.package.ref.display
        self.package_root = _package_root(target.package)
        self.items: list[Finding] = []

    def add(
        self,
        rule: str,
        category: Category,
        severity: Severity,
        message: str,
        remediation: str,
        *,
        path: str | None = None,
        line: int | None = None,
        evidence: str | None = None,
        references: tuple[str, ...] = (),
        identifiers: tuple[str, ...] = (),
    ) -> None:
        self.items.append(
            Finding(
                rule=rule,
                category=category,
                severity=severity,
                message=message,
                remediation=remediation,
                host=self.host,
                server=self.server,
                config_path=path,
                line=line,
                evidence=evidence,
                references=references,
                identifiers=identifiers,
                package_root=self.package_root,
            )
        )


def _package_root(package: FetchedPackage) -> str | None:
    """Where the package's files lie, for their findings' paths (``Finding.package_root``): the
    folder vetted, or the package URL of an archive's. A path alone, relative, was read as one
    of the working directory's: SARIF put a package's ``src/auth.py`` alert on the consumer
    repository's own ``src/auth.py``."""
    from mcpward.output.cyclonedx import package_url

    if package.origin and Path(package.origin).is_dir():
        return package.origin
    purl = package_url(package.ref)
    return purl.to_string() if purl is not None else None


def judge(target: Side, baseline: Side | None) -> list[Finding]:
    found = _Findings(target)
    _identity(found, target, baseline)
    _advisories(found, target)
    _dependencies(found, target)
    _provenance(found, target, baseline)
    _package_content(found, target)
    _threats(found, target)
    if baseline is None:
        _first_look(found, target)
    else:
        _diff(found, target, baseline)
    ordered = sorted(found.items, key=lambda f: (-f.severity.rank, f.rule, f.config_path or "", f.line or 0))
    return _capped(ordered)


def _capped(findings: list[Finding]) -> list[Finding]:
    kept: list[Finding] = []
    dropped: dict[str, list[Finding]] = {}
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.rule] = counts.get(finding.rule, 0) + 1
        if counts[finding.rule] <= MAX_FINDINGS_PER_RULE:
            kept.append(finding)
        else:
            dropped.setdefault(finding.rule, []).append(finding)
    for rule, rest in dropped.items():
        worst = max(rest, key=lambda f: f.severity.rank)
        kept.append(
            dataclasses.replace(
                worst,
                message=f"… and {len(rest)} more findings of {rule}, not listed "
                f"(the first {MAX_FINDINGS_PER_RULE} are).",
                config_path=None,
                line=None,
                evidence=None,
            )
        )
    return kept


def verdict(findings: list[Finding]) -> str:
    if any(f.severity is Severity.CRITICAL for f in findings):
        return "block"
    if any(f.severity in (Severity.HIGH, Severity.MEDIUM) for f in findings):
        return "review"
    return "pass"


# -- published advisories --------------------------------------------------------------------


def _advisories(found: _Findings, target: Side) -> None:
    """The version against the OSV snapshot ``scan`` uses (bundled, or the refreshed copy):
    a malicious-package advisory blocks; a vulnerability keeps its advisory's severity, so a
    critical one blocks and a high one needs review."""
    ref = target.package.ref
    records = load_advisories()
    for advisory in advisories_for(ref, records):
        ids = (advisory.id, *advisory.aliases)
        if advisory.malicious:
            message = f"{ref.display} is a known malicious package ({', '.join(ids)}): {advisory.summary}"
            remediation = (
                "Do not approve. Remove it wherever it is installed and rotate the credentials "
                "it could reach."
            )
        else:
            safe = nearest_safe_release(target.package, records)
            fixed = f"fixed in {', '.join(advisory.fixed)}" if advisory.fixed else "no fixed version known"
            message = f"{ref.display} is affected by {', '.join(ids)} ({fixed}): {advisory.summary}"
            remediation = (
                f"Request {safe} instead: the nearest release no known advisory affects."
                if safe
                else f"Use a release from {advisory.fixed[0]} on."
                if advisory.fixed
                else "No fixed release is known: do not approve this package."
            )
        # A low advisory is raised to medium: the verdict passes low findings, and a version
        # with a published advisory is never `pass` (it was, for GitHub's many LOW ones).
        severity = max(advisory.severity, Severity.MEDIUM, key=lambda s: s.rank)
        found.add(
            "known-advisory",
            Category.KNOWN_VULNERABLE,
            Severity.CRITICAL if advisory.malicious else severity,
            message,
            remediation,
            evidence=advisory.id,
            references=advisory.references[:5],
            identifiers=ids,
        )


#: Name risks that mean a dependency was written to pass for an official package (a vendor's
#: brand is its own SDK's name: `stripe` is Stripe's).
_IMITATIONS = (NameRiskKind.HOMOGLYPH, NameRiskKind.SCOPE_LOOKALIKE, NameRiskKind.TYPOSQUAT)


def _dependencies(found: _Findings, target: Side) -> None:
    """npm and pip install a package's dependencies with it, and their code runs as the
    package's (npm's install scripts, an sdist's build): a release identical in code to the one
    before but depending on a known-malicious release, or on a look-alike of the official SDK,
    passed. One path for both registries: the sources read each manifest into
    ``dependencies`` and ``dependency_sources``."""
    ref = target.package.ref
    records = load_advisories() if target.package.metadata.dependencies else ()
    for name, version in target.package.metadata.dependencies:
        dependency = PackageRef(
            ecosystem=ref.ecosystem, name=name, version=version, pinned=version is not None
        )
        for advisory in advisories_for(dependency, records):
            if advisory.malicious:
                found.add(
                    "dependency-malicious",
                    Category.KNOWN_VULNERABLE,
                    Severity.CRITICAL,
                    f"The package depends on {dependency.display}, a known malicious package "
                    f"({advisory.id}): {advisory.summary}",
                    "Do not approve: installing it installs the dependency, whose code then runs "
                    "(its install scripts, its build).",
                    evidence=advisory.id,
                    references=advisory.references[:5],
                )
        for risk in assess_name(ref.ecosystem, name):
            if risk.kind in _IMITATIONS:
                found.add(
                    "dependency-impersonation",
                    Category.IMPERSONATION,
                    Severity.HIGH,
                    f"The package depends on {name!r}: {risk.detail}.",
                    f"Check that it means {risk.imitates!r}: a look-alike is anyone's to publish.",
                    evidence=name,
                )
    for name, spec in target.package.metadata.dependency_sources:
        found.add(
            "dependency-outside-registry",
            Category.PACKAGE_CONTENT,
            Severity.MEDIUM,
            f"The package depends on {name!r} from outside the registry ({spec!r}).",
            "The installer fetches it as it is when installed: no advisory, name or provenance check "
            "applies, and what it holds can change after review.",
            evidence=spec,
        )


def nearest_safe_release(package: FetchedPackage, records: tuple[dict[str, Any], ...]) -> str | None:
    """The lowest stable release above this one that no advisory in ``records`` affects."""
    ref = package.ref
    if ref.version is None or not package.metadata.versions:
        return None
    current = parse_version(ref.ecosystem, ref.version)
    if current is None:
        return None
    later = []
    for version in package.metadata.versions:
        key = parse_version(ref.ecosystem, version)
        if key is not None and key > current and not _prerelease(key):
            later.append((key, version))
    # A hint, not a verdict: bounded in time too, since a feed's records can make each look-up
    # slow (many records with many events for one package).
    deadline = time.monotonic() + _SAFE_RELEASE_SECONDS
    for _key, version in sorted(later)[:500]:
        candidate = PackageRef(ecosystem=ref.ecosystem, name=ref.name, version=version, pinned=True)
        if not advisories_for(candidate, records):
            return candidate.display
        if time.monotonic() > deadline:
            break
    return None


def _prerelease(key: Any) -> bool:
    return bool(getattr(key, "prerelease", None)) or bool(getattr(key, "is_prerelease", False))


# -- identity and publisher ------------------------------------------------------------------


def _identity(found: _Findings, target: Side, baseline: Side | None) -> None:
    ref, meta = target.package.ref, target.package.metadata
    for risk in assess_name(ref.ecosystem, ref.name):
        severity = _SEVERITY_OF_NAME_RISK[risk.kind]
        detail = f"{risk.detail}."
        if risk.kind is NameRiskKind.BRAND:
            if _verified_owner(meta) in _brand_owners(risk.imitates):
                severity = Severity.LOW  # a verified build from the brand's own organisation
            elif meta.repository:
                detail += (
                    f" The repository it names ({meta.repository}) is its own claim: no verified "
                    "provenance attests a build from the vendor's organisation."
                )
        found.add(
            f"impersonation-{risk.kind.value}",
            Category.IMPERSONATION,
            severity,
            detail,
            "Confirm who publishes it; prefer the vendor's package under its official scope.",
            evidence=meta.repository or None,
        )
    if meta.mcp_name and meta.repository:
        namespace = meta.mcp_name.split("/", 1)[0].lower()
        # The owner the repository URL names, not a substring of it: a repository of
        # "https://github.com/mallory/x#github.com/stripe/" held "github.com/stripe/".
        if namespace.startswith("io.github.") and _github_owner(meta.repository) != namespace.removeprefix(
            "io.github."
        ):
            found.add(
                "mcp-name-mismatch",
                Category.PUBLISHER,
                Severity.MEDIUM,
                f"The MCP registry name {meta.mcp_name!r} claims another owner than the repository "
                f"{meta.repository!r}.",
                "Check the package's entry in the official MCP registry.",
            )
    if baseline is not None:
        before = baseline.package.metadata
        if meta.publisher and before.publisher and meta.publisher != before.publisher:
            found.add(
                "publisher-changed",
                Category.PUBLISHER,
                Severity.HIGH,
                f"This version was published by {meta.publisher!r}; "
                f"the previous one by {before.publisher!r}.",
                "Confirm the hand-over with the project before approving.",
            )
        added = sorted(set(meta.maintainers) - set(before.maintainers))
        if added and before.maintainers:
            found.add(
                "maintainers-added",
                Category.PUBLISHER,
                Severity.MEDIUM,
                f"New maintainers since the previous version: {', '.join(added)}.",
                "Confirm who the new maintainers are.",
            )
    if meta.published and meta.previous_published and meta.published - meta.previous_published > DORMANCY:
        gap = (meta.published - meta.previous_published).days
        found.add(
            "release-after-dormancy",
            Category.PUBLISHER,
            Severity.MEDIUM,
            f"First release after {gap} days of silence: taken-over packages often look like this.",
            "Review the release and its publisher with care.",
        )


def _verified_owner(meta: PackageMetadata) -> str:
    """The owner of the repository a verified provenance attestation names; empty without one.

    Not the manifest's ``repository``: an impersonator writes the vendor's repository there
    (``stripe-mcp`` naming ``github.com/stripe/agent-toolkit`` was low, and passed)."""
    result = meta.provenance
    if result is None or result.status is not ProvenanceStatus.VERIFIED or not result.repository:
        return ""
    return _repository_path(result.repository).split("/", 1)[0]


def _brand_owners(brand: str) -> set[str]:
    """The organisations that are the brand's: its name and its npm scopes, exactly (anyone
    may create an organisation whose name contains the brand, ``stripe-mcp-community``)."""
    return {brand.removeprefix("@")} | {
        scope.removeprefix("@") for scope in official_names().brands.get(brand, ())
    }


_OWNER_START = compiled(r"://|@")
_HOST_END = compiled(r"[/:]")


def repository_owner(url: str | None) -> str:
    """``stripe`` for ``git+https://github.com/stripe/agent-toolkit.git``; empty if unknown.

    What ``re.search(r"(?:://|@)[^/:]+[/:]([^/]+)/", url)`` finds, in linear time: that
    expression tried again from each ``@`` of a run read the run to its end each time (20,000
    took 2.1 s). The host after every start reaches the same next ``/`` or ``:`` until one is
    passed, and the owner after it the same next ``/``, so each is looked for once."""
    text = url or ""
    host_end = slash = -1
    for start in _OWNER_START.finditer(text):
        host = start.end()
        if host >= len(text) or text[host] in "/:":
            continue  # no host
        if host_end < host:
            found = _HOST_END.search(text, host)
            if found is None:
                return ""
            host_end = found.start()
        owner = host_end + 1
        if slash < owner:
            slash = text.find("/", owner)
            if slash < 0:
                return ""
        if slash > owner:
            return text[owner:slash].lower()
    return ""


def _provenance(found: _Findings, target: Side, baseline: Side | None) -> None:
    meta = target.package.metadata
    result = meta.provenance
    before = baseline.package.metadata.has_provenance if baseline is not None else None
    if result is not None and result.status is ProvenanceStatus.FAILED:
        found.add(
            "provenance-invalid",
            Category.PROVENANCE,
            Severity.HIGH,
            f"The provenance attestation does not verify: {result.detail}",
            "Do not approve until the maintainers explain it: the file may not be what their build produced.",
        )
        return
    if result is not None and result.status is ProvenanceStatus.VERIFIED:
        found.add(
            "provenance-verified",
            Category.PROVENANCE,
            Severity.INFO,
            f"Provenance verified: built by {result.publisher}.",
            "Nothing to do.",
        )
        earlier = baseline.package.metadata.provenance if baseline is not None else None
        if (
            earlier is not None
            and earlier.status is ProvenanceStatus.VERIFIED
            and earlier.repository
            and result.repository
            and _repository_path(earlier.repository) != _repository_path(result.repository)
        ):
            # A verified build from another repository than the release before (a stolen
            # token used from the thief's own fork, its manifest naming that fork) only said
            # "provenance verified".
            found.add(
                "provenance-repository-changed",
                Category.PROVENANCE,
                Severity.HIGH,
                f"This version was built from {result.repository!r}; the previous one from "
                f"{earlier.repository!r}.",
                "Confirm with the project that its releases now come from that repository.",
            )
        claimed = _repository_path(meta.repository)
        if claimed and result.repository and _repository_path(result.repository) != claimed:
            found.add(
                "provenance-repository-mismatch",
                Category.PROVENANCE,
                Severity.HIGH,
                f"The package names the repository {meta.repository!r} but was built from "
                f"{result.repository!r}.",
                "Check which repository the release really comes from.",
            )
        return
    if before and not meta.has_provenance:
        found.add(
            "provenance-regression",
            Category.PROVENANCE,
            Severity.HIGH,
            "The previous version was published with a provenance attestation; this one has none.",
            "Ask the maintainers why the release was built outside their usual pipeline.",
        )
    else:
        found.add(
            "provenance-unknown",
            Category.PROVENANCE,
            Severity.INFO,
            "Provenance: unknown (no attestation is available for this file).",
            "Prefer versions published with provenance attestations.",
        )


_REPOSITORY_HOST = compiled(r"(?:github\.com|gitlab\.com)[/:]")
_REPOSITORY_NAME = compiled(r"[^/#?]+")


def _repository_path(url: str | None) -> str:
    r"""``owner/repo`` of a repository URL or an ``owner/repo`` string, lower case.

    What ``re.search(r"(?:github\.com|gitlab\.com)[/:]([^/]+/[^/#?]+)", text)`` finds, in
    linear time: tried again from each host of a run of ``github.com:`` and no slash, that
    expression read the run to its end each time (80,000 characters took 0.18 s, as the square
    of the run; a package.json may hold 32 MB). The owner after every host reaches the same
    next ``/`` until one is passed, so it is looked for once."""
    if not url:
        return ""
    text = url.lower().removeprefix("git+").removesuffix(".git").rstrip("/")
    slash = -1
    for host in _REPOSITORY_HOST.finditer(text):
        owner = host.end()
        if slash < owner:
            slash = text.find("/", owner)
            if slash < 0:
                break
        name = _REPOSITORY_NAME.match(text, slash + 1) if slash > owner else None
        if name is not None:
            return text[owner : name.end()]
    return text if text.count("/") == 1 else ""


def _github_owner(url: str) -> str:
    """The GitHub owner a repository field names (a URL whose host is github.com, ``git@github.com:``,
    ``github:owner/repo`` or npm's ``owner/repo`` shorthand); empty for another host."""
    text = url.strip().lower().removeprefix("git+").removeprefix("github:")
    if "://" in text:
        try:
            host = urlsplit(text).hostname
        except ValueError:
            return ""
        path = urlsplit(text).path
    elif text.startswith("git@"):
        host, _, path = text.removeprefix("git@").partition(":")
    else:
        host, path = ("github.com", text) if text.count("/") == 1 and ":" not in text else ("", "")
    if host not in ("github.com", "www.github.com"):
        return ""
    return path.strip("/").split("/", 1)[0]


def _package_content(found: _Findings, target: Side) -> None:
    for path, reason in target.package.files.refused:
        found.add(
            "archive-unsafe-member",
            Category.PACKAGE_CONTENT,
            Severity.MEDIUM,
            f"Archive member not read: {reason}.",
            "A published package has no reason to contain this.",
            path=path,
        )
    for rule, message in target.package.metadata.manifest_problems:
        found.add(
            rule,
            Category.PACKAGE_CONTENT,
            Severity.HIGH,
            message,
            "Do not approve before the manifest has been read by hand: it decides what runs at install.",
            path="package.json" if rule == "manifest-unreadable" else None,
        )
    for rule, message, where in target.package.files.notes:
        found.add(
            rule,
            Category.PACKAGE_CONTENT,
            Severity.MEDIUM,
            message,
            "Published packages are not laid out like this: find out how the archive was made.",
            path=where,
        )
    for path, reason in target.facts.incomplete:
        found.add(
            "analysis-incomplete",
            Category.PACKAGE_CONTENT,
            Severity.MEDIUM,
            f"Code not fully analysed: {reason}.",
            "Review this file by hand: what was not read cannot be judged.",
            path=path,
        )
    for path, line, what in target.facts.unreached:
        found.add(
            "unreached-code",
            Category.PACKAGE_CONTENT,
            Severity.INFO,
            f"A test, doc or example file nothing that runs was seen to load {what}.",
            "Check that nothing runs this file (a script, a dynamic path) before trusting it is a test.",
            path=path,
            line=line,
        )
    for path, reason in target.facts.skipped:
        found.add(
            "file-not-analysed",
            Category.PACKAGE_CONTENT,
            Severity.INFO,
            f"Not analysed: {reason}.",
            "Review this file by hand.",
            path=path,
        )


# -- threats: behaviour that needs no baseline ----------------------------------------------

#: Severity of a threat whose flow reaches its sink; one step lower when its parts only meet
#: in one function. Critical blocks, high and medium need review.
THREAT_SEVERITY = {
    ThreatRule.DOWNLOAD_AND_RUN: Severity.CRITICAL,
    ThreatRule.REMOTE_SHELL: Severity.CRITICAL,
    ThreatRule.PRIVILEGE_ESCALATION: Severity.CRITICAL,
    ThreatRule.CREDENTIAL_EXFILTRATION: Severity.CRITICAL,
    ThreatRule.DECODED_CODE_RUN: Severity.HIGH,
    ThreatRule.PERSISTENCE: Severity.HIGH,
    ThreatRule.DEFENCE_EVASION: Severity.HIGH,
    ThreatRule.COMMAND_INJECTION: Severity.HIGH,
    ThreatRule.TOOL_CAPABILITY_MISMATCH: Severity.HIGH,
    ThreatRule.HIDDEN_CODE_RUN: Severity.HIGH,
    ThreatRule.HOST_INFO_EXFILTRATION: Severity.HIGH,
    ThreatRule.INSTALL_TIME_CODE: Severity.HIGH,
    ThreatRule.SELF_PROPAGATION: Severity.HIGH,
    # capture on its own is what a screenshot or clipboard server does: review, and only when
    # no tool of the package says it captures (what reaches the network is
    # host-info-exfiltration, high)
    ThreatRule.COVERT_CAPTURE: Severity.MEDIUM,
}
_LOWER = {Severity.CRITICAL: Severity.HIGH, Severity.HIGH: Severity.MEDIUM, Severity.MEDIUM: Severity.LOW}
_THREAT_TEXT = {
    ThreatRule.DOWNLOAD_AND_RUN: ("Downloaded data is run", "Do not approve: code fetched at run time "
                                  "was never reviewed."),
    ThreatRule.DECODED_CODE_RUN: ("Decoded data is run as code", "Decode it and review what runs."),
    ThreatRule.REMOTE_SHELL: ("A shell is wired to the network", "Do not approve: this is a remote shell."),
    ThreatRule.PERSISTENCE: ("The code installs itself to start again", "An MCP server has no reason to add "
                             "start-up entries: find out what it installs."),
    ThreatRule.PRIVILEGE_ESCALATION: ("The code raises privileges", "Do not approve: sudoers and setuid "
                                      "bits are no business of an MCP server."),
    ThreatRule.DEFENCE_EVASION: ("The code hides its traces or disables defences", "Review why the "
                                 "package clears history or logs, stops security tools or detects "
                                 "debuggers."),
    ThreatRule.CREDENTIAL_EXFILTRATION: ("Credentials flow to the network", "Do not approve: this is "
                                         "credential theft unless the package's purpose is to sync them."),
    ThreatRule.COMMAND_INJECTION: ("A tool's input reaches a command, code or query", "Pass the input as a "
                                   "fixed argument list or a bound query parameter, never inside the text."),
    ThreatRule.HIDDEN_CODE_RUN: ("A call that runs code is reached by a computed name", "Find out what "
                                 "the indirection hides: plain code has no reason to look up exec or "
                                 "system."),
    ThreatRule.HOST_INFO_EXFILTRATION: ("Host information flows to the network", "Find out why the package "
                                        "sends the user name, host name, screen or clipboard away."),
    ThreatRule.INSTALL_TIME_CODE: ("Installing the package reaches the network or runs a shell",
                                   "setup.py runs on every install from source: find out what it "
                                   "fetches or runs before approving."),
    ThreatRule.SELF_PROPAGATION: ("The code spreads itself (publishes with a registry's credentials, "
                                  "plants install hooks or copies its own file)", "Do not approve "
                                  "before finding out why: an MCP server has no reason to publish "
                                  "packages, write install hooks or copy itself; this is how a worm "
                                  "spreads through its victim's packages and projects."),
    ThreatRule.COVERT_CAPTURE: ("The code captures the screen, clipboard, keystrokes or host facts, and "
                                "no tool says so", "Find out what the capture is for: no tool of "
                                "the package documents it, so neither the user nor the model knows."),
    ThreatRule.TOOL_CAPABILITY_MISMATCH: ("A tool does more than it says", "Check why the tool needs this; "
                                          "the model and the user only see its description."),
}  # fmt: skip


#: Words in a tool's name or description that document each kind of capture.
_CAPTURE_DOCUMENTED = {
    "screen": compiled(
        r"\b(?:screen|screens|screenshot|screenshots|screen-?capture|display|displays|desktop|monitor|"
        r"window|windows|snapshot|computer[ -]use|gui|automation|automate|click|vision|record|recording)\b",
        re.IGNORECASE,
    ),
    "clipboard": compiled(r"\b(?:clipboard|clipboards|copy|copies|paste|pastes|pasteboard)\b", re.IGNORECASE),
    "keyboard": compiled(
        r"\b(?:keyboard|keystroke|keystrokes|key ?press|keypress|keypresses|hotkey|hotkeys|shortcut|"
        r"shortcuts|key events?|input events?|typing)\b",
        re.IGNORECASE,
    ),
    "host": compiled(
        r"\b(?:system|systems|host|hostname|machine|computer|device|whoami|user|users|os|platform|"
        r"diagnostic|diagnostics|info|information|environment)\b",
        re.IGNORECASE,
    ),
}


def _documented_captures(tools: list[ToolDeclaration]) -> set[str]:
    """Kinds of capture some tool of the package documents (a screenshot tool, a clipboard
    tool): capture of that kind anywhere in it is the package's purpose, not covert."""
    documented: set[str] = set()
    for tool in tools[:2000]:
        text = f"{tool.name.replace('_', ' ').replace('-', ' ')} {tool.description[:4000]}"
        documented.update(kind for kind, words in _CAPTURE_DOCUMENTED.items() if words.search(text))
    return documented


def _threats(found: _Findings, target: Side) -> None:
    threats = list(target.facts.threats)
    for hook, command in target.package.metadata.install_scripts.items():
        # an install script's text is what npm runs: it reaches
        threats.extend(text_threats(f"package.json scripts.{hook}", command[:100_000], reaches=True))
    documented = _documented_captures(target.facts.tools)
    reported_captures: set[str] = set()
    for threat in threats:
        if threat.rule is ThreatRule.COVERT_CAPTURE:
            if threat.capture in documented or threat.capture in reported_captures:
                continue
            reported_captures.add(threat.capture)  # one finding per kind of capture
        severity = THREAT_SEVERITY[threat.rule]
        if not threat.reaches:
            severity = _LOWER.get(severity, severity)
        title, remediation = _THREAT_TEXT[threat.rule]
        category = (
            Category.INJECTABLE_CODE
            if threat.rule is ThreatRule.COMMAND_INJECTION
            else Category.MALICIOUS_CODE
        )
        found.add(
            threat.rule.value,
            category,
            severity,
            f"{title}: {threat.flow}, in {threat.path}.",
            remediation,
            path=threat.path,
            line=threat.line,
        )
    _tool_descriptions(found, target)
    _exfiltration_endpoints(found, target)


#: Services where anyone can post data or host a payload anonymously: paste sites, tunnels,
#: chat webhooks, request catchers, out-of-band testing hosts, link shorteners, dynamic DNS.
_DROP_DOMAINS = frozenset(
    {
        "pastebin.com",
        "paste.ee",
        "hastebin.com",
        "ghostbin.com",
        "rentry.co",
        "ngrok.io",
        "ngrok-free.app",
        "ngrok.app",
        "webhook.site",
        "requestbin.com",
        "pipedream.net",
        "interact.sh",
        "oast.fun",
        "oast.pro",
        "oast.live",
        "oast.site",
        "oast.online",
        "oast.me",
        "burpcollaborator.net",
        "transfer.sh",
        "file.io",
        "anonfiles.com",
        "gofile.io",
        "bit.ly",
        "tinyurl.com",
        "is.gd",
        "duckdns.org",
        "serveo.net",
        "loca.lt",
        "trycloudflare.com",
        "canarytokens.com",
        "ddns.net",
        "hopto.org",
        "zapto.org",
        "sytes.net",
        "no-ip.org",
        "no-ip.biz",
        "portmap.io",
        "paste.rs",
        "dpaste.org",
        "localtunnel.me",
    }
)
#: Link shorteners: drops when sent to, but user-facing messages print their links too.
_SHORTENERS = frozenset({"bit.ly", "tinyurl.com", "is.gd"})
_DROP_PATHS = ("discord.com/api/webhooks", "discordapp.com/api/webhooks", "api.telegram.org/bot")


def _exfiltration_endpoints(found: _Findings, target: Side) -> None:
    """A hard-coded anonymous drop (a paste site, a tunnel, a chat webhook, a bare IP address)
    that code sends to; the package's own service (a Discord server for Discord) excepted."""
    # The service is the one the package's name names, never its homepage or repository:
    # those are the package's own claims, and one naming the drop (a webhook.site URL, a bare
    # IP address, a tunnel) made the drop "its own" and the package passed.
    own = set(_NEUTRAL_DOMAINS)
    reported: set[str] = set()
    for destination in target.facts.destinations:
        if destination.value in reported:
            continue
        domain = domain_of(destination.value)
        dropped = domain in _DROP_DOMAINS or any(p in destination.value for p in _DROP_PATHS)
        if not destination.sink:
            # named but not seen sent to: a resource on a drop (a paste, a webhook, a tunnel:
            # a URL with a path) is enough for a look; the service's name alone (an allow-list),
            # a short link (help texts print them) and a bare IP address (common in
            # configuration) are not
            resource = destination.kind == "url" and "/" in destination.value.split("://", 1)[-1].rstrip("/")
            if (
                resource
                and dropped
                and domain not in _SHORTENERS
                and not _is_own(domain, target.package, own)
            ):
                reported.add(destination.value)
                found.add(
                    "exfiltration-endpoint",
                    Category.MALICIOUS_CODE,
                    Severity.MEDIUM,
                    f"Code names {destination.value!r} at {destination.path}:{destination.line}: a "
                    "resource on a service anyone can post to or host on anonymously (no send to "
                    "it was seen).",
                    "Find out what the address is for; a server's own API does not live on a paste "
                    "site, a tunnel or a chat webhook.",
                    path=destination.path,
                    line=destination.line,
                    evidence=destination.value,
                )
            continue
        if (
            destination.kind == "ip"
            or destination.value.split("://", 1)[-1]
            .split("/", 1)[0]
            .replace(".", "")
            .split(":", 1)[0]
            .isdigit()
        ):
            dropped = True
        if not dropped or _is_own(domain, target.package, own):
            continue
        reported.add(destination.value)
        found.add(
            "exfiltration-endpoint",
            Category.MALICIOUS_CODE,
            Severity.HIGH,
            f"Code sends to {destination.value!r} ({destination.sink}) at {destination.path}:"
            f"{destination.line}: an address anyone can receive data at anonymously.",
            "Find out what is sent there; a server's own API does not live on a paste site, a "
            "tunnel, a chat webhook or a bare IP address.",
            path=destination.path,
            line=destination.line,
            evidence=destination.value,
        )


#: Words in a tool's name or description that say it runs commands or reads credentials.
_RUNS_WORDS = compiled(
    r"\b(?:run|runs|running|exec|execute|executes|command|commands|shell|bash|terminal|process|processes|"
    r"script|scripts|spawn|launch|start|git|npm|npx|pip|uv|docker|kubectl|build|compile|test|tests|lint|"
    r"install|cli|invoke|job|jobs|task|tasks|program|binary|code|python|node|deno|make|ssh|system)\b",
    re.IGNORECASE,
)
_CREDENTIAL_WORDS = compiled(
    r"\b(?:ssh|key|keys|credential|credentials|secret|secrets|token|tokens|password|passwords|env|"
    r"environment|aws|kube|kubernetes|docker|browser|cookie|cookies|wallet|keychain|config|configuration|"
    r"vault|auth|login|profile|certificate|gpg|pgp)\b",
    re.IGNORECASE,
)


_CAPTURE_WORDS = compiled(
    r"\b(?:screen|screens|screenshot|screenshots|capture|captures|clipboard|copy|paste|image|images|display|"
    r"desktop|monitor|window|windows|keyboard|mouse|gui|ui|automation|automate|click|type|snapshot)\b",
    re.IGNORECASE,
)


def _tool_descriptions(found: _Findings, target: Side) -> None:
    """A tool's documented purpose against its code path; and inspect's detectors on the
    descriptions found in the code, as the model will read them."""
    for tool in target.facts.tools:
        text = f"{tool.name.replace('_', ' ')} {tool.description}"
        for capability, detail, line in tool.uses:
            if capability == "process-spawn" and not _RUNS_WORDS.search(text):
                why = f"starts processes ({detail}, line {line})"
            elif capability == "sensitive-files" and not _CREDENTIAL_WORDS.search(text):
                why = f"names credential files ({detail!r}, line {line})"
            elif capability == "screen-or-clipboard" and not _CAPTURE_WORDS.search(text):
                why = f"captures the screen, clipboard or keyboard ({detail}, line {line})"
            else:
                continue
            found.add(
                ThreatRule.TOOL_CAPABILITY_MISMATCH.value,
                Category.MALICIOUS_CODE,
                THREAT_SEVERITY[ThreatRule.TOOL_CAPABILITY_MISMATCH],
                f"Tool {tool.name!r} is described as {tool.description[:120]!r} but its code {why}.",
                _THREAT_TEXT[ThreatRule.TOOL_CAPABILITY_MISMATCH][1],
                path=tool.path,
                line=line,
                evidence=detail[:200],
            )
            break
    described = [t for t in target.facts.tools if t.description.strip()]
    if not described:
        return
    from mcpward.inspect import inspect_tool_texts

    texts = [(t.name, t.description) for t in described[:500]]
    for finding in inspect_tool_texts(target.package.ref.display, texts):
        tool_name = finding.tool or ""
        where = next((t for t in described if t.name == tool_name), described[0])
        found.add(
            f"tool-description-{finding.rule}",
            finding.category,
            finding.severity,
            f"Tool {tool_name!r} as written in the code: {finding.message}",
            finding.remediation,
            path=where.path,
            line=where.line,
            evidence=finding.evidence,
        )


# -- code --------------------------------------------------------------------------------------


def own_domains(package: FetchedPackage) -> set[str]:
    meta = package.metadata
    domains = set(_NEUTRAL_DOMAINS)
    for url in (meta.repository, meta.homepage):
        if url and "://" in url:
            domains.add(domain_of(url.replace("git+", "")))
    return domains


def _is_own(domain: str, package: FetchedPackage, known: set[str], *, mailbox: bool = False) -> bool:
    """A domain the package owns or already used, or the service its name says it wraps
    (``notion.com`` for ``@notionhq/notion-mcp-server``, ``tavily.com`` for ``tavily-mcp``).

    A ``mailbox`` (an e-mail address) is not the service's for its domain alone: the name says
    which API the package talks to, not whose mailboxes are trusted, and anyone has one at
    ``gmail.com`` (``gmail-mcp``), ``outlook.com`` or ``mail.ru`` (``mailer-mcp``): a Bcc to
    one passed as the package's own."""
    if domain in known:
        return True
    if mailbox:
        return False
    label = domain.split(".", 1)[0]
    tokens = set(re.findall(r"[a-z0-9]+", package.ref.name.lower()))
    return len(label) >= 4 and any(label == token or token.startswith(label) for token in tokens)


_TEXT_SUFFIXES = (".json", ".yaml", ".yml", ".md", ".txt", ".toml", ".html")


def mentioned_domains(package: FetchedPackage) -> set[str]:
    """Domains named anywhere in a package's text files (an OpenAPI document, the README):
    a domain the previous version already talked about is not new."""
    domains: set[str] = set()
    for path, data in package.files.files.items():
        if path.endswith(_TEXT_SUFFIXES) and len(data) <= 4 * 1024 * 1024:
            for value, _kind in destinations_in(data.decode("utf-8", "replace")):
                domains.add(domain_of(value))
    return domains


#: Data files code reads its settings from: a recipient moved out of the code into one (a
#: ``defaults.json`` read for ``Bcc``, a ``package.json`` field) was no finding, and passed.
_DATA_SUFFIXES = (".json", ".yaml", ".yml", ".toml", ".txt", ".cfg")
#: package.json fields that describe the package rather than set what its code does.
_DESCRIPTIVE_FIELDS = frozenset(
    {
        "homepage",
        "repository",
        "bugs",
        "funding",
        "author",
        "contributors",
        "maintainers",
        "license",
        "$schema",
    }
)


def data_destinations(package: FetchedPackage) -> dict[str, tuple[str, str]]:
    """``value -> (kind, path)`` of the e-mail addresses and URLs in a package's data files."""
    found: dict[str, tuple[str, str]] = {}
    for path, data in sorted(package.files.files.items()):
        if not path.endswith(_DATA_SUFFIXES) or len(data) > 4 * 1024 * 1024:
            continue
        text = data.decode("utf-8", "replace")
        if path.rsplit("/", 1)[-1] == "package.json":
            text = _settings_text(text)
        for start in range(0, len(text), 99_000):  # destinations_in reads 100,000 characters
            for value, kind in destinations_in(text[start : start + 100_000]):
                if kind in ("email", "url"):
                    found.setdefault(value, (kind, path))
    return found


def _settings_text(manifest: str) -> str:
    """A package.json without the fields that describe the package (its author's address)."""
    try:
        document = json.loads(manifest)
    except (ValueError, RecursionError):
        return manifest
    if not isinstance(document, dict):
        return manifest
    return json.dumps({k: v for k, v in document.items() if k not in _DESCRIPTIVE_FIELDS})


def _new_data_destinations(found: _Findings, target: Side, baseline: Side, known: set[str]) -> None:
    """An address or URL new in a data file, on a domain the package never used: code may read
    it and send there, as it would a literal."""
    before = data_destinations(baseline.package)
    before_domains = {domain_of(value) for value in before}
    code_values = {d.value for d in target.facts.destinations}
    for value, (kind, path) in data_destinations(target.package).items():
        domain = domain_of(value)
        if value in before or value in code_values or domain in before_domains:
            continue
        if _is_own(domain, target.package, known, mailbox=kind == "email"):
            continue
        found.add(
            "new-destination-in-data",
            Category.NEW_DESTINATION,
            Severity.MEDIUM,
            f"New {kind} {value!r} in {path}, on a domain the previous version never used: code "
            "may read it from there and send to it.",
            "Check what reads this file and where the value goes.",
            path=path,
            evidence=value,
        )


def _diff(found: _Findings, target: Side, baseline: Side) -> None:
    before_values = {d.value for d in baseline.facts.destinations}
    # The domains a package owns are those the release before it named: the release judged
    # writes its own homepage and repository, and one naming the domain of its new recipient
    # made that recipient "the package's own" (low), so the backdoor passed.
    known_domains = (
        own_domains(baseline.package)
        | {domain_of(v) for v in before_values}
        | mentioned_domains(baseline.package)
    )
    # A value is new where it now goes: one the previous release only wrote (a help text's
    # contact address) and this one puts in a Bcc was skipped as "not new", and passed.
    before_sent = {d.value for d in baseline.facts.destinations if d.sink}
    before_recipients = {d.value for d in baseline.facts.destinations if _is_recipient(d)}
    reported: set[str] = set()
    for destination in _in_sinks_first(target.facts.destinations):
        seen = (
            before_recipients
            if _is_recipient(destination)
            else before_sent
            if destination.sink
            else before_values
        )
        if destination.value in seen or destination.value in reported:
            continue
        reported.add(destination.value)
        foreign = not _is_own(
            domain_of(destination.value), target.package, known_domains, mailbox=destination.kind == "email"
        )
        if destination.sink and foreign:
            found.add(
                "new-destination-in-sink",
                Category.NEW_DESTINATION,
                Severity.CRITICAL,
                f"New hard-coded {destination.kind} {destination.value!r} reaches an outgoing message or "
                f"request ({destination.sink}) at {destination.path}:{destination.line}; the previous "
                "version had no such destination.",
                "Do not approve. This is the shape of the postmark-mcp backdoor: find out who added it.",
                path=destination.path,
                line=destination.line,
                evidence=destination.value,
            )
        elif destination.sink:
            # A new fixed recipient of the messages the tool sends (a Bcc) copies each of them
            # wherever its domain is: the domain's being known (the homepage a clean release
            # named, an address its README gave) made the postmark-mcp backdoor low, and pass.
            recipient = _is_recipient(destination)
            found.add(
                "new-destination-own-domain",
                Category.NEW_DESTINATION,
                Severity.MEDIUM if recipient else Severity.LOW,
                f"New {destination.kind} {destination.value!r} on a domain the package already uses, "
                f"sent to by {destination.sink}"
                + (": a fixed recipient of every message sent there." if recipient else "."),
                "Check that it belongs to the service the package wraps.",
                path=destination.path,
                line=destination.line,
                evidence=destination.value,
            )
        elif foreign and destination.kind == "email":
            found.add(
                "new-email-literal",
                Category.NEW_DESTINATION,
                Severity.MEDIUM,
                f"New hard-coded email address {destination.value!r}.",
                "Check where the code uses it.",
                path=destination.path,
                line=destination.line,
                evidence=destination.value,
            )
    _new_data_destinations(found, target, baseline, known_domains)
    before_capabilities = {c.capability for c in baseline.facts.capabilities}
    for capability in sorted({c.capability for c in target.facts.capabilities} - before_capabilities):
        first = next(c for c in target.facts.capabilities if c.capability is capability)
        found.add(
            f"new-capability-{capability.value}",
            Category.CAPABILITY,
            Severity.HIGH,
            f"This version gains {capability.value} ({first.detail}), "
            "which the previous version did not have.",
            "Review why the release needs it.",
            path=first.path,
            line=first.line,
            evidence=first.detail,
        )
    before_obfuscation = {(o.detail, o.path) for o in baseline.facts.obfuscation}
    for item in target.facts.obfuscation:
        if (item.detail, item.path) not in before_obfuscation:
            found.add(
                "new-obfuscation",
                Category.OBFUSCATION,
                Severity.HIGH,
                f"New obfuscated code: {item.detail}.",
                "Decode and review it before approving.",
                path=item.path,
                line=item.line,
            )
    before_scripts = baseline.package.metadata.install_scripts
    for hook, command in target.package.metadata.install_scripts.items():
        if before_scripts.get(hook) != command:
            found.add(
                "new-install-script",
                Category.INSTALL_SCRIPT,
                Severity.HIGH,
                f"This version adds or changes the {hook} script: {command[:120]!r}.",
                "Install scripts run with the installing user's rights before any review.",
                evidence=command[:200],
            )


#: Fields of an outgoing message that add a recipient (not its sender).
_RECIPIENT_FIELDS = frozenset(
    f"{key} field"
    for key in ("to", "cc", "bcc", "recipient", "recipients", "replyto", "reply_to", "forward", "forwardto")
)


def _is_recipient(destination: Destination) -> bool:
    """An e-mail address written into a message's recipients (``Bcc: "x@y"``)."""
    return destination.kind == "email" and destination.sink in _RECIPIENT_FIELDS


def _first_look(found: _Findings, target: Side) -> None:
    """No earlier version to compare with: report what stands out on its own."""
    own = own_domains(target.package)
    for destination in target.facts.destinations:
        if (
            destination.sink
            and destination.kind == "email"
            # a fixed recipient is one on any domain: the package's own is what it claims
            and (
                _is_recipient(destination)
                or not _is_own(domain_of(destination.value), target.package, own, mailbox=True)
            )
        ):
            found.add(
                "hard-coded-recipient",
                Category.NEW_DESTINATION,
                Severity.MEDIUM,
                f"Hard-coded recipient {destination.value!r} in {destination.sink} at "
                f"{destination.path}:{destination.line}.",
                "Check why the code adds a fixed recipient.",
                path=destination.path,
                line=destination.line,
                evidence=destination.value,
            )
    for item in target.facts.obfuscation:
        found.add(
            "obfuscation",
            Category.OBFUSCATION,
            Severity.HIGH,
            f"Obfuscated code: {item.detail}.",
            "Decode and review it before approving.",
            path=item.path,
            line=item.line,
        )
    for hook, command in target.package.metadata.install_scripts.items():
        found.add(
            "install-script",
            Category.INSTALL_SCRIPT,
            Severity.MEDIUM,
            f"The package runs a {hook} script at install: {command[:120]!r}.",
            "Install scripts run with the installing user's rights before any review.",
            evidence=command[:200],
        )
    kinds = {c.capability for c in target.facts.capabilities}
    if Capability.SENSITIVE_FILES in kinds and Capability.NETWORK in kinds:
        first = next(c for c in target.facts.capabilities if c.capability is Capability.SENSITIVE_FILES)
        found.add(
            "sensitive-files-and-network",
            Category.CAPABILITY,
            Severity.HIGH,
            f"The code names sensitive files ({first.detail}) and talks to the network.",
            "Check that the sensitive path is not read and sent.",
            path=first.path,
            line=first.line,
        )
    for capability in sorted(kinds):
        first = next(c for c in target.facts.capabilities if c.capability is capability)
        found.add(
            f"capability-{capability.value}",
            Category.CAPABILITY,
            Severity.INFO,
            f"The code uses {capability.value} ({first.detail}).",
            "Expected for some servers; note it.",
            path=first.path,
            line=first.line,
        )


def _in_sinks_first(destinations: list[Destination]) -> Iterator[Destination]:
    """Destinations that reach a sink first, so a value is reported where it does harm."""
    yield from (d for d in destinations if d.sink)
    yield from (d for d in destinations if not d.sink)
