"""Shared matching: a list of (rule, severity, pattern, why) run over an item's joined text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

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

    def may_match(self, lowered: str) -> bool:
        if not self.anchors:
            return True
        for anchor in self.anchors:  # noqa: SIM110 - a plain loop is twice as fast as any() here
            if anchor in lowered:
                return True
        return False


def pattern(rule: str, severity: Severity, regex: str, why: str, anchors: tuple[str, ...] = ()) -> Pattern:
    return Pattern(rule, severity, re.compile(regex, re.IGNORECASE | re.DOTALL), why, anchors)


def match_patterns(
    item: SurfaceItem, category: Category, patterns: tuple[Pattern, ...], text: str | None = None
) -> Iterator[Hit]:
    """One hit per rule: the first match in the item's whole text, with the fields it spans."""
    haystack = item.joined if text is None else text
    lowered = haystack.lower()
    for entry in patterns:
        if not entry.may_match(lowered):
            continue
        match = entry.regex.search(haystack)
        if match is not None:
            path = (
                item.fields_between(match.start(), match.end()) if text is None else "(decoded hidden text)"
            )
            yield Hit(entry.rule, category, entry.severity, path, _excerpt(match.group(0)), entry.why)


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
