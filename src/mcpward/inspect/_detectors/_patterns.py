"""Shared matching: a list of (rule, severity, pattern, why) run over an item's joined text."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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


class _WholePatternIndex:
    """Which patterns match an ASCII text, for all of them in one Hyperscan pass (5 us per
    4 KB, where the anchor test lets common words through to 0.2 ms of Python searches).

    On ASCII text Hyperscan's ``\\b``, ``\\w`` and case folding agree with Python's, so the
    set is exact; other text, and the patterns Hyperscan cannot take (look-arounds), keep the
    anchor path. Compiling takes over a second, so it happens in a background thread, asked
    for by the gateway (which checks every tool result); until it is ready nothing changes.
    """

    def __init__(self) -> None:
        self._database: Any = None
        self._covered: frozenset[int] = frozenset()
        self._ids: list[int] = []
        self._lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._build, name="mcpward-pattern-index", daemon=True).start()

    def _build(self) -> None:
        try:
            import hyperscan
        except ImportError:
            return
        from mcpward.inspect._detectors import all_detectors

        all_detectors()  # every detector module registers its patterns when imported
        flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_DOTALL | hyperscan.HS_FLAG_SINGLEMATCH
        entries = list(_REGISTRY)
        usable = []
        for entry in entries:
            try:
                hyperscan.Database().compile(
                    expressions=[entry.regex.pattern.encode()], ids=[0], elements=1, flags=[flags]
                )
            except hyperscan.error:
                continue  # a look-around: this pattern keeps the anchor path
            usable.append(entry)
        if not usable:
            return
        database = hyperscan.Database()
        try:
            database.compile(
                expressions=[e.regex.pattern.encode() for e in usable],
                ids=list(range(len(usable))),
                elements=len(usable),
                flags=[flags] * len(usable),
            )
        except hyperscan.error:
            return
        self._ids = [entry.index for entry in usable]
        self._covered = frozenset(self._ids)
        self._database = database

    def matching(self, text: str) -> tuple[frozenset[int], set[int]] | None:
        """(the patterns this index decides, those of them that match), or None."""
        database = self._database
        if database is None or not text.isascii():
            return None
        found: set[int] = set()

        def on_match(index: int, start: int, end: int, flags: int, context: Any) -> None:
            found.add(self._ids[index])

        database.scan(text.encode(), match_event_handler=on_match)
        return self._covered, found


WHOLE_PATTERNS = _WholePatternIndex()


def candidates(patterns: tuple[Pattern, ...], lowered: str) -> Iterator[Pattern]:
    """The patterns that may match ``lowered``: those without anchors or with one present (or,
    once the whole-pattern index is ready and the text is ASCII, those that do match)."""
    decided = WHOLE_PATTERNS.matching(lowered)
    present: set[int] | None = None  # the anchor pass, only if some pattern is left undecided
    for entry in patterns:
        if decided is not None and entry.index in decided[0]:
            if entry.index in decided[1]:
                yield entry
            continue
        if entry.anchors and present is None:
            present = _ANCHORS.present(lowered)
        if not entry.anchors or (present is not None and entry.index in present):
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
