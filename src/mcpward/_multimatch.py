"""Which of many expressions occur in a text, in one pass.

All expressions are compiled into one Hyperscan (Vectorscan) database and matched in a single
pass; where the native library is missing, or cannot take an expression, each runs with
Python's ``re`` instead. Both paths report the same set, so callers that confirm with an exact
pattern afterwards get the same results either way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any


class MultiMatcher:
    """``fired(data)``: the indices of the expressions that occur somewhere in ``data``."""

    def __init__(
        self, expressions: Sequence[str], caseless: Sequence[bool], *, use_hyperscan: bool = True
    ) -> None:
        self._python = [
            re.compile(expression.encode(), re.IGNORECASE if fold else 0)
            for expression, fold in zip(expressions, caseless, strict=True)
        ]
        self._database = _hyperscan_database(expressions, caseless) if use_hyperscan else None

    @property
    def native(self) -> bool:
        return self._database is not None

    def fired(self, data: bytes) -> set[int]:
        if self._database is None:
            return {index for index, expression in enumerate(self._python) if expression.search(data)}
        found: set[int] = set()

        def on_match(index: int, start: int, end: int, flags: int, context: Any) -> bool | None:
            found.add(index)
            return None

        self._database.scan(data, match_event_handler=on_match)
        return found


def _hyperscan_database(expressions: Sequence[str], caseless: Sequence[bool]) -> Any:
    if not expressions:
        return None
    try:
        import hyperscan
    except ImportError:
        return None
    database = hyperscan.Database()
    flags = [(hyperscan.HS_FLAG_CASELESS if fold else 0) | hyperscan.HS_FLAG_SINGLEMATCH for fold in caseless]
    try:
        database.compile(
            expressions=[e.encode() for e in expressions],
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=flags,
        )
    except hyperscan.error:
        return None  # an expression Hyperscan cannot take: the Python path gives the same set
    return database
