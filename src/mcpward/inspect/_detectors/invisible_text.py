"""Text a person does not see but a model reads: Unicode tag characters (decoded and scanned
like any other text), zero-width and bidirectional controls, ANSI escapes; and tool names
written to look like another server's tools."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward._regex import compiled
from mcpward.identity import skeleton
from mcpward.inspect._detectors import hidden_instructions, sensitive_references, shadowing
from mcpward.inspect._detectors._patterns import match_patterns
from mcpward.inspect.interface import Detector, Hit, InspectionContext, SurfaceItem
from mcpward.model import Category, Severity

_TAGS = compiled("[\U000e0000-\U000e007f]+")
_ZERO_WIDTH = compiled("[\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e]")
_BIDI = compiled("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_ANSI = compiled(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = compiled("[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")
_NOT_CONTROL = bytes(byte for byte in range(256) if not _CONTROL.match(chr(byte)))


def decode_tags(text: str) -> str:
    """Unicode tag characters (U+E0020..U+E007E) carry ASCII invisibly: shift them back."""
    return "".join(
        chr(ord(c) - 0xE0000)
        for match in _TAGS.finditer(text)
        for c in match.group(0)
        if 0x20 <= ord(c) - 0xE0000 <= 0x7E
    )


class InvisibleText(Detector):
    category = Category.INVISIBLE_TEXT

    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        text = item.joined
        # Tag, zero-width and bidi characters are not ASCII; escapes need ESC. Most text is
        # plain ASCII, and these checks then cost nothing (they were 0.14 ms per 4 KB).
        ascii_only = text.isascii()
        tags = None if ascii_only else _TAGS.search(text)
        if tags is not None:
            hidden = decode_tags(text)
            path = item.field_at(tags.start()).path
            yield Hit(
                "unicode-tag-text",
                self.category,
                Severity.CRITICAL,
                path,
                hidden[:160],
                "invisible Unicode tag characters spell out text for the model",
            )
            for family in (hidden_instructions.PATTERNS, sensitive_references.PATTERNS, shadowing.PATTERNS):
                for hit in match_patterns(item, Category.TOOL_POISONING, family, text=hidden):
                    yield Hit(
                        f"hidden-{hit.rule}",
                        hit.category,
                        Severity.CRITICAL,
                        path,
                        hit.matched,
                        f"in invisible text: {hit.why}",
                    )
        for regex, rule, severity, why in (
            (
                _ANSI,
                "ansi-escape",
                Severity.HIGH,
                "terminal escape sequences can hide or rewrite what is shown",
            ),
            (_BIDI, "bidi-control", Severity.HIGH, "bidirectional controls reorder what the reader sees"),
            (
                _ZERO_WIDTH,
                "zero-width-character",
                Severity.MEDIUM,
                "zero-width characters hide text or split words",
            ),
            (
                _CONTROL,
                "control-character",
                Severity.MEDIUM,
                "control characters are not meant for a description",
            ),
        ):
            if (ascii_only and regex in (_BIDI, _ZERO_WIDTH)) or (regex is _ANSI and "\x1b" not in text):
                continue
            if regex is _CONTROL and ascii_only and not text.encode("ascii").translate(None, _NOT_CONTROL):
                continue  # deleting every other byte in C: 2.5 us per 4 KB, the search took 15
            match = regex.search(text)
            if match is not None:
                yield Hit(
                    rule,
                    self.category,
                    severity,
                    item.field_at(match.start()).path,
                    repr(match.group(0)),
                    why,
                )
        if item.kind == "tool":
            yield from self._lookalike_name(item, context)

    def _lookalike_name(self, item: SurfaceItem, context: InspectionContext) -> Iterator[Hit]:
        looks = _names_by_look(context)
        if not looks:
            return
        known: dict[str, str] = context.derived.get("invisible_text.skeletons", {})
        mine = known.get(item.name)
        for server, name in looks.get(skeleton(item.name) if mine is None else mine, ()):
            if server != item.server and name != item.name and not _same_words(name, item.name):
                yield Hit(
                    "lookalike-tool-name",
                    self.category,
                    Severity.HIGH,
                    "name",
                    item.name,
                    f"written to look like {name!r} of server {server!r}",
                )
                return


_SEPARATORS = compiled(r"[-_.\s]")


def _same_words(one: str, other: str) -> bool:
    """ASCII names that differ only in case or separators (``describe_log_groups`` and
    ``describe-log-groups``, ``executeQuery`` and ``ExecuteQuery``) are two vendors' naming
    conventions for the same words, not one written to look like the other."""
    return (
        one.isascii()
        and other.isascii()
        and _SEPARATORS.sub("", one).lower() == _SEPARATORS.sub("", other).lower()
    )


def _names_by_look(context: InspectionContext) -> dict[str, list[tuple[str, str]]]:
    """Every tool name of every server under its skeleton, (server, name) sorted, built once
    per inspection: a look-up per tool instead of a comparison with every other server's
    tools (thousands of tools on several servers made that quadratic). Empty with one server."""
    if "invisible_text.looks" not in context.derived:
        looks: dict[str, list[tuple[str, str]]] = {}
        # Each name's skeleton, kept: every tool's own name is among them (one computation each).
        skeletons: dict[str, str] = {}
        if len(context.tool_names) > 1:
            for server, names in context.tool_names.items():
                for name in names:
                    if name not in skeletons:
                        skeletons[name] = skeleton(name)
                    looks.setdefault(skeletons[name], []).append((server, name))
            for owners in looks.values():
                owners.sort()
        context.derived["invisible_text.skeletons"] = skeletons
        context.derived["invisible_text.looks"] = looks
    found: dict[str, list[tuple[str, str]]] = context.derived["invisible_text.looks"]
    return found
