"""Shared matching: a list of (rule, severity, pattern, why) run over an item's joined text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from mcpward._multimatch import MultiMatcher
from mcpward.inspect.interface import Hit, SurfaceItem
from mcpward.model import Category, Severity


@dataclass(frozen=True, slots=True)
class Pattern:
    rule: str
    severity: Severity
    regex: re.Pattern[str]
    why: str
    #: Lower-case literals of which at least one occurs in every match: a substring test on
    #: them spares the regular expression on the great majority of texts.
    anchors: tuple[str, ...] = ()

    #: Position in the registry of all patterns (the anchor index reports patterns by it).
    index: int = -1


_REGISTRY: list[Pattern] = []


def pattern(rule: str, severity: Severity, regex: str, why: str, anchors: tuple[str, ...] = ()) -> Pattern:
    entry = Pattern(
        rule, severity, re.compile(regex, re.IGNORECASE | re.DOTALL), why, anchors, len(_REGISTRY)
    )
    _REGISTRY.append(entry)
    return entry


class _AnchorIndex:
    """The patterns whose anchors occur in a text, for every registered pattern in one pass.

    Detectors test many patterns against the same few texts of an item; one multi-pattern pass
    per text replaces a substring test per anchor per pattern. The last few answers are kept,
    since several detectors ask about the same text in turn.
    """

    _KEEP = 16

    def __init__(self) -> None:
        self._built_for = -1
        self._matcher = MultiMatcher([], [])
        self._patterns: list[int] = []
        self._recent: dict[str, set[int]] = {}

    def present(self, lowered: str) -> set[int]:
        if self._built_for != len(_REGISTRY):
            self._build()
        found = self._recent.get(lowered)
        if found is None:
            fired = self._matcher.fired(lowered.encode("utf-8", "surrogatepass"))
            found = {self._patterns[position] for position in fired}
            if len(self._recent) >= self._KEEP:
                self._recent.clear()
            self._recent[lowered] = found
        return found

    def _build(self) -> None:
        anchored = [entry for entry in _REGISTRY if entry.anchors]
        self._patterns = [entry.index for entry in anchored]
        self._matcher = MultiMatcher(
            ["|".join(re.escape(anchor) for anchor in entry.anchors) for entry in anchored],
            [True] * len(anchored),
        )
        self._recent.clear()
        self._built_for = len(_REGISTRY)


_ANCHORS = _AnchorIndex()


def candidates(patterns: tuple[Pattern, ...], lowered: str) -> Iterator[Pattern]:
    """The patterns that may match ``lowered``: those without anchors or with one present."""
    present = _ANCHORS.present(lowered)
    for entry in patterns:
        if not entry.anchors or entry.index in present:
            yield entry


def match_patterns(
    item: SurfaceItem, category: Category, patterns: tuple[Pattern, ...], text: str | None = None
) -> Iterator[Hit]:
    """One hit per rule: the first match in the item's whole text, with the fields it spans."""
    haystack, lowered = (item.joined, item.lowered) if text is None else (text, text.lower())
    for entry in candidates(patterns, lowered):
        match = entry.regex.search(haystack)
        if match is not None:
            path = (
                item.fields_between(match.start(), match.end()) if text is None else "(decoded hidden text)"
            )
            yield Hit(entry.rule, category, entry.severity, path, _excerpt(match.group(0)), entry.why)


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
