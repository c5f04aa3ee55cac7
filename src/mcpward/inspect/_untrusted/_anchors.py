"""Literal words of which every match of a pattern holds one: a substring test on them (in C)
spares the regular expression on the many texts where none occurs."""

from __future__ import annotations

import importlib
from typing import Any

# Python's own parser of its patterns (private, stable since 3.11; no stubs in typeshed).
_p: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")


def anchors(pattern: str) -> frozenset[str] | None:
    """Lower-case literals, one of which is in every match of ``pattern`` (None: none found)."""
    found = _sequence(list(_p.parse(pattern)))
    if not found or any(len(a) < 2 for a in found):
        return None
    return frozenset(found)


def _better(first: set[str] | None, second: set[str] | None) -> set[str] | None:
    """The more selective of two anchor sets: fewer, longer literals."""
    if first is None:
        return second
    if second is None:
        return first
    return min(first, second, key=lambda s: (len(s) > 24, -min(map(len, s)), len(s)))


def _sequence(items: list[tuple[Any, Any]]) -> set[str] | None:
    best: set[str] | None = None
    run = ""
    for op, value in [*items, (None, None)]:
        if op is _c.LITERAL:
            run += chr(value)
            continue
        if len(run) >= 2:
            best = _better(best, {run})
        run = ""
        if op is None:
            break
        best = _better(best, _item(op, value))
    return best


def _item(op: Any, value: Any) -> set[str] | None:
    if op is _c.SUBPATTERN:
        return _sequence(list(value[-1]))
    if op is _c.BRANCH:
        union: set[str] = set()
        for branch in value[1]:
            found = _sequence(list(branch))
            if not found:
                return None
            union |= found
        return union
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and value[0] >= 1:
        return _sequence(list(value[2]))
    return None


def leading(pattern: str) -> frozenset[str] | None:
    """Lower-case literals one of which every match of ``pattern`` starts with (after zero-width
    word boundaries), or None: then every candidate start is where one of them occurs, and the
    exact pattern is tried there only instead of at every position of the text."""
    found = _leading_sequence(list(_p.parse(pattern)))
    if not found or any(len(a) < 2 for a in found):
        return None
    return frozenset(found)


def _leading_sequence(items: list[tuple[Any, Any]]) -> set[str] | None:
    index = 0
    while (
        index < len(items)
        and items[index][0] is _c.AT
        and items[index][1]
        in (
            _c.AT_BOUNDARY,
            _c.AT_UNI_BOUNDARY,
        )
    ):
        index += 1
    if index >= len(items):
        return None
    op, value = items[index]
    if op is _c.LITERAL:
        run = ""
        while index < len(items) and items[index][0] is _c.LITERAL:
            run += chr(items[index][1])
            index += 1
        return {run}
    if op is _c.SUBPATTERN:
        return _leading_sequence(list(value[-1]))
    if op is _c.BRANCH:
        union: set[str] = set()
        for branch in value[1]:
            found = _leading_sequence(list(branch))
            if not found:
                return None
            union |= found
        return union
    return None
