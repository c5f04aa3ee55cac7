"""The one-pass matcher shared by DLP triggers and inspect's pattern anchors."""

from __future__ import annotations

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
