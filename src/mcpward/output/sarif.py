"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Rules are the rule ids that occur, with a ``security-severity`` so GitHub ranks them; each
result points at the config file (relative to the working directory when it lies inside it,
as code scanning expects) and the line of the server entry when known.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote_from_bytes

from mcpward.model import AttackFamily, Category, Finding, Report, Severity
from mcpward.output.interface import OutputFormat
from mcpward.output.json import orjson_text
from mcpward.output.text import printable

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/mcpward/"

CATEGORY_TITLES = {
    Category.UNPINNED_PACKAGE: "Server package is not pinned to an exact version",
    Category.PLAINTEXT_SECRET: "Credential written in plain text in an MCP config",
    Category.SHELL_WRAPPER: "Server launch goes through a shell",
    Category.INSECURE_TRANSPORT: "Remote MCP server reached insecurely",
    Category.IMPERSONATION: "Package name imitates an official MCP package or vendor",
    Category.KNOWN_VULNERABLE: "Server package version has a published advisory",
    Category.EXCESSIVE_SCOPE: "Server has more access than it needs",
    Category.PARSE_ERROR: "MCP config file could not be read",
    Category.SHADOW_SERVER: "A running MCP server that no configuration declares",
    Category.PUBLISHER: "Package publisher or release history changed",
    Category.PROVENANCE: "Package provenance is missing or regressed",
    Category.NEW_DESTINATION: "Package version adds a hard-coded destination",
    Category.CAPABILITY: "Package version gains a capability",
    Category.OBFUSCATION: "Package code hides what it does",
    Category.INSTALL_SCRIPT: "Package runs code at install time",
    Category.MALICIOUS_CODE: "Package code does what malware does",
    Category.INJECTABLE_CODE: "Package code lets a tool's input reach a shell, eval or SQL",
    Category.PACKAGE_CONTENT: "Package archive holds unsafe or unreadable members",
    Category.TOOL_POISONING: "Tool text carries instructions for the model",
    Category.SENSITIVE_REFERENCE: "Tool text asks for secrets, sensitive files or the conversation",
    Category.SHADOWING: "Tool text instructs about other tools or servers",
    Category.INVISIBLE_TEXT: "Tool text hides characters from the reader",
    Category.DISPROPORTION: "Tool text is out of proportion to its purpose",
    Category.MALICIOUS_CAPABILITY: "Tool describes an offensive or harmful capability",
    Category.TOOL_CHANGED: "Tool changed since it was pinned",
    Category.INJECTED_INSTRUCTION: "Tool result carries instructions for the model",
    Category.PERSONAL_DATA: "Personal data in the scanned content",
    # scan --registry (and --enforcement): without it, the first server not approved made the
    # whole log an internal error, every alert of the scan lost with it.
    Category.REGISTRY: "Server or managed file is not what the registry approved",
}
#: Tool-poisoning findings are reported under one rule per attack family (the detector's own
#: rule stays in the result's properties), so code scanning groups them as a reviewer thinks.
FAMILY_TITLES = {
    AttackFamily.COMMAND_INJECTION: "Tool text orders the model to run shell commands",
    AttackFamily.PARAMETER_POISONING: "Tool text overrides the arguments the user gave",
    AttackFamily.FUNCTION_DEPENDENCY_INJECTION: "Tool text orders calls to other tools around this one",
    AttackFamily.TOOL_REDIRECTION: "Tool text redirects calls away from another tool",
    AttackFamily.TOOL_SHADOWING: "Tool text changes or instructs about other tools",
    AttackFamily.PREFERENCE_MANIPULATION: "Tool text promotes itself to the model over other tools",
    AttackFamily.FUNCTION_OVERLAPPING: "Tool copies another server's tool and claims to be the better one",
    AttackFamily.FUNCTION_RETURN_INJECTION: "Tool text says its results carry instructions to follow",
    AttackFamily.FILESYSTEM_POISONING: "Tool text reaches for credential or configuration files",
    AttackFamily.NETWORK_REQUEST_POISONING: "Tool text sends data to an address or URL nobody asked for",
    AttackFamily.DATA_EXFILTRATION: "Tool text asks for secrets, the conversation or other tools' output",
    AttackFamily.HIDDEN_INSTRUCTIONS: "Tool text carries instructions for the model",
    AttackFamily.INVISIBLE_TEXT: "Tool text hides characters from the reader",
    AttackFamily.HARMFUL_CAPABILITY: "Tool describes an offensive or harmful capability",
    AttackFamily.DISPROPORTION: "Tool text is out of proportion to its purpose",
    AttackFamily.RUG_PULL: "Tool changed since it was pinned",
}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub maps security-severity to its labels: >=9 critical, >=7 high, >=4 medium, else low.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.5",
}


SOURCE_ROOT = "%SRCROOT%"

# What a SARIF log holds, so that hostile input (a config's names and values, a server's tool
# texts) cannot make it one that GitHub refuses: it takes 25,000 results a run at most (and
# shows the 5,000 most severe), and a file of 10 MB at most once gzip'd. Names and texts were
# written whole, so a few long ones (or a tool-changed diff per tool of a large server) made
# the log too large to upload, and the whole scan's alerts were lost. Cuts are marked.
#: Results written, the most severe first (GitHub shows 5,000 a run).
MAX_RESULTS = 5_000
#: The results' JSON in all, in UTF-8: 7 MiB holds 5,000 ordinary results (about 1 KB each),
#: and with the notifications and rules the log stays under GitHub's 10 MB even if nothing in it
#: compresses.
MAX_RESULTS_BYTES = 7 * 1024 * 1024
#: A result's message (the finding, the server's name and the evidence: a diff is cut at a line).
MAX_MESSAGE_CHARS = 8_000
#: A server's name in a message, and each property text (remediation, tool, field).
MAX_NAME_CHARS = 200
MAX_PROPERTY_CHARS = 1_000
#: Notifications (the report's errors) written, each cut to MAX_NOTE_CHARS.
MAX_NOTIFICATIONS = 500
MAX_NOTE_CHARS = 500


def cut(text: str, limit: int, *, at_line: bool = False) -> str:
    """``text`` up to ``limit`` characters, and past that a marker saying how much is left out
    (never cut silently); ``at_line`` ends the kept part at a line break when one is near, so a
    diff keeps whole lines."""
    if len(text) <= limit:
        return text
    kept = text[:limit]
    if at_line and (end := kept.rfind("\n")) > limit // 2:
        kept = kept[:end]
    # On a line of its own after a diff's whole lines; on the same line otherwise (one-line texts).
    mark = f"[... {len(text) - len(kept)} more characters not in SARIF; `--format json` has them]"
    return f"{kept}{chr(10) if at_line and chr(10) in kept else ' '}{mark}"


def artifact_location(path: str) -> dict[str, str]:
    """Relative to the working directory (the repository, in CI) when the file lies inside it,
    as code scanning expects; an absolute ``file://`` URI otherwise (a home directory)."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return {"uri": absolute.as_uri()}
    # Percent-encoded as as_uri() does the absolute one (from the name's bytes): a folder named
    # with a space, "#", "%", "?" or a LF in a scanned repository made the URI invalid
    # (SARIF1002) and the log one that code scanning may refuse whole.
    return {"uri": quote_from_bytes(os.fsencode(relative), safe="/!$&'()*+,;=@~"), "uriBaseId": SOURCE_ROOT}


def finding_location(finding: Finding) -> dict[str, str]:
    """Where ``finding`` is: its file of this machine (``artifact_location``), or, for a file of
    a vetted package, that file in the package's folder or in its package URL (its ``#``
    subpath, as package URLs name a file in a package: an absolute URI no repository holds). A
    package's path alone was read as the working directory's: a package's ``src/auth.py`` alert
    landed on the consumer repository's own ``src/auth.py``."""
    root = finding.package_root
    if root is None:
        return artifact_location(finding.config_path or ".")
    if root.startswith("pkg:"):
        if not finding.config_path:
            return {"uri": root}
        return {"uri": f"{root}#{quote_from_bytes(os.fsencode(finding.config_path), safe='/')}"}
    return artifact_location(os.path.join(root, finding.config_path or "."))


def plain_text(text: str) -> str:
    """A message that no SARIF viewer reads as an embedded link: a plain text message's
    ``[text](target)`` is a link to any URI (SARIF 3.11.6), and Microsoft's viewers (VS Code's,
    the web component) render it as one, so a server named ``[Approve it](https://evil.example/)``
    in a config was a link in the scan's result. The spec escapes brackets in link text only,
    and those viewers match across a backslash: ``](`` is parted instead."""
    return text.replace("](", "] (")


#: The key of a result's fingerprint; a new one whenever what it hashes changes (code scanning
#: then opens each alert anew once, rather than matching a result to an alert it is not).
FINGERPRINT_KEY = "mcpwardFinding/v2"


def fingerprint(finding: Finding) -> str:
    """What code scanning tells alerts apart by (a result matching a dismissed alert stays
    dismissed): every part that names what the finding is about, as a JSON list, and not its line,
    so an edit above the entry keeps the alert. The rule, file, server and evidence alone, joined
    by NUL, made the same planted text in a second tool, a second advisory of a version (a
    malicious one after a dismissed low one) and a name holding a NUL another finding's alert."""
    parts = [
        finding.rule,
        finding.host,
        finding.config_path,
        finding.server,
        finding.tool,
        finding.field,
        finding.evidence,
        list(finding.identifiers),
    ]
    return hashlib.sha256(json.dumps(parts).encode("ascii")).hexdigest()


def _rule_id(finding: Finding) -> str:
    return finding.family.value if finding.family is not None else finding.rule


def _rule(rule_id: str, finding: Finding) -> dict[str, Any]:
    title = FAMILY_TITLES[finding.family] if finding.family is not None else CATEGORY_TITLES[finding.category]
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"{title} ({rule_id})."},
        "help": {"text": plain_text(cut(finding.remediation, MAX_PROPERTY_CHARS))},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
        "properties": {
            "tags": ["security", "mcp", finding.category.value],
            "security-severity": _SECURITY_SEVERITY[finding.severity],
            "precision": "high",
        },
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    message = cut(finding.message, MAX_PROPERTY_CHARS)
    if finding.server:
        # The name on one line: a LF in it pushed the finding off the alert's first line, the
        # only one a list of alerts shows.
        name = printable(finding.server)
        if len(name) > MAX_NAME_CHARS:
            name = f"{name[:MAX_NAME_CHARS]}[... {len(name) - MAX_NAME_CHARS} more characters]"
        where = f"[{cut(finding.host, MAX_NAME_CHARS)}] " if finding.host else ""  # inspect's have none
        message = f"{where}{name}: {message}"
    if finding.evidence:
        message += f" Evidence: {finding.evidence}"
    message = cut(message, MAX_MESSAGE_CHARS, at_line=True)
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": finding_location(finding),
            "region": {"startLine": finding.line or 1},
        }
    }
    properties: dict[str, Any] = {
        "severity": finding.severity.value,
        "category": finding.category.value,
        "remediation": cut(finding.remediation, MAX_PROPERTY_CHARS),
    }
    if finding.family is not None:
        properties |= {"family": finding.family.value, "detectorRule": finding.rule}
        if finding.tool:
            properties["tool"] = cut(finding.tool, MAX_PROPERTY_CHARS)
        if finding.field:
            properties["field"] = cut(finding.field, MAX_PROPERTY_CHARS)
    return {
        "ruleId": _rule_id(finding),
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": plain_text(message)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": properties,
    }


def _kept(findings: list[Finding]) -> tuple[list[tuple[Finding, dict[str, Any]]], int]:
    """The findings written (each with its result, rule index still to set), the most severe
    first while the caps allow, in the report's order; and how many were left out."""
    order = sorted(range(len(findings)), key=lambda i: -findings[i].severity.rank)
    chosen: list[tuple[int, dict[str, Any]]] = []
    size = 0
    for index in order[:MAX_RESULTS]:
        result = _result(findings[index], 0)
        size += len(json.dumps(result, ensure_ascii=False).encode("utf-8", "replace"))
        if size > MAX_RESULTS_BYTES:
            break
        chosen.append((index, result))
    chosen.sort(key=lambda pair: pair[0])
    return [(findings[i], result) for i, result in chosen], len(findings) - len(chosen)


def _notifications(report: Report, left_out: int) -> list[dict[str, Any]]:
    notes = [
        {
            "level": "warning",
            "message": {"text": plain_text(cut(f"{printable(e.path)}: {e.message}", MAX_NOTE_CHARS))},
        }
        for e in report.errors[:MAX_NOTIFICATIONS]
    ]
    if len(report.errors) > MAX_NOTIFICATIONS:
        more = len(report.errors) - MAX_NOTIFICATIONS
        notes.append(
            {
                "level": "warning",
                "message": {"text": f"{more} more errors not in SARIF; `--format json` has them"},
            }
        )
    if left_out:
        # Said where code scanning shows the run's status, and first: never a silent cut.
        notes.insert(
            0,
            {
                "level": "error",
                "message": {
                    "text": f"{left_out} of {len(report.findings)} findings not in SARIF (it holds the"
                    f" {MAX_RESULTS} most severe, {MAX_RESULTS_BYTES // (1024 * 1024)} MiB of results at"
                    " most, which GitHub accepts); `--format json` has them all"
                },
            },
        )
    return notes


def sarif_document(report: Report) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    kept, left_out = _kept(list(report.findings))
    for finding, result in kept:
        rule_id = _rule_id(finding)
        if rule_id not in rules:
            rules[rule_id] = _rule(rule_id, finding)
        result["ruleIndex"] = list(rules).index(rule_id)
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mcpward",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": list(rules.values()),
                    }
                },
                "automationDetails": {"id": f"mcpward/{report.command}/"},
                "originalUriBaseIds": {SOURCE_ROOT: {"uri": Path.cwd().as_uri() + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "endTimeUtc": report.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "toolExecutionNotifications": _notifications(report, left_out),
                    }
                ],
                "results": results,
            }
        ],
    }


class SarifFormat(OutputFormat):
    name = "sarif"

    def write(self, report: Report, out: TextIO, *, terminal: bool = False) -> None:
        # Every number in SARIF is a line or an index: no float that orjson would spell otherwise.
        document = sarif_document(report)
        text = orjson_text(document)
        out.write(json.dumps(document, indent=2, ensure_ascii=False) if text is None else text)
        out.write("\n")
