"""Instructions for the model in untrusted content (tool results, resources, messages): the one
check the gateway and ``mcpward inspect --results`` share.

This version adapts the description detectors (hidden instructions and invisible text) to
the contract below; a detector made for results replaces it without changing the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mcpward.model import Category, Severity

_INJECTION = {Category.TOOL_POISONING, Category.INVISIBLE_TEXT}


@dataclass(frozen=True)
class ContentFinding:
    """One sign of injected instructions: its rule family, how bad, which of the texts
    (``index``), where in it (``start``, ``end``) and the matched text."""

    family: str
    severity: Severity
    index: int
    start: int
    end: int
    evidence: str


def check_content(texts: Sequence[str]) -> list[ContentFinding]:
    """Every finding in ``texts`` (the texts of one result, read together)."""
    from mcpward.inspect._detectors import all_detectors
    from mcpward.inspect.interface import Field, InspectionContext, SurfaceItem

    if not texts:
        return []
    fields = [Field(str(index), text) for index, text in enumerate(texts)]
    item = SurfaceItem("content", "tool", "content", {}, lambda: (fields, ()))
    context = InspectionContext({})
    findings: list[ContentFinding] = []
    for detector in all_detectors():
        if detector.learned or detector.category not in _INJECTION:
            continue
        for hit in detector.detect(item, context):
            if hit.category not in _INJECTION:
                continue
            index = _index(hit.path, len(texts))
            start = texts[index].find(hit.matched) if hit.matched else -1
            start, end = (start, start + len(hit.matched)) if start >= 0 else (0, len(texts[index]))
            family = "hidden-text" if hit.category is Category.INVISIBLE_TEXT else "instruction-override"
            findings.append(ContentFinding(family, hit.severity, index, start, end, hit.matched[:200]))
    return findings


def _index(path: str, count: int) -> int:
    head = path.split(" + ", 1)[0]
    return int(head) if head.isdigit() and int(head) < count else 0
