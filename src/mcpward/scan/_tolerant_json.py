"""JSONC read as VS Code reads it when it does not parse: around its errors.

VS Code parses settings, ``mcp.json`` files, workspace files and dev containers with
jsonc-parser's ``parse``, which reports a syntax error and goes on: an unexpected token in an
object or a list is skipped up to the next ``,`` or closing bracket, a missing comma is only
noted, and whatever follows the first value is ignored. The servers of such a file start; a
scan that read none of them missed them. This reads a file the same way, to inventory what its
client reads, never to rewrite it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mcpward._regex import compiled

#: Nesting read; a value deeper is skipped as an error is (jsonc-parser recurses without a
#: bound, and a client would fail on such a file long before).
MAX_DEPTH = 200
#: Tokens read of one file (each costs a step of Python, about a microsecond here): what
#: follows is not read, and said. White space and comments are free: a run is one match. An
#: MCP config is hundreds of tokens, a large settings file tens of thousands; 4,000,000 cost a
#: hostile file 5.8 s of CPU.
MAX_TOKENS = 1_000_000
#: Tokens read around errors in one scan, all files together: a tree of hostile files each
#: cost its own budget before.
MAX_SCAN_TOKENS = 4_000_000
#: Digits of a number read as a number; a longer one is kept as its text.
_MAX_DIGITS = 4_000

_TOKEN = compiled(
    r"""(?P<space>[\s\ufeff]++)"""
    r"""|(?P<line_comment>//[^\r\n]*+)"""
    r"""|(?P<block_comment>/\*(?:[^*]++|\*(?!/))*+(?:\*/)?)"""
    r"""|(?P<punct>[{}\[\]:,])"""
    r"""|(?P<string>"(?:[^"\\\r\n]++|\\.)*+"?)"""
    r"""|(?P<number>-?(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?(?:[eE][+-]?[0-9]++)?(?![^\s{}\[\]:,"/]))"""
    r"""|(?P<word>[^\s{}\[\]:,"/]++|/)""",
    re.DOTALL,
)
_CLOSED_STRING = compiled(r'"(?:[^"\\\r\n]++|\\.)*+"', re.DOTALL)
_LITERALS = {"true": True, "false": False, "null": None}
_EOF = ("eof", "")
_MISSING = object()


#: What an error skips over, up to the next stop: anything but ``}``, ``]`` and ``,`` (strings
#: and comments whole, as they may hold them), in one match.
_SKIPPED = compiled(
    r"""(?:[^"/{}\[\],]++|"(?:[^"\\\r\n]++|\\.)*+"?|//[^\r\n]*+|/\*(?:[^*]++|\*(?!/))*+(?:\*/)?|/|[{\[])*+""",
    re.DOTALL,
)


class _Reader:
    """Tokens read one at a time (a file of brackets is millions of them), comments and white
    space left out; ``word`` is anything jsonc-parser scans as an unknown symbol or a literal."""

    def __init__(self, text: str, max_tokens: int) -> None:
        self._text = text
        self._position = 0
        self.left = max_tokens
        self.cut = False
        self.token = _EOF
        self.advance()

    def kind(self) -> str:
        kind, value = self.token
        return value if kind == "punct" else kind

    def advance(self) -> None:
        text, match = self._text, _TOKEN.match
        while (found := match(text, self._position)) is not None:
            self._position = found.end()
            kind = found.lastgroup or "word"
            if kind not in ("space", "line_comment", "block_comment"):
                self.left -= 1
                if self.left < 0:
                    self.cut = True
                    break
                self.token = (kind, found.group())
                return
        self.token = _EOF

    def skip_to(self, stops: str) -> None:
        """Past tokens until one of ``stops`` (not taken) or the end, as jsonc-parser's
        ``handleError`` skips after an error: up to the next ``}``, ``]`` or ``,`` in one match,
        then token by token."""
        while self.kind() not in stops and self.kind() != "eof":
            if self.kind() not in "}],":
                self._position = _SKIPPED.match(self._text, self._position).end()  # type: ignore[union-attr]
            self.advance()

    def value(self, depth: int) -> Any:
        """The value at the current token, or ``_MISSING`` (nothing taken) where there is none."""
        kind, text = self.token
        if kind == "punct" and text in "{[":
            if depth >= MAX_DEPTH:
                return _MISSING
            return self.object(depth + 1) if text == "{" else self.array(depth + 1)
        if kind == "string":
            self.advance()
            return _string(text)
        if kind == "number":
            self.advance()
            return _number(text)
        if kind == "word" and text in _LITERALS:
            self.advance()
            return _LITERALS[text]
        return _MISSING

    def object(self, depth: int) -> dict[str, Any]:
        self.advance()  # "{"
        members: dict[str, Any] = {}
        while self.kind() not in ("}", "eof"):
            if self.kind() == ",":
                self.advance()
                if self.kind() == "}":
                    break  # a trailing comma
            if self.kind() != "string":
                self.skip_to("},")
                continue
            name = _string(self.token[1])
            self.advance()
            if self.kind() != ":":
                self.skip_to("},")
                continue
            self.advance()
            item = self.value(depth)
            if item is _MISSING:
                self.skip_to("},")
            else:
                members[name] = item
        if self.kind() == "}":
            self.advance()
        return members

    def array(self, depth: int) -> list[Any]:
        self.advance()  # "["
        items: list[Any] = []
        while self.kind() not in ("]", "eof"):
            if self.kind() == ",":
                self.advance()
                if self.kind() == "]":
                    break
                continue
            item = self.value(depth)
            if item is _MISSING:
                self.skip_to("],")
            else:
                items.append(item)
        if self.kind() == "]":
            self.advance()
        return items


def _string(token: str) -> str:
    body = token[1:-1] if _CLOSED_STRING.fullmatch(token) else token[1:]
    try:
        return str(json.loads(f'"{body}"'))
    except ValueError:
        return body  # a bad escape: jsonc-parser keeps what it can; the text is close enough


def _number(token: str) -> int | float | str:
    if len(token) > _MAX_DIGITS:
        return token
    try:
        return json.loads(token)  # type: ignore[no-any-return]
    except ValueError:
        return token


def read_around_errors(text: str, max_tokens: int = MAX_TOKENS) -> tuple[Any, bool, int]:
    """The first value of ``text`` as jsonc-parser's ``parse`` gives it despite syntax errors
    (None where there is none), whether it was cut at ``max_tokens`` (at most
    :data:`MAX_TOKENS`), and how many tokens were read."""
    budget = min(max_tokens, MAX_TOKENS)
    reader = _Reader(text, budget)
    item = reader.value(0)
    return (None if item is _MISSING else item), reader.cut, budget - max(reader.left, 0)
