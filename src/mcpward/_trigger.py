"""A one-pass trigger derived from an exact Python pattern.

The DLP engine finds candidates in one Hyperscan pass and runs the exact Python pattern only
where its trigger fired. A hand-written trigger (a fixed prefix, ``[0-9]{3}``) fires on much
ordinary text, and every firing costs a Python search of the whole string. The pattern itself,
with what Hyperscan cannot take relaxed away, fires almost only where the exact pattern
matches.

The derived expression matches, over the text's UTF-8 bytes, every span that the exact pattern
matches over the text (a superset):

- look-arounds and ``\\b``, ``^``, ``$`` are dropped (a zero-width condition removed);
- a back-reference becomes the group it refers to;
- an atom that can match a character outside ASCII (``.``, ``[^...]``, ``\\S``, ``\\W``) may
  take up to four bytes for one character, so its repetition loses its upper bound;
- ``\\w`` and ``\\s`` also take the bytes of non-ASCII characters; ``\\d`` stays ASCII, as the
  hand-written triggers were (digits outside ASCII are not looked for);
- a look-ahead that ends the pattern and refuses some characters (``(?![\\w-])``) becomes one
  byte that is none of their ASCII ones, or the end of the data (``_end_of_match``): the
  trigger then reports where a match can end, not at every digit of a long run.

Both the native matcher and Python's ``re`` (the fallback) run the derived expression, so both
give the same results. ``None`` when a pattern uses what cannot be relaxed soundly.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

# Python's own parser of its patterns (private modules, stable since 3.11; typeshed has no
# stubs for them).
_p: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_UNBOUNDED = _c.MAXREPEAT
#: A repetition bound above this is dropped: long bounded repeats make native databases large,
#: and an unbounded repeat still matches every span the bounded one does.
_LARGEST_BOUND = 64


class _Unsupported(Exception):
    pass


@cache
def derived_trigger(pattern: str, caseless: bool = False) -> str | None:
    """The pattern as a one-pass trigger, or ``None`` if it cannot be derived soundly."""
    try:
        parsed = _p.parse(pattern, re.IGNORECASE if caseless else 0)
        flags = parsed.state.flags
        if flags & (re.VERBOSE | re.DOTALL | re.MULTILINE):
            return None
        writer = _Writer(dict(_groups(parsed)), bool(flags & re.IGNORECASE))
        body, _ = writer.sequence(parsed)
        end = _end_of_match(writer, parsed)
    except (_Unsupported, re.error, RecursionError):
        return None
    return body + end if body else None


def _end_of_match(writer: _Writer, parsed: Any) -> str:
    """What must follow a match, kept from a look-ahead that ends the pattern: a byte that is
    none of the characters its one-character branches refuse, or the end of the data.

    Dropped, the trigger reported every place a match could end before the look-ahead was
    asked: each digit of a long run of digits ended a phone or card number's trigger, and in
    text dense with them the native pass made ten reports (Python calls) per finding. A
    character outside ASCII always passes (its bytes may be a letter's or not), so this only
    narrows where the exact pattern cannot match either. Kept only where a newline passes:
    the native pass over many strings joins them with one, and a match at a string's end must
    still be reported there."""
    if not len(parsed):
        return ""
    op, value = parsed[-1]
    if op is not _c.ASSERT_NOT or value[0] != 1:
        return ""
    refused = []
    for branch in _branches(value[1]):
        if len(branch) != 1:
            continue  # refusing "." then a digit still lets "." through
        item_op, item = branch[0]
        if item_op is _c.LITERAL:
            refused.append(branch[0])
        elif item_op is _c.IN and all(op is not _c.NEGATE for op, _ in item):
            refused += item
    if not refused:
        return ""
    try:
        following, _ = writer.set_of([(_c.NEGATE, None), *refused])
    except _Unsupported:
        return ""  # a character outside ASCII refused: the look-ahead is dropped, as before
    if re.fullmatch(following.encode(), b"\n") is None:
        return ""
    return f"(?:{following}|$)"


def _branches(tree: Any) -> list[Any]:
    """The alternatives of a parsed look-ahead (one, unless it is an alternation)."""
    if len(tree) == 1 and tree[0][0] is _c.BRANCH:
        return list(tree[0][1][1])
    return [tree]


def _groups(tree: Any) -> Iterator[tuple[int, Any]]:
    """Each numbered group and its contents, for back-references to expand."""
    for op, value in tree:
        if op is _c.SUBPATTERN:
            group, _add, _del, sub = value
            if group is not None:
                yield group, sub
            yield from _groups(sub)
        elif op is _c.BRANCH:
            for branch in value[1]:
                yield from _groups(branch)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            yield from _groups(value[2])
        elif op is _c.ATOMIC_GROUP:
            yield from _groups(value)


class _Writer:
    """Writes a parsed pattern in the syntax both Hyperscan and Python's bytes ``re`` take.

    Each method returns the expression and whether one of its matches may hold a character
    outside ASCII (so that the bytes it covers may outnumber the characters)."""

    def __init__(self, groups: dict[int, Any], caseless: bool) -> None:
        self._groups = groups
        self._caseless = caseless

    def sequence(self, tree: Any) -> tuple[str, bool]:
        parts, wide = [], False
        for op, value in tree:
            text, item_wide = self._item(op, value)
            parts.append(text)
            wide |= item_wide
        return "".join(parts), wide

    def _atom(self, op: Any, value: Any) -> tuple[str, bool] | None:
        """One character: its byte set, and whether it takes non-ASCII characters."""
        if op is _c.NOT_LITERAL:
            return f"[^{_byte(value)}]", True
        if op is _c.ANY:
            return "[^\\n]", True
        if op is _c.IN:
            return self.set_of(value)
        return None

    def _item(self, op: Any, value: Any) -> tuple[str, bool]:
        if op is _c.LITERAL:  # a non-ASCII literal is its fixed sequence of bytes
            return _literal(value, self._caseless), False
        atom = self._atom(op, value)
        if atom is not None:
            text, wide = atom
            return (f"{text}{{1,4}}" if wide else text), wide  # one character, 1 to 4 bytes
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            return "", False  # zero-width: dropping the condition only widens the matches
        if op is _c.BRANCH:
            branches = [self.sequence(branch) for branch in value[1]]
            return "(?:" + "|".join(text for text, _ in branches) + ")", any(w for _, w in branches)
        if op is _c.SUBPATTERN:
            _group, add_flags, del_flags, sub = value
            caseless = self._caseless
            if add_flags & re.IGNORECASE:
                self._caseless = True
            if del_flags & re.IGNORECASE:
                self._caseless = False
            try:
                text, wide = self.sequence(sub)
            finally:
                self._caseless = caseless
            return f"(?:{text})", wide
        if op is _c.ATOMIC_GROUP:  # what it matches, its contents match: dropping it widens
            text, wide = self.sequence(value)
            return f"(?:{text})", wide
        if op is _c.GROUPREF:
            text, wide = self.sequence(self._groups[value])
            return f"(?:{text})", wide
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            low, high, sub = value
            single = self._atom(*sub[0]) if len(sub) == 1 else None
            text, wide = single if single is not None else self.sequence(sub)
            if not text:
                return "", False
            if wide or high > _LARGEST_BOUND:
                high = _UNBOUNDED  # n characters are n to 4n bytes: at least n
            bounds = f"{{{low},}}" if high == _UNBOUNDED else f"{{{low},{high}}}"
            return f"(?:{text}){bounds}", wide
        raise _Unsupported(op)

    def set_of(self, items: Any) -> tuple[str, bool]:
        """A character set. Categories in a positive set take the bytes of non-ASCII
        characters too (``\\w`` matches letters outside ASCII); those excluded by a negated set
        are the ASCII ones only, so that every character the set matches has its bytes in it."""
        negated = any(op is _c.NEGATE for op, _ in items)
        parts, complements = [], []
        for op, value in items:
            if op is _c.NEGATE:
                continue
            if op is _c.LITERAL:
                if value > 0x7F:
                    raise _Unsupported("a non-ASCII character in a set")
                parts.append(_byte(value))
                if self._caseless and chr(value).isalpha():
                    parts.append(_byte(ord(chr(value).swapcase())))
            elif op is _c.RANGE:
                low, high = value
                if high > 0x7F:
                    raise _Unsupported("a non-ASCII range")
                parts.append(f"{_byte(low)}-{_byte(high)}")
                if self._caseless:
                    parts += _swapped_ranges(low, high)
            elif op is _c.CATEGORY and value in _POSITIVE:
                ascii_part, wide_part = _POSITIVE[value]
                parts.append(ascii_part if negated else ascii_part + wide_part)
            elif op is _c.CATEGORY and value in _COMPLEMENT and not negated:
                complements.append("[^" + _POSITIVE[_COMPLEMENT[value]][0] + "]")
            else:
                raise _Unsupported(op)
        if negated:
            return "[^" + "".join(parts) + "]", True
        alternatives = (["[" + "".join(parts) + "]"] if parts else []) + complements
        wide = bool(complements) or any("\\x80" in part for part in parts)
        if len(alternatives) == 1:
            return alternatives[0], wide
        return "(?:" + "|".join(alternatives) + ")", wide


#: A category as (its ASCII characters, the non-ASCII bytes it adds in a positive set). Digits
#: stay ASCII: with the bytes of every non-ASCII character, ``\\d{3}`` would fire on any
#: three characters of Chinese text; digits outside ASCII are not looked for.
_POSITIVE = {
    _c.CATEGORY_DIGIT: ("0-9", ""),
    _c.CATEGORY_SPACE: ("\\x09-\\x0d\\x1c-\\x20", "\\x80-\\xff"),
    _c.CATEGORY_WORD: ("0-9A-Za-z_", "\\x80-\\xff"),
}
_COMPLEMENT = {
    _c.CATEGORY_NOT_DIGIT: _c.CATEGORY_DIGIT,
    _c.CATEGORY_NOT_SPACE: _c.CATEGORY_SPACE,
    _c.CATEGORY_NOT_WORD: _c.CATEGORY_WORD,
}


def _swapped_ranges(low: int, high: int) -> list[str]:
    letters = [chr(c).swapcase() for c in range(low, high + 1) if chr(c).isalpha()]
    return [_byte(ord(letter)) for letter in letters if ord(letter) < 0x80]


def _literal(code: int, caseless: bool) -> str:
    if code > 0x7F:
        return "(?:" + "".join(_byte(b) for b in chr(code).encode("utf-8")) + ")"
    character = chr(code)
    if caseless and character.isalpha() and character.swapcase() != character:
        return f"[{character}{character.swapcase()}]"
    return character if character.isalnum() else _byte(code)


def _byte(code: int) -> str:
    return f"\\x{code:02x}"


#: What Hyperscan refuses (look-arounds, back-references, atomic groups, possessive repeats) or
#: reads otherwise than Python (anchors other than ``\b``/``\B``: Python's ``$`` and ``\Z``
#: differ from Hyperscan's).
_NOT_AS_WRITTEN = frozenset(
    (_c.ASSERT, _c.ASSERT_NOT, _c.GROUPREF, _c.GROUPREF_EXISTS, _c.ATOMIC_GROUP, _c.POSSESSIVE_REPEAT)
)
_WORD_BOUNDARIES = frozenset((_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY))


@cache
def same_in_hyperscan(pattern: str) -> bool:
    """Whether Hyperscan, given ``pattern`` as written (caseless, dot-all), finds a match in
    exactly the ASCII texts Python finds one in (texts without the separators ``\\x1c``-``\\x1f``,
    which Python's ``\\s`` takes and Hyperscan's does not)."""
    try:
        parsed = _p.parse(pattern, re.IGNORECASE | re.DOTALL)
    except (re.error, RecursionError):
        return False
    if parsed.state.flags & (re.VERBOSE | re.MULTILINE | re.ASCII | re.LOCALE):
        return False
    return _as_written(parsed)


def _as_written(tree: Any) -> bool:
    for op, value in tree:
        if op in _NOT_AS_WRITTEN or (op is _c.AT and value not in _WORD_BOUNDARIES):
            return False
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.IN) and not _ascii_only(op, value):
            return False  # caseless Python folds some onto ASCII (long s, Kelvin sign)
        if op is _c.SUBPATTERN:
            _group, add_flags, del_flags, sub = value
            if add_flags or del_flags or not _as_written(sub):
                return False
        elif op is _c.BRANCH:
            if not all(_as_written(branch) for branch in value[1]):
                return False
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and not _as_written(value[2]):
            return False
    return True


def _ascii_only(op: Any, value: Any) -> bool:
    if op is not _c.IN:
        return bool(value < 0x80)
    for item_op, item in value:
        if item_op is _c.LITERAL and item >= 0x80:
            return False
        if item_op is _c.RANGE and item[1] >= 0x80:
            return False
    return True
