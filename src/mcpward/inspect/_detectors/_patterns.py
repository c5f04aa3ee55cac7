"""Shared matching: a list of (rule, severity, pattern, why) run over an item's joined text."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from mcpward._multimatch import MultiMatcher, NativeBuild
from mcpward._regex import compiled
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
    #: Whether the whole-pattern index may hold the pattern itself; False for patterns whose
    #: bounded gaps make its one-off compile costly (their anchors are indexed instead).
    indexed: bool = True


_REGISTRY: list[Pattern] = []
_Answer = TypeVar("_Answer")


def pattern(
    rule: str,
    severity: Severity,
    regex: str,
    why: str,
    anchors: tuple[str, ...] = (),
    *,
    indexed: bool = True,
) -> Pattern:
    entry = Pattern(
        rule, severity, compiled(regex, re.IGNORECASE | re.DOTALL), why, anchors, len(_REGISTRY), indexed
    )
    _REGISTRY.append(entry)
    return entry


class _RecentAnswers(dict[str, _Answer]):
    """The last few answers by text: several detectors ask about the same text in turn."""

    _KEEP = 16

    def keep(self, text: str, answer: _Answer) -> _Answer:
        if len(self) >= self._KEEP:
            self.clear()
        self[text] = answer
        return answer


class _AnchorIndex:
    """The patterns that may match a text: those whose anchors occur in it (for every
    registered pattern in one pass), and those without anchors.

    Detectors test many patterns against the same few texts of an item; one multi-pattern pass
    per text replaces a substring test per anchor per pattern.
    """

    def __init__(self) -> None:
        self._built_for = -1
        self._matcher = MultiMatcher([], [])
        self._patterns: list[int] = []
        self._unanchored: set[int] = set()
        self._recent: _RecentAnswers[set[int]] = _RecentAnswers()

    def possible(self, lowered: str) -> set[int]:
        if self._built_for != len(_REGISTRY):
            self._build()
        try:  # one dict operation: safe while another thread clears the answers
            return self._recent[lowered]
        except KeyError:
            pass
        fired = self._matcher.fired(lowered.encode("utf-8", "surrogatepass"))
        return self._recent.keep(lowered, self._unanchored | {self._patterns[i] for i in fired})

    def _build(self) -> None:
        anchored = [entry for entry in _REGISTRY if entry.anchors]
        self._patterns = [entry.index for entry in anchored]
        self._unanchored = {entry.index for entry in _REGISTRY if not entry.anchors}
        self._matcher = MultiMatcher(
            ["|".join(re.escape(anchor) for anchor in entry.anchors) for entry in anchored],
            [True] * len(anchored),
        )
        self._recent = _RecentAnswers()
        self._built_for = len(_REGISTRY)


_ANCHORS = _AnchorIndex()


class _WholePatternIndex:
    """The patterns that may match an ASCII text, for all of them in one Hyperscan pass (5 us
    per 4 KB, where the anchor test lets common words through to 0.2 ms of Python searches).

    The database holds each pattern that Hyperscan reads as Python does on ASCII text
    (:func:`mcpward._trigger.same_in_hyperscan`), so for those the answer is exact; the anchors
    of the others (they are confirmed in Python); and the separators that Python's ``\\s``
    takes and Hyperscan's does not, whose presence sends the text down the anchor path, as
    non-ASCII text goes. Compiling takes 0.4 s; the database is kept in the user's cache
    folder, so later processes load it in a millisecond.
    """

    def __init__(self) -> None:
        self._native: NativeBuild[_BuiltIndex] = NativeBuild(self._load, "mcpward-pattern-index")
        self._recent: _RecentAnswers[set[int] | None] = _RecentAnswers()

    def prepare(self, *, compile_missing: bool = True) -> bool:
        """Load the index now (compiling it unless ``compile_missing`` is false and it is not
        cached); whether it is ready."""
        return self._native.prepare(compile_missing=compile_missing) is not None

    @staticmethod
    def _load(compile_missing: bool) -> _BuiltIndex | None:
        from mcpward._trigger import same_in_hyperscan
        from mcpward.inspect._detectors import all_detectors

        all_detectors()  # every detector module registers its patterns when imported
        registry = list(_REGISTRY)
        expressions, ids = ["[\\x1c-\\x1f]"], [-1]  # _SEPARATORS first
        for entry in registry:
            if entry.indexed and same_in_hyperscan(entry.regex.pattern):
                expressions.append(entry.regex.pattern)
            elif entry.indexed and (trigger := _superset(entry.regex.pattern)) is not None:
                expressions.append(trigger)  # fires almost only where the pattern matches
            elif entry.anchors:
                expressions.append("|".join(re.escape(anchor) for anchor in entry.anchors))
            else:
                continue
            ids.append(entry.index)
        matcher = MultiMatcher(
            expressions, [True] * len(expressions), dotall=True, compile_missing=compile_missing
        )
        if not matcher.native:
            return None  # no native library, a pattern it refuses, or not cached: the anchor path
        held = set(ids)
        # The whole patterns name only ASCII characters (same_in_hyperscan), the anchors are
        # escaped literals, the supersets take a non-ASCII character's bytes only where the
        # pattern takes a word or space character (which a symbol is not) and take every byte
        # a negated set does not name: what is left to rule out is a mention of the stand-in.
        maps_symbols = all(
            expression.isascii() and not _may_name_stand_in(expression) for expression in expressions
        )
        return _BuiltIndex(
            matcher, ids, {e.index for e in registry if e.index not in held}, len(registry), maps_symbols
        )

    @property
    def ready(self) -> object:
        """What is built (None before)."""
        return self._native.ready

    def possible(self, text: str) -> set[int] | None:
        """The patterns that may match ``text`` (exactly those that do, for the patterns the
        database holds whole), or None where the anchor path must answer."""
        built = self._native.ready
        if built is None or built.built_for != len(_REGISTRY):
            return None
        try:  # one dict operation: safe while another thread clears the answers
            return self._recent[text]
        except KeyError:
            pass
        if text.isascii():
            data: bytes | None = text.encode()
        else:
            data = _symbols_as_ascii(text) if built.maps_symbols else None
        fired = built.matcher.fired(data) if data is not None else {_SEPARATORS}
        answer = None if _SEPARATORS in fired else built.unanchored | {built.ids[i] for i in fired}
        return self._recent.keep(text, answer)


def _superset(pattern: str) -> str | None:
    """An expression that matches wherever ``pattern`` does (its look-arounds dropped, its
    bounds widened: :func:`mcpward._trigger.derived_trigger`), for a pattern Hyperscan cannot
    take as written; None where none can be derived. Its anchors fire on common words ("use",
    "key", "must"), and each firing cost a Python search. Python's ``.`` under DOTALL takes a
    newline, the derived ``[^\\n]`` does not: a pattern with one keeps its anchors."""
    from mcpward._trigger import derived_trigger

    trigger = derived_trigger(pattern, True)
    return None if trigger is None or "[^\\n]" in trigger else trigger


@dataclass(frozen=True, slots=True)
class _BuiltIndex:
    matcher: MultiMatcher
    ids: list[int]  # per expression: its pattern (-1: the separators)
    unanchored: set[int]
    built_for: int  # how many patterns were registered
    #: Whether the stand-in may take the place of non-ASCII symbols (:func:`_symbols_as_ascii`).
    maps_symbols: bool


#: The ASCII character that stands for a non-ASCII symbol in the index's pass.
_SYMBOL_STAND_IN = "\x00"


#: Per non-ASCII character: whether every pattern treats it as it treats the stand-in.
@lru_cache(maxsize=4096)  # bounded: a hostile text may hold a million distinct characters
def _inert(char: str) -> bool:
    """A character no pattern of the index can tell from :data:`_SYMBOL_STAND_IN`: not a word
    character, a digit or a space for Python's ``\\w``, ``\\d``, ``\\s``, without case (so
    that no caseless literal takes it), and no combining mark (``"İ".lower()`` leaves one after
    an ASCII ``i``). The index's expressions name only ASCII characters (``same_in_hyperscan``,
    or escaped ASCII anchors) and never the stand-in, so such a character and the stand-in are
    taken by the same parts of every expression: negated classes, ``.``, ``\\W``, ``\\S``."""
    return not (
        char.isalnum()
        or char.isspace()
        or char == "_"
        or char.lower() != char
        or char.upper() != char
        or unicodedata.category(char).startswith("M")
    )


def _symbols_as_ascii(text: str) -> bytes | None:
    """``text`` in ASCII with each non-ASCII character replaced by the stand-in (one for one,
    so every pattern of the index matches the one exactly where it matches the other), or None
    when one of them is a letter, digit, space or mark (such a text takes the anchor path).
    Typographic quotes and dashes, arrows and emoji are common in descriptions; without this
    they sent the whole text down the anchor path and its Python searches."""
    # Runs of non-ASCII characters, not one string per character: memory stays within the
    # text's size however long it is.
    for run in _NON_ASCII.findall(text):
        if not all(map(_inert, set(run))):
            return None
    return text.encode("ascii", _STAND_IN_ERRORS)


_NON_ASCII = compiled("[^\\x00-\\x7f]+")
_STAND_IN_ERRORS = "mcpward-symbol-stand-in"


def _stand_in(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return _SYMBOL_STAND_IN * (error.end - error.start), error.end


codecs.register_error(_STAND_IN_ERRORS, _stand_in)


#: Every way a pattern can name the character 0: the character itself, or an escape of it
#: (hexadecimal, octal, Unicode, by name); over-cautious (an escaped backslash before a 0 counts too).
_NAMES_STAND_IN = compiled(r"\x00|\\(?:x00|0|u0000|U00000000|N\{)")


def _may_name_stand_in(expression: str) -> bool:
    """Whether ``expression`` may name :data:`_SYMBOL_STAND_IN` (a look at its text: parsing
    every expression in every process costs more than a small inspection)."""
    return _NAMES_STAND_IN.search(expression) is not None


#: The position of the separators' expression in the whole-pattern database.
_SEPARATORS = 0

WHOLE_PATTERNS = _WholePatternIndex()


#: The last answer of :func:`candidates`: (text, index it came from, patterns registered, answer).
#: Each detector asks about the same text object in turn (ten questions per tool); one
#: identity test answers the nine after the first. One tuple, swapped whole: thread-safe.
_last_answer: tuple[str | None, object, int, set[int]] = (None, None, 0, set())


def candidates(patterns: tuple[Pattern, ...], lowered: str) -> list[Pattern]:
    """The patterns that may match ``lowered`` (exactly those that do, for most patterns,
    where the whole-pattern index is ready and the text is ASCII or its only non-ASCII
    characters are symbols)."""
    global _last_answer
    text, index, registered, possible = _last_answer
    if text is not lowered or index is not WHOLE_PATTERNS.ready or registered != len(_REGISTRY):
        answer = WHOLE_PATTERNS.possible(lowered)
        possible = _ANCHORS.possible(lowered) if answer is None else answer
        _last_answer = (lowered, WHOLE_PATTERNS.ready, len(_REGISTRY), possible)
    return [entry for entry in patterns if entry.index in possible]


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
