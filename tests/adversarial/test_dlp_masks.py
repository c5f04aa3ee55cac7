"""A secret of a known format keeps nothing but its issuer prefix when masked.

Each rule shows the first ``visible_prefix`` characters of a match. The attacker's view: any of
those characters that the pattern lets vary freely is part of the secret itself, and stays
readable in what the gateway forwards and the audit log keeps (GitLab's formats shared one
rule showing 7 characters, so "glrt-" tokens kept two characters of the secret). So for every
rule, every character shown must be fixed by its pattern: a literal, or one of a few issuer
letters (``gh[pousr]_``), in every alternative."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from mcpward.dlp import redact_text
from mcpward.dlp._credentials import CREDENTIAL_FORMATS
from mcpward.dlp._engine import DlpRule, builtin_rules

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
#: The most characters a position of an issuer prefix may take (``[pousr]``: 5).
_PREFIX_CLASS = 8
#: More distinct prefixes than this: the shown part is not a fixed set of issuer prefixes.
_MOST_PREFIXES = 256


class _NotFixed(Exception):
    """A shown character the pattern does not fix."""


def _class_members(items: list[tuple[Any, Any]]) -> set[str]:
    members: set[str] = set()
    for op, av in items:
        if op is _constants.LITERAL:
            members.add(chr(av))
        elif op is _constants.RANGE and av[1] - av[0] < _PREFIX_CLASS:
            members.update(chr(c) for c in range(av[0], av[1] + 1))
        else:
            raise _NotFixed
        if len(members) > _PREFIX_CLASS:
            raise _NotFixed
    return members


def _starts(items: Any, states: set[str], length: int) -> set[str]:
    """The strings of ``length`` characters (or whole matches, if shorter) that a match of the
    parsed ``items`` can start with, continuing each of ``states``."""
    for op, av in items:
        open_states = {state for state in states if len(state) < length}
        if not open_states:
            break
        done = states - open_states
        if op in (_constants.ASSERT, _constants.ASSERT_NOT, _constants.AT):
            continue  # zero width: look-behind boundaries
        if op is _constants.LITERAL:
            grown = {state + chr(av) for state in open_states}
        elif op is _constants.IN:
            grown = {state + member for state in open_states for member in _class_members(av)}
        elif op is _constants.SUBPATTERN:
            grown = _starts(av[3], open_states, length)
        elif op is _constants.BRANCH:
            grown = set().union(*(_starts(branch, open_states, length) for branch in av[1]))
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT):
            low, high, body = av
            grown, current = set(), open_states
            for count in range(min(high, length + 1) + 1):
                if count >= low:
                    grown |= current
                if count == high or not {state for state in current if len(state) < length}:
                    break
                current = _starts(body, {s for s in current if len(s) < length}, length) | {
                    s for s in current if len(s) >= length
                }
        else:
            raise _NotFixed
        states = done | grown
        if len(states) > _MOST_PREFIXES:
            raise _NotFixed
    return states


def _shown(rule: DlpRule) -> set[str] | None:
    """What masks of the rule's matches can show, or None where it is not fixed."""
    try:
        return _starts(_parser.parse(rule.pattern), {""}, rule.visible_prefix)
    except _NotFixed:
        return None


_SHOWING = [rule for rule in builtin_rules() if rule.kind == "secret" and rule.visible_prefix]


@pytest.mark.parametrize("rule", _SHOWING, ids=lambda rule: f"{rule.id}-{rule.visible_prefix}")
def test_every_rule_shows_only_characters_its_pattern_fixes(rule: DlpRule) -> None:
    shown = _shown(rule)
    assert shown is not None, (rule.id, rule.pattern[:60])
    assert all(len(prefix) == rule.visible_prefix for prefix in shown), (rule.id, shown)


def test_the_check_catches_a_prefix_longer_than_the_issuers() -> None:
    # The check is not vacuous: GitLab's old single rule, showing 7, fails it.
    old = DlpRule(
        "gitlab-token", "secret", "gl", r"gl(?:pat|dt|rt)-[A-Za-z0-9_-]{20,50}", 0.9, visible_prefix=7
    )
    assert _shown(old) is None
    assert _shown(DlpRule("gh", "secret", "gh", r"gh[pousr]_[A-Za-z0-9]{36}", 0.9, visible_prefix=4)) == {
        f"gh{letter}_" for letter in "pousr"
    }


@pytest.mark.parametrize(
    ("prefix", "body"),
    [
        ("glpat-", "Xq8bC9dE0fG1hI2jK3lM"),
        ("glrt-", "Xq8bC9dE0fG1hI2jK3lM"),
        ("glsoat-", "Xq8bC9dE0fG1hI2jK3lM"),
        ("glcbt-", "4f_Xq8bC9dE0fG1hI2jK3lM"),
        ("glagent-", "Xq8bC9dE0fG1hI2jK3lMnO4pQ5rS6tU7vW8xY9zA0bC1dE2fG3hI"),
    ],
)
def test_a_gitlab_token_shows_its_prefix_only(prefix: str, body: str) -> None:
    assert redact_text(f"token {prefix}{body} end") == f"token {prefix}**** end"


def test_every_credential_format_is_a_rule() -> None:
    patterns = {rule.pattern for rule in builtin_rules()}
    assert all(fmt.pattern in patterns for fmt in CREDENTIAL_FORMATS if fmt.visible_prefix)
