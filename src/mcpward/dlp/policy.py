"""An organisation's DLP policy: its own rules, what it allows, and what each finding does.

A policy is a TOML file::

    [[rules]]                       # custom rules: a regular expression or keywords
    id = "acme-employee-id"
    type = "internal-id"
    pattern = 'ACME-\\d{6}'
    severity = "high"
    action = "block"

    [[rules]]
    id = "project-codenames"
    keywords = ["Project Falcon", "Bluebird"]
    action = "redact"

    [actions]                       # by rule id, or by kind: secret, pii, custom
    pii = "redact"
    "email-address" = "alert"

    [allow]                         # never reported
    values = ["AKIAIOSFODNN7EXAMPLE"]
    domains = ["example.com"]       # e-mail addresses and URLs in these domains
    paths = ["$.params.arguments.to"]

    [tools."crm.lookup_customer"]   # the same, for one tool (server.tool or a tool name)
    actions = { "email-address" = "alert" }
    allow = { paths = ["$.result.content[*].text"] }

The most specific setting wins: the tool's action for the rule, then for its kind, then the
policy's, then the rule's own, then ``alert``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mcpward._multimatch import MultiMatcher
from mcpward._regex import compiled
from mcpward._settings import load_settings
from mcpward.dlp._engine import DlpMatch, DlpRule, Engine, builtin_rules
from mcpward.dlp._pii import DEFAULT_PHONE_REGIONS, known_phone_region
from mcpward.dlp.scanning import json_strings
from mcpward.errors import McpwardError
from mcpward.model import MessageAction, Severity

Action = Literal["alert", "redact", "block"]


@cache
def _native_matcher() -> bool:
    """Whether the native matcher is here: custom patterns must then compile for it too, or
    every scan would fall back to the slow path."""
    return MultiMatcher(["a"], [False]).native


class PolicyError(McpwardError):
    """A policy file that cannot be used, with what is wrong and where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomRule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    type: str = "custom"
    pattern: str | None = None
    keywords: tuple[str, ...] = ()
    case_sensitive: bool = False
    severity: Literal["low", "medium", "high", "critical"] = "high"
    action: Action = "alert"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is None:
            return None
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        # The one-pass matcher takes no look-around or back-references (Hyperscan's limits).
        if re.search(r"\(\?<?[=!]|\\[1-9]|\(\?P=", pattern):
            raise ValueError("look-around and back-references are not supported; match the text itself")
        if _native_matcher() and not MultiMatcher([pattern], [True]).native:
            raise ValueError("the one-pass matcher (Hyperscan) cannot compile this pattern")
        return pattern

    @model_validator(mode="after")
    def _one_matcher(self) -> CustomRule:
        if (self.pattern is None) == (not self.keywords):
            raise ValueError("give either pattern or keywords")
        if any(not keyword.strip() for keyword in self.keywords):
            raise ValueError("keywords must not be empty")
        return self

    def dlp_rule(self) -> DlpRule:
        expression = self.pattern or r"\b(?:" + "|".join(map(re.escape, self.keywords)) + r")\b"
        return DlpRule(
            self.id,
            "custom",
            expression,
            expression,
            0.9,
            caseless=not self.case_sensitive,
            action=self.action,
            severity=Severity(self.severity),
        )


class Allow(_Strict):
    values: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()

    @cached_property
    def _path_patterns(self) -> list[_PathGlob | re.Pattern[str]]:
        return [_path_pattern(path) for path in self.paths]

    def allows(self, value: str, path: str | None) -> bool:
        if value in self.values:
            return True
        if path is not None and any(p.fullmatch(path) for p in self._path_patterns):
            return True
        host = _domain_of(value)
        return host is not None and any(
            host == domain.lower() or host.endswith("." + domain.lower()) for domain in self.domains
        )


class ToolPolicy(_Strict):
    actions: dict[str, Action] = {}
    allow: Allow = Allow()


class DlpPolicy(_Strict):
    rules: tuple[CustomRule, ...] = ()
    actions: dict[str, Action] = {}
    allow: Allow = Allow()
    tools: dict[str, ToolPolicy] = {}
    #: Countries (ISO 3166 codes) whose national telephone formats are recognised without a
    #: country code or a word saying a number is one.
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS

    @field_validator("phone_regions")
    @classmethod
    def _known_regions(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [region for region in regions if not known_phone_region(region)]
        if unknown:
            names = ", ".join(map(repr, unknown))
            raise ValueError(f"unknown telephone region {names} (ISO 3166 codes: US, DE, ...)")
        return tuple(region.upper() for region in regions)

    @model_validator(mode="after")
    def _unique_ids(self) -> DlpPolicy:
        builtin = {rule.id for rule in builtin_rules()}
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen or rule.id in builtin:
                raise ValueError(f"rule id {rule.id!r} is used twice (or by a built-in rule)")
            seen.add(rule.id)
        return self

    @cached_property
    def engine(self) -> Engine:
        return Engine([*builtin_rules(self.phone_regions), *(rule.dlp_rule() for rule in self.rules)])

    def scan_json(self, value: Any, tool: str | None = None) -> list[DlpMatch]:
        """Matches in a JSON value (its strings, with paths) after allow-lists, with actions."""
        strings = json_strings(value, joined=True)
        return self._scan_many(strings.texts, strings.path, tool, strings.read_as_text, strings.names())

    def scan_strings(self, strings: Sequence[tuple[str, str]], tool: str | None = None) -> list[DlpMatch]:
        """Matches in ``(path, text)`` pairs already taken from a value (by ``strings_of``)."""
        return self._scan_many([text for _, text in strings], lambda index: strings[index][0], tool)

    def _scan_many(
        self,
        texts: list[str],
        path_of: Callable[[int], str],
        tool: str | None,
        reported: Callable[[int, DlpMatch], bool] = lambda index, match: True,
        names: Collection[int] = (),
    ) -> list[DlpMatch]:
        tool_policy = self._tool(tool)
        return [
            match
            for index, found in self.engine.scan_many(texts, names=names)
            if reported(index, found)
            for match in self._apply([replace(found, path=path_of(index))], texts[index], tool_policy)
        ]

    def scan_text(self, text: str, tool: str | None = None) -> list[DlpMatch]:
        return self._apply(self.engine.scan(text), text, self._tool(tool))

    def _apply(self, matches: list[DlpMatch], text: str, tool_policy: ToolPolicy | None) -> list[DlpMatch]:
        """``matches`` (all in ``text``) less the allowed ones, each with its action."""
        kept = []
        for match in matches:
            value = text[match.start : match.end]
            if self.allow.allows(value, match.path) or (
                tool_policy is not None and tool_policy.allow.allows(value, match.path)
            ):
                continue
            kept.append(replace(match, action=self._action(match, tool_policy)))
        return kept

    def _tool(self, tool: str | None) -> ToolPolicy | None:
        if tool is None:
            return None
        # "server.tool" finds a policy written for the bare tool name too.
        return self.tools.get(tool) or self.tools.get(tool.rsplit(".", 1)[-1])

    def _action(self, match: DlpMatch, tool_policy: ToolPolicy | None) -> str:
        for actions in (tool_policy.actions if tool_policy else {}, self.actions):
            for key in (match.rule, match.kind):
                if key in actions:
                    return actions[key]
        return match.action


def strongest_severity(severities: Iterable[str]) -> Severity:
    return max(map(Severity, severities), key=lambda severity: severity.rank, default=Severity.LOW)


def decision(matches: list[DlpMatch]) -> str:
    """What the strongest match asks for: ``block``, ``redact``, ``alert`` or ``pass``."""
    return max((m.action for m in matches), key=lambda name: MessageAction(name).rank, default="pass")


def load_policy(path: Path) -> DlpPolicy:
    return load_settings(path, DlpPolicy, PolicyError, root="policy")


def _path_pattern(path: str) -> _PathGlob | re.Pattern[str]:
    """A field path with wildcards: ``[*]`` is any index, ``*`` any one name, ``**`` anything.
    With two wildcards of names or more (`*`, `**`) the expression backtracks (``**.a.**.b`` took the
    square of a path's length, and an attacker makes the path of a match long with a long
    key): such paths are matched by :class:`_PathGlob` instead, in time linear in the path."""
    tokens = _glob_tokens(path)
    if sum(kind in (_ANY, _NAME) for kind, _ in tokens) > 1:
        return _PathGlob(tokens)
    expression = re.escape(path)
    expression = expression.replace(r"\[\*\]", r"\[\d+\]").replace(r"\*\*", ".*").replace(r"\*", r"[^.\[]*")
    return re.compile(expression)


_LITERAL, _DIGIT, _DIGITS, _NAME, _ANY = range(5)


def _glob_tokens(path: str) -> list[tuple[int, str]]:
    """The path's pieces, read as ``_path_pattern``'s expression reads them: ``[*]`` first (an
    index: "[", a digit, more digits, "]"), then ``**`` (any run of characters but a line
    break), then ``*`` (any run within a name: no "." or "["), else a literal character."""
    tokens: list[tuple[int, str]] = []
    position = 0
    while position < len(path):
        if path.startswith("[*]", position):
            tokens += [(_LITERAL, "["), (_DIGIT, ""), (_DIGITS, ""), (_LITERAL, "]")]
            position += 3
        elif path.startswith("**", position):
            tokens.append((_ANY, ""))
            position += 2
        elif path[position] == "*":
            tokens.append((_NAME, ""))
            position += 1
        else:
            tokens.append((_LITERAL, path[position]))
            position += 1
    return tokens


class _PathGlob:
    """A path pattern as a set of states stepped once per character (a Thompson automaton, its
    states the bits of an integer): no backtracking, whatever the wildcards."""

    def __init__(self, tokens: list[tuple[int, str]]) -> None:
        self._accept = 1 << len(tokens)
        self._literals: dict[str, int] = {}
        self._digit = self._digits = self._name = self._any = 0
        for index, (kind, char) in enumerate(tokens):
            bit = 1 << index
            if kind == _LITERAL:
                self._literals[char] = self._literals.get(char, 0) | bit
            elif kind == _DIGIT:
                self._digit |= bit
            elif kind == _DIGITS:
                self._digits |= bit
            elif kind == _NAME:
                self._name |= bit
            else:
                self._any |= bit
        #: The states a wildcard holds, which may also be passed without reading anything.
        self._optional = self._digits | self._name | self._any
        self._start = self._skip(1)

    def _skip(self, states: int) -> int:
        while (more := states | ((states & self._optional) << 1)) != states:
            states = more
        return states

    def fullmatch(self, path: str) -> bool:
        states = self._start
        for char in path:
            decimal = char.isdecimal()
            advance = self._literals.get(char, 0) | (self._digit if decimal else 0)
            stay = (self._any if char != "\n" else 0) | (self._name if char not in ".[" else 0)
            if decimal:
                stay |= self._digits
            states = self._skip(((states & advance) << 1) | (states & stay))
            if not states:
                return False
        return bool(states & self._accept)


_HOST = compiled(r"@([A-Za-z0-9.-]+)$|://(?:[^@/\s]*@)?([A-Za-z0-9.-]+)")


def _domain_of(value: str) -> str | None:
    match = _HOST.search(value)
    if match is None:
        return None
    return (match.group(1) or match.group(2)).lower().rstrip(".")
