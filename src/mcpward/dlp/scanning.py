"""Scanning strings and JSON values for secrets and personal data, and redacting them.

>>> from mcpward.dlp.scanning import scan_text, scan_json, redact
>>> [m.rule for m in scan_text("mail bob@corp.example.org")]
['email-address']
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from mcpward.dlp._engine import DlpMatch, Engine

MAX_DEPTH = 256
MAX_STRINGS = 1_000_000


class ScanLimitError(Exception):
    """A value too deep or too large to scan completely: the caller decides whether to block."""


@cache
def default_engine() -> Engine:
    return Engine()


def scan_text(text: str, engine: Engine | None = None) -> list[DlpMatch]:
    return (engine or default_engine()).scan(text)


def scan_json(value: Any, engine: Engine | None = None) -> list[DlpMatch]:
    """Matches in every string (keys included) of a JSON value, each with its JSONPath."""
    engine = engine or default_engine()
    matches: list[DlpMatch] = []
    for path, text in strings_of(value):
        matches.extend(engine.scan(text, path))
    return matches


def strings_of(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Every string of a JSON value with its path; iterative, bounded in depth and count."""
    stack: list[tuple[str, Any, int]] = [(path, value, 0)]
    count = 0
    while stack:
        where, item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ScanLimitError(f"{where}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, str):
            count += 1
            if count > MAX_STRINGS:
                raise ScanLimitError(f"more than {MAX_STRINGS} strings")
            yield where, item
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                child_path = _member_path(where, key)
                stack.append((child_path, child, depth + 1))
                stack.append((f"{child_path}(key)", str(key), depth + 1))
        elif isinstance(item, list):
            for index in reversed(range(len(item))):
                stack.append((f"{where}[{index}]", item[index], depth + 1))


def _member_path(where: str, key: Any) -> str:
    return f"{where}.{key}" if str(key).isidentifier() else f"{where}[{key!r}]"


def redact_json(value: Any, matches: list[DlpMatch]) -> Any:
    """A copy of a JSON value with each match masked in the string (or key) its path names."""
    by_path: dict[str | None, list[DlpMatch]] = {}
    for match in matches:
        by_path.setdefault(match.path, []).append(match)

    def masked(text: str, where: str) -> str:
        found = by_path.get(where)
        return redact(text, found) if found else text

    def copy(item: Any, where: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ScanLimitError(f"{where}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, str):
            return masked(item, where)
        if isinstance(item, dict):
            return {
                masked(str(key), f"{_member_path(where, key)}(key)"): copy(
                    child, _member_path(where, key), depth + 1
                )
                for key, child in item.items()
            }
        if isinstance(item, list):
            return [copy(child, f"{where}[{index}]", depth + 1) for index, child in enumerate(item)]
        return item

    return copy(value, "$", 0)


def redact(text: str, matches: list[DlpMatch] | None = None) -> str:
    """``text`` with every match replaced by its format-preserving mask (``ghp_****``)."""
    found = scan_text(text) if matches is None else matches
    pieces, cursor = [], 0
    for match in sorted(found, key=lambda m: m.start):
        if match.start < cursor:
            continue
        pieces.append(text[cursor : match.start])
        pieces.append(match.redacted)
        cursor = match.end
    pieces.append(text[cursor:])
    return "".join(pieces)
