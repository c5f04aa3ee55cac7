"""Scanning strings and JSON values for secrets and personal data, and redacting them.

>>> from mcpward.dlp.scanning import scan_text, scan_json, redact
>>> [m.rule for m in scan_text("mail bob@corp.example.org")]
['email-address']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from typing import Any

from mcpward._regex import compiled
from mcpward.dlp._engine import DlpMatch, Engine
from mcpward.errors import McpwardError

MAX_DEPTH = 256
MAX_STRINGS = 1_000_000


class ScanLimitError(McpwardError):
    """A value too deep or too large to scan completely: the caller decides whether to block."""


@cache
def default_engine() -> Engine:
    return Engine()


def scan_text(text: str, engine: Engine | None = None) -> list[DlpMatch]:
    return (engine or default_engine()).scan(text)


def scan_json(value: Any, engine: Engine | None = None) -> list[DlpMatch]:
    """Matches in every string (keys included) of a JSON value, each with its JSONPath, and the
    secrets of its lists of bytes or of pieces (``joined_text``), each with the list's path."""
    strings = json_strings(value, joined=True)
    return [
        replace(match, path=strings.path(index))
        for index, match in (engine or default_engine()).scan_many(strings.texts, names=strings.names())
        if strings.read_as_text(index, match)
    ]


def strings_of(value: Any) -> Iterator[tuple[str, str]]:
    """Every string of a JSON value with its path, in document order (a key before its value)."""
    strings = json_strings(value)
    for index, text in enumerate(strings.texts):
        yield strings.path(index), text


#: Where a string is: ``None`` for the value itself, else (the place of its container, the
#: member name or item index, which of the four below it is: a list's joined text is at the
#: list's own place).
_Place = tuple[Any, Any, int] | None
_MEMBER_VALUE, _MEMBER_NAME, _ITEM, _JOINED = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class JsonStrings:
    """Every string of a JSON value (keys included) in document order, and where each is. A
    path is written only when asked for: most strings of a message never need one."""

    texts: list[str]
    places: list[_Place]

    def path(self, index: int) -> str:
        return _path_of(self.places[index])

    def names(self) -> list[int]:
        """The indices of the strings that are member names (keys)."""
        return [
            index for index, place in enumerate(self.places) if place is not None and place[2] == _MEMBER_NAME
        ]

    def read_as_text(self, index: int, match: DlpMatch) -> bool:
        """Whether ``match`` of the text at ``index`` is reported: every match of a string, only
        secrets of a list's joined text (its pieces may join into a card number's digits or a
        telephone number by chance; a secret's format or its encoding does not)."""
        place = self.places[index]
        return place is None or place[2] != _JOINED or match.kind == "secret"


def _path_of(place: _Place) -> str:
    steps = []
    while place is not None:
        steps.append(place)
        place = place[0]
    path = "$"
    for _container, step, kind in reversed(steps):
        if kind == _JOINED:
            continue  # the list's own path
        if kind == _ITEM:
            path += f"[{step}]"
        else:
            path = _member_path(path, step) + ("(key)" if kind == _MEMBER_NAME else "")
    return path


def json_strings(value: Any, *, joined: bool = False) -> JsonStrings:
    """The strings of a JSON value; bounded in depth and count (:class:`ScanLimitError`).
    ``joined``: after the items of each list of bytes or of pieces, the text they make
    (``joined_text``), at the list's place; and the digits of each number of nine integer
    digits or more (a double's as :func:`number_text` writes them)."""
    texts: list[str] = []
    places: list[_Place] = []

    add_text, add_place = texts.append, places.append

    def visit(item: Any, place: _Place, depth: int) -> None:
        # Every value but a member's name comes through here, right after that name: checked
        # on the way in, no bound is passed by more than one string.
        if depth > MAX_DEPTH:
            raise ScanLimitError(f"{_path_of(place)}: nested deeper than {MAX_DEPTH} levels")
        if len(texts) > MAX_STRINGS:
            raise ScanLimitError(f"more than {MAX_STRINGS} strings")
        if isinstance(item, str):
            add_text(item)
            add_place(place)
        elif joined and type(item) is int and abs(item) >= _FEWEST_DIGITS:
            # A card number sent as a JSON number (a database row's, structured output's): its
            # digits, as the text item beside the structured result has them.
            add_text(str(item))
            add_place(place)
        elif joined and type(item) is float and _FEWEST_DIGITS <= abs(item) < _WRITTEN_OUT:
            # The same number written with a fraction or an exponent (4111111111111111.0,
            # 4.111111111111111e15), which the parser takes for a double: its digits as a
            # JavaScript peer prints it.
            add_text(number_text(item))
            add_place(place)
        elif isinstance(item, dict):
            for key, child in item.items():
                add_text(str(key))
                add_place((place, key, _MEMBER_NAME))
                visit(child, (place, key, _MEMBER_VALUE), depth + 1)
        elif isinstance(item, list):
            for index, child in enumerate(item):
                visit(child, (place, index, _ITEM), depth + 1)
            if joined and (text := joined_text(item)) is not None:
                add_text(text)
                add_place((place, None, _JOINED))

    visit(value, None, 0)
    if len(texts) > MAX_STRINGS:  # the last string of all
        raise ScanLimitError(f"more than {MAX_STRINGS} strings")
    return JsonStrings(texts, places)


def joined_text(items: list[Any]) -> str | None:
    """The text a list spells as a whole, where it may hide a secret that no item holds: ten
    or more integers from 0 to 255 (bytes, as ``Buffer.toJSON`` and ``list(b"...")`` write
    them; or doubles of their values) or strings of up to three digits, joined by commas (the
    engine reads such runs as decimal bytes); or two or more pieces of base64's characters (a
    token, its base64 or hex cut into a list), joined as they were cut, but for a list of UUIDs.
    ``None`` for any other list (a few checks of each item: linear in the list)."""
    if len(items) >= _FEWEST_BYTES and all(type(item) is int and 0 <= item <= 255 for item in items):
        return ",".join(map(str, items))
    if len(items) >= _FEWEST_BYTES and all(_is_byte(item) for item in items):
        # The same bytes written as doubles (103.0, 1.03e2), which ``Buffer.from`` reads alike.
        return ",".join(str(int(item)) for item in items)
    if len(items) < 2 or not all(type(item) is str and _PIECE.fullmatch(item) for item in items):
        return None
    if all(_UUID.fullmatch(item) for item in items):
        return None  # identifiers: joined, their hex and dashes read as base64 spell nothing
    if len(items) >= _FEWEST_BYTES and all(_BYTE_DIGITS.fullmatch(item) for item in items):
        return ",".join(items)
    text = "".join(items)
    return text if len(text) >= _SHORTEST_JOINED else None


#: What a list's joined text is read from: ten bytes (the engine's shortest run of numbers), a
#: piece of base64's characters as a cut makes it, 16 characters (its shortest run of base64).
_FEWEST_BYTES = 10
#: An integer read as its digits: nine or more (a card number has twelve at least; counts and
#: prices, which are many, have fewer).
_FEWEST_DIGITS = 10**8
#: Where a JavaScript peer starts writing a double with an exponent (``4.1e+21``): its digits
#: are no longer one run, and a double has no more than 17 of them anyway.
_WRITTEN_OUT = 1e21


def number_text(number: float) -> str:
    """A double as JavaScript's ``String`` writes it below 1e21: the shortest digits that read
    back as it, written out, with no ``.0`` (``4111111111111111``, ``1733450000.123``)."""
    shortest = repr(number)
    if "e" in shortest:  # 1e16 and above: Python writes the exponent, JavaScript does not
        shortest = format(Decimal(shortest), "f")
    return shortest.removesuffix(".0")


_PIECE = compiled(r"[A-Za-z0-9+/=_-]{1,76}")
_BYTE_DIGITS = compiled(r"[0-9]{1,3}")
_SHORTEST_JOINED = 16
_UUID = compiled(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _is_byte(item: Any) -> bool:
    """An integer from 0 to 255, or a double of one's value."""
    return (type(item) is int or (type(item) is float and item.is_integer())) and 0 <= item <= 255


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
        if type(item) is int and where in by_path:
            return masked(str(item), where)  # a number that holds a match: its mask, as text
        if type(item) is float and where in by_path:
            return masked(number_text(item), where)
        if isinstance(item, dict):
            return {
                masked(str(key), f"{_member_path(where, key)}(key)"): copy(
                    child, _member_path(where, key), depth + 1
                )
                for key, child in item.items()
            }
        if isinstance(item, list):
            found = by_path.get(where)
            if found and (text := joined_text(item)) is not None:
                return redact(text, found)  # a secret in its joined text: the list is its mask
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
