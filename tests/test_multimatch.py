"""The one-pass matcher shared by DLP triggers and inspect's pattern anchors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpward._multimatch import MultiMatcher

EXPRESSIONS = ["exfil", "golden\\ ticket|silver\\ ticket", "gh[pousr]_", "AKIA"]
CASELESS = [True, True, False, False]


@pytest.mark.parametrize(
    "text,expected",
    [
        (b"Mint a Golden Ticket, then EXFILtrate", {0, 1}),
        (b"token ghp_abc and key AKIAXXXX", {2, 3}),
        (b"token GHP_abc and key akiaxxxx", set()),  # case-sensitive expressions stay so
        (b"get the weather for Berlin", set()),
        (b"", set()),
    ],
)
def test_native_and_python_paths_report_the_same_expressions(text: bytes, expected: set[int]) -> None:
    native = MultiMatcher(EXPRESSIONS, CASELESS)
    python = MultiMatcher(EXPRESSIONS, CASELESS, use_hyperscan=False)
    assert native.native and not python.native
    assert native.fired(text) == python.fired(text) == expected


def test_no_expressions_match_nothing() -> None:
    assert MultiMatcher([], []).fired(b"anything") == set()


def test_dot_all_and_a_database_only_from_the_cache_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path))  # a cache of its own: the run's is shared
    expressions = ["before.{0,20}after"]
    assert not MultiMatcher(expressions, [True], compile_missing=False).native  # nothing cached yet
    for dotall, expected in ((False, set()), (True, {0})):
        native = MultiMatcher(expressions, [True], dotall=dotall)
        python = MultiMatcher(expressions, [True], dotall=dotall, use_hyperscan=False)
        assert native.native
        assert native.fired(b"Before\nAfter") == python.fired(b"Before\nAfter") == expected
    assert MultiMatcher(expressions, [True], dotall=True, compile_missing=False).native  # now cached


def test_threads_scanning_one_matcher_at_once_each_get_every_answer() -> None:
    # One scratch space shared by threads failed with ScratchInUseError (two reviewers
    # deciding at once in the registry, in a CI run): each thread now has its own.
    from concurrent.futures import ThreadPoolExecutor

    from mcpward._multimatch import SpanFinder

    matcher = MultiMatcher(EXPRESSIONS, CASELESS)
    finder = SpanFinder(dict(enumerate(EXPRESSIONS)), dict(enumerate(CASELESS)))
    assert matcher.native and finder.native
    # Long enough that scans overlap in time (Hyperscan lets go of the GIL while it scans).
    text = b"weather " * 200_000 + b"golden ticket AKIA"

    def scan(_: int) -> tuple[set[int], set[int], bool]:
        windows = finder.windows(text, budget=1000)
        each = matcher.fired_in_each(text, [len(text)])
        return matcher.fired(text), set(windows or ()), each == {0: {1, 3}}

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(scan, range(64)))
    assert answers == [({1, 3}, {1, 3}, True)] * 64


def test_prefilter_mode_fires_for_what_it_cannot_take_as_written() -> None:
    # A look-behind Hyperscan refuses as written: in prefilter mode it is dropped, so the
    # database fires on a superset (callers confirm in Python); the cache keeps the two apart.
    expressions = ["(?<!not )allowed"]
    assert not MultiMatcher(expressions, [False]).native  # refused as written
    prefilter = MultiMatcher(expressions, [False], prefilter=True)
    assert prefilter.native
    assert prefilter.fired(b"it is allowed") == {0}
    assert prefilter.fired(b"it is not allowed") == {0}  # more than the expression: never fewer
    assert prefilter.fired(b"forbidden") == set()


def test_a_native_build_is_made_once_in_the_background_or_from_the_cache() -> None:
    import threading

    from mcpward._multimatch import NativeBuild

    calls: list[bool] = []
    cached: list[str] = []
    release = threading.Event()

    def build(compile_missing: bool) -> str | None:
        calls.append(compile_missing)
        if compile_missing:
            release.wait(10)
            cached.append("built")
            return "built"
        return cached[0] if cached else None

    native: NativeBuild[str] = NativeBuild(build, "test-build")
    assert native.from_cache() is None and native.from_cache() is None  # one look, no compile
    assert calls == [False]
    native.start()
    native.start()  # a second start does not compile again
    assert native.ready is None  # the caller does not wait
    release.set()
    assert native.prepare() == "built"  # waits for the background build, then has it
    assert calls == [False, True]
    assert NativeBuild(build, "test-build").from_cache() == "built"  # a later process loads it

    failing: NativeBuild[str] = NativeBuild(lambda compile_missing: None, "test-build")
    assert failing.prepare() is None and failing.prepare() is None
    failing.start()
    assert failing.ready is None
