"""Which of many expressions occur in a text, in one pass.

All expressions are compiled into one Hyperscan (Vectorscan) database and matched in a single
pass; where the native library is missing, or cannot take an expression, each runs with
Python's ``re`` instead (or its fallback, a broader expression, when the caller gives one).
Callers confirm with an exact pattern afterwards, so they get the same results either way.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any, Generic, TypeVar

from mcpward._paths import keep_owner_only_named, read_own_named, user_cache_dir


class MultiMatcher:
    """``fired(data)``: the indices of the expressions that occur somewhere in ``data``."""

    def __init__(
        self,
        expressions: Sequence[str],
        caseless: Sequence[bool],
        *,
        use_hyperscan: bool = True,
        fallbacks: Sequence[str] | None = None,
        dotall: bool = False,
        prefilter: bool = False,
        compile_missing: bool = True,
        every_match: Mapping[int, str] | None = None,
    ) -> None:
        """``prefilter``: Hyperscan may approximate an expression it cannot take as written
        (look-arounds dropped, bounds widened), so ``fired`` may name more expressions than
        occur, never fewer; the Python path runs the expressions as written.
        ``fallbacks``: for each expression, a broader one that serves where Hyperscan
        cannot compile it, and for every expression on the pure-Python path (Python's ``re``
        searches a short literal faster than a derived trigger; callers confirm with their exact
        pattern, so either gives the same results). ``compile_missing=False``: use the native
        database only if one is in the cache (no compile now; ``native`` tells).
        ``every_match``: expressions, by index, that ``fired_in_each`` runs instead, where the
        one ``fired`` runs would report at every position of a long match (``fired`` stops at
        an expression's first report; ``fired_in_each`` takes every one)."""
        expressions = list(expressions)
        self._dotall, self._prefilter = dotall, prefilter

        def database(chosen: list[str]) -> Any:
            if not use_hyperscan:
                return None
            return _hyperscan_database(
                chosen, caseless, dotall=dotall, prefilter=prefilter, compile_missing=compile_missing
            )

        self._database = database(expressions)
        if self._database is None and fallbacks is not None and compile_missing:
            expressions = [
                expression
                if use_hyperscan and _hyperscan_database([expression], [fold], dotall=dotall) is not None
                else fallback
                for expression, fold, fallback in zip(expressions, caseless, fallbacks, strict=True)
            ]
            self._database = database(expressions)
        self._python: list[re.Pattern[bytes]] | None = None  # compiled at the first use
        self._expressions, self._caseless = expressions, list(caseless)
        self._every_expressions = [(every_match or {}).get(index, e) for index, e in enumerate(expressions)]
        self._every_match: Any = _NOT_BUILT

    @property
    def native(self) -> bool:
        return self._database is not None

    def fired(self, data: bytes) -> set[int]:
        if self._database is None:
            if self._python is None:
                dotall = re.DOTALL if self._dotall else 0
                self._python = [
                    re.compile(expression.encode(), (re.IGNORECASE if fold else 0) | dotall)
                    for expression, fold in zip(self._expressions, self._caseless, strict=True)
                ]
            return {index for index, expression in enumerate(self._python) if expression.search(data)}
        found: set[int] = set()

        def on_match(index: int, start: int, end: int, flags: int, context: Any) -> bool | None:
            found.add(index)
            return None

        self._database.scan(data, on_match)
        return found

    def fired_in_each(self, data: bytes, lengths: Sequence[int]) -> dict[int, set[int]] | None:
        """For each piece of ``data`` (pieces of the given lengths, joined by one separator
        byte) in which any occurs, the expressions that occur in it, from one native pass over
        all of them: many short strings (the values of a JSON message) cost one call instead of
        one each. ``None`` without the native library, or when the expressions match so often
        that reporting each match costs more than a pass per piece (then call ``fired`` on each).

        A match that spans two pieces (across the separator) may name an expression for a piece
        that holds none; callers confirm with their exact pattern, so only time is lost."""
        if self._every_match is _NOT_BUILT:  # built at the first use: not every caller needs it
            self._every_match = (
                _hyperscan_database(
                    self._every_expressions,
                    self._caseless,
                    single=False,
                    dotall=self._dotall,
                    prefilter=self._prefilter,
                )
                if self._database is not None
                else None
            )
        if self._every_match is None:
            return None
        starts = [0, *accumulate(length + 1 for length in lengths)]
        found: dict[int, set[int]] = {}
        budget = [_REPORTS_PER_PIECE * len(lengths) + 1024]

        def on_match(index: int, start: int, end: int, flags: int, context: Any) -> bool:
            found.setdefault(bisect_right(starts, end - 1) - 1, set()).add(index)
            budget[0] -= 1
            return budget[0] <= 0

        import hyperscan

        try:
            self._every_match.scan(data, on_match)
        except hyperscan.ScanTerminated:
            return None
        return found


_NOT_BUILT = object()
_Built = TypeVar("_Built")


class NativeBuild(Generic[_Built]):
    """A native index made once per process by ``build(compile_missing)`` (None: cannot be made,
    or not cached when ``compile_missing`` is false). Compiling can take seconds, so callers ask
    without waiting (``ready``, ``from_cache``) and keep their Python path until it is there;
    ``start`` compiles it in a background thread (Hyperscan releases the GIL while compiling)."""

    def __init__(self, build: Callable[[bool], _Built | None], name: str) -> None:
        self._build, self._name = build, name
        self._built: _Built | None = None
        self._cache_tried = self._failed = self._started = False
        self._lock = threading.Lock()
        #: Uses that went without it (``missed``).
        self._misses = 0

    @property
    def ready(self) -> _Built | None:
        return self._built

    def from_cache(self) -> _Built | None:
        """What is built, after one look in the cache (a millisecond) on the first call."""
        if self._built is None and not self._cache_tried:
            self.prepare(compile_missing=False)
        return self._built

    def missed(self, after: int) -> None:
        """A use that went without it: the ``after``-th starts the compile in the background
        (a process that needs it that often pays for the compile; a short-lived one never does)."""
        self._misses += 1
        if self._misses >= after:
            self.start()

    def start(self) -> None:
        if self._built is None and not self._failed and not self._started:
            self._started = True
            threading.Thread(target=self.prepare, name=self._name, daemon=True).start()

    def prepare(self, *, compile_missing: bool = True) -> _Built | None:
        """Build it now (from the cache only unless ``compile_missing``); what is built."""
        with self._lock:
            if self._built is None and not self._failed and (compile_missing or not self._cache_tried):
                self._built = self._build(compile_missing)
                self._cache_tried = True
                self._failed = self._built is None and compile_missing
            return self._built


#: Reports allowed per piece on average before a pass over all pieces gives way to one pass per
#: piece, where each expression reports once at most.
_REPORTS_PER_PIECE = 4


class _Scanner:
    """A compiled database with one scratch space per thread. Hyperscan lets a scratch serve one
    scan at a time and releases the GIL while scanning, so two threads sharing one (a registry
    serving two reviewers at once) fail with ScratchInUseError."""

    def __init__(self, database: Any) -> None:
        import hyperscan

        self._database = database
        self._local = threading.local()
        # Made now for the first thread: a database compiled for another CPU fails here.
        self._local.scratch = hyperscan.Scratch(database)

    def scan(self, data: bytes, on_match: Any) -> None:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            import hyperscan

            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        self._database.scan(data, match_event_handler=on_match, scratch=scratch)


def _hyperscan_database(
    expressions: Sequence[str],
    caseless: Sequence[bool],
    *,
    single: bool = True,
    dotall: bool = False,
    prefilter: bool = False,
    compile_missing: bool = True,
) -> Any:
    """``single``: report each expression once per scan (enough to know it occurs).
    ``compile_missing=False``: only a database already in the cache, else None."""
    if not expressions:
        return None
    try:
        import hyperscan
    except ImportError:
        return None
    key = hashlib.sha256(
        json.dumps(
            [getattr(hyperscan, "__version__", ""), single, dotall, list(expressions), list(caseless)]
            + ([True] if prefilter else [])
        ).encode()
    ).hexdigest()
    database = _cached(key, hyperscan)
    if database is not None or not compile_missing:
        return database
    database = hyperscan.Database()
    common = (
        (hyperscan.HS_FLAG_SINGLEMATCH if single else 0)
        | (hyperscan.HS_FLAG_DOTALL if dotall else 0)
        | (hyperscan.HS_FLAG_PREFILTER if prefilter else 0)
    )
    flags = [(hyperscan.HS_FLAG_CASELESS if fold else 0) | common for fold in caseless]
    try:
        database.compile(
            expressions=[e.encode() for e in expressions],
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=flags,
        )
    except hyperscan.error:
        return None  # an expression Hyperscan cannot take: the Python path gives the same set
    _keep(key, hyperscan.dumpb(database))
    return _Scanner(database)


#: Compiled databases by the hash of what they were compiled from: compiling the DLP rules takes
#: 0.16 s, loading one 4 us, and every ``gateway run`` (one per stdio server) starts afresh.
def _cache_folder() -> Path:
    return user_cache_dir() / "hyperscan"


def _named(key: str) -> str:
    """The first line of a kept file: the key it was made for (see ``read_own_named``)."""
    return f"mcpward-hyperscan {key}"


def _cached(key: str, hyperscan: Any) -> Any:
    data = read_own_named(_cache_folder() / f"{key}.db", _named(key))
    if data is None:
        return None
    try:
        return _Scanner(hyperscan.loadb(data, hyperscan.HS_MODE_BLOCK))
    except hyperscan.error:
        return None  # damaged (the format has a checksum) or for another CPU


def _keep(key: str, data: bytes, suffix: str = ".db") -> None:
    # Not kept where it cannot be written (a read-only home): compiled each time then.
    keep_owner_only_named(_cache_folder() / f"{key}{suffix}", _named(key), data)


class SpanFinder:
    """Where each of many expressions occurs, in one native pass: for each expression, the
    windows (byte ranges, in order, not overlapping) that hold every one of its matches, from
    each match's leftmost start to its end. A caller then runs an exact pattern only inside
    them instead of over the whole text.

    Expressions Hyperscan cannot compile with start-of-match tracking are left out
    (``indices`` names those that are in)."""

    def __init__(self, expressions: Mapping[int, str], caseless: Mapping[int, bool]) -> None:
        self._database, self.indices = _start_tracking_database(dict(expressions), dict(caseless))

    @property
    def native(self) -> bool:
        return self._database is not None

    def windows(self, data: bytes, budget: int) -> dict[int, list[list[int]]] | None:
        """The windows of each expression that occurs in ``data``; ``None`` after ``budget``
        reports (a text so dense that a pass per expression is cheaper than a report per
        match end) or without the native library."""
        if self._database is None:
            return None
        found: dict[int, list[list[int]]] = {}
        left = [budget]

        def on_match(index: int, start: int, end: int, flags: int, context: Any) -> bool:
            # Reports come in the order of their ends; a window grows while they overlap it.
            spans = found.get(index)
            if spans is None:
                found[index] = [[start, end]]
            else:
                last = spans[-1]
                if start <= last[1]:
                    if start < last[0]:
                        last[0] = start
                    if end > last[1]:
                        last[1] = end
                else:
                    spans.append([start, end])
            left[0] -= 1
            return left[0] <= 0

        import hyperscan

        try:
            self._database.scan(data, on_match)
        except hyperscan.ScanTerminated:
            return None
        for index, spans in found.items():
            found[index] = _merged(spans)
        return found


def _merged(spans: list[list[int]]) -> list[list[int]]:
    """Windows in order of their starts, overlapping ones joined (a report's leftmost start
    may reach back over earlier windows)."""
    if all(spans[i][1] < spans[i + 1][0] for i in range(len(spans) - 1)):
        return spans
    joined: list[list[int]] = []
    for start, end in sorted(spans):
        if joined and start <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return joined


def _start_tracking_database(
    expressions: dict[int, str], caseless: dict[int, bool]
) -> tuple[Any, frozenset[int]]:
    """A database reporting every match with its leftmost start, of the expressions that
    compile so (start tracking makes some too large): found by halving the set, once; the
    database and the indices it holds are kept in the cache."""
    try:
        import hyperscan
    except ImportError:
        return None, frozenset()
    if not expressions:
        return None, frozenset()
    key = hashlib.sha256(
        json.dumps(
            [
                getattr(hyperscan, "__version__", ""),
                "som",
                sorted(expressions.items()),
                sorted(caseless.items()),
            ]
        ).encode()
    ).hexdigest()
    folder = _cache_folder()
    try:
        listed = read_own_named(folder / f"{key}.ids.json", _named(key))
        if listed is None:
            raise ValueError("no list of its own")  # or another key's (see read_own_named)
        indices = frozenset(json.loads(listed))
        database = _cached(key, hyperscan) if indices else None
        if database is not None or not indices:
            return database, indices
    except (OSError, ValueError, TypeError):
        pass

    def compiled(chosen: list[int]) -> Any:
        database = hyperscan.Database()
        som = hyperscan.HS_FLAG_SOM_LEFTMOST
        try:
            database.compile(
                expressions=[expressions[i].encode() for i in chosen],
                ids=chosen,
                elements=len(chosen),
                flags=[som | (hyperscan.HS_FLAG_CASELESS if caseless.get(i) else 0) for i in chosen],
            )
        except hyperscan.error:
            return None
        return database

    def usable(chosen: list[int]) -> list[int]:
        if not chosen or compiled(chosen) is not None:
            return chosen
        if len(chosen) == 1:
            return []
        half = len(chosen) // 2
        return usable(chosen[:half]) + usable(chosen[half:])

    kept = usable(sorted(expressions))
    database = compiled(kept) if kept else None
    if database is not None:
        _keep(key, hyperscan.dumpb(database))
    _keep(key, json.dumps(kept).encode(), ".ids.json")
    if database is None:
        return None, frozenset()
    return _Scanner(database), frozenset(kept)
