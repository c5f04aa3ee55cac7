"""Instructions planted in untrusted content: what a tool returns, a resource read, a message.

The model reads a tool's result as it reads the user: a web page, an issue, an e-mail or a file
can carry orders for it. ``check_content`` reads such texts for the families of those orders
(instruction override and role reassignment, prompt and secret extraction, spoofed delimiters
and fake system or tool messages, forced output, encoding requests, tool-call induction,
exfiltration through markdown images and links, hidden text), with rules and a small learned
classifier calibrated on benign tool results. The gateway and ``inspect --results`` share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mcpward.inspect._untrusted._check import check_text
from mcpward.model import Severity

__all__ = ["FAMILIES", "ContentFinding", "check_content"]

#: The families a finding can belong to. "learned-classifier" is the classifier deciding
#: alone (no rule family fired in the words it weighed).
FAMILIES = (
    "instruction-override",
    "prompt-extraction",
    "spoofed-delimiter",
    "forced-output",
    "encoding-request",
    "tool-call-induction",
    "markdown-exfiltration",
    "hidden-text",
    "learned-classifier",
)


@dataclass(frozen=True)
class ContentFinding:
    family: str  # one of FAMILIES
    severity: Severity
    index: int  # which of the texts
    start: int  # character span in that text of the words that triggered
    end: int
    evidence: str  # those words, at most ~120 characters


def check_content(texts: Sequence[str]) -> list[ContentFinding]:
    """Findings in each of ``texts`` (by index), worst first within a text's position order.
    Texts that are not strings are skipped; each text is read up to its first 262,144 characters."""
    findings: list[ContentFinding] = []
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text:
            continue
        for hit in check_text(text):
            findings.append(ContentFinding(hit.family, hit.severity, index, hit.start, hit.end, hit.evidence))
    return findings
