"""Text as a reader sees it where it is respelled in characters that show as nothing or as ASCII,
for the DLP engine to read for secrets.

A model told to send a credential where DLP would see it can respell it so that no rule's
ASCII pattern matches while a model (or the attacker's server) still reads it: in Unicode tag
characters (U+E0020..U+E007E, ASCII shifted, shown as nothing: "ASCII smuggling"), with
invisible characters between its letters (zero-width spaces and joiners, marks of direction,
word joiners, the BOM, soft hyphens, variation selectors: Unicode's default-ignorable code
points) or combining marks over them, in full-width ASCII (U+FF01..U+FF5E), or in look-alike
letters and digits (mathematical bold or monospace, circled, superscripts; Cyrillic and Greek
letters drawn as Latin ones, in a text where one touches an ASCII letter or digit).
``respelled`` gives the text with the invisible characters dropped and the others as the ASCII
they stand for, and maps a span of it back to the text as written. Only text that holds such a
character where it changes what is read is read again (``str.isascii`` answers for the rest
without reading it); the view is made by one ``str.translate`` and is no longer than the text,
and mapping a span back costs a few counts over a block of the text: linear.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from mcpward._regex import compiled

#: Unicode's default-ignorable code points (DerivedCoreProperties.txt): characters that show as
#: nothing where a font has no glyph for them. The tags among them that stand for ASCII are
#: read as ASCII instead (``_AS_ASCII``).
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE001F), (0xE007F, 0xE0FFF),
)  # fmt: skip
#: Combining marks (accents over the letter before them: a tilde over each of a token's), which
#: a model told to read past them does; dropped as the invisible characters are.
_COMBINING = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))


#: Blocks of letters and digits in other forms, each read as the one NFKC makes of it where
#: that is an ASCII letter or digit: mathematical alphanumerics, the letterlike symbols that
#: fill their gaps (U+210E is mathematical italic h), circled and squared letters, superscripts
#: and subscripts.
_LOOK_ALIKES = (
    (0x00B2, 0x00B3), (0x00B9, 0x00B9), (0x1D2C, 0x1D6A), (0x2070, 0x209F), (0x2100, 0x214F),
    (0x2460, 0x24FF), (0x1D400, 0x1D7FF), (0x1F100, 0x1F1FF),
)  # fmt: skip


def _codes(ranges: tuple[tuple[int, int], ...]) -> Iterator[int]:
    for first, last in ranges:
        yield from range(first, last + 1)


#: Letters of other scripts drawn as an ASCII letter (Unicode's confusables of the Latin
#: alphabet among Cyrillic, Greek and IPA): "gh", U+0440 (Cyrillic er, drawn as "p"), "_..." is
#: a GitHub token to a reader and to a model, and no rule's ASCII pattern. Read as ASCII only in
#: a text where one touches an ASCII letter, digit or underscore (``_OTHER_SCRIPT_BESIDE_ASCII``):
#: Russian or Greek prose alone holds no token, and reading all of it again would double its cost.
_OTHER_SCRIPTS = {
    # Cyrillic capitals and small letters
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y", "Ӏ": "I", "Ԛ": "Q",
    "Ԝ": "W", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s",
    "і": "i", "ј": "j", "һ": "h", "ӏ": "l", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v", "ϲ": "c", "ϳ": "j",
    # IPA's script g, Armenian's o
    "ɡ": "g", "օ": "o",
}  # fmt: skip


def _as_ascii() -> dict[int, str]:
    """The characters read as one ASCII character: tags (U+E0020..U+E007E), full-width ASCII and
    the look-alikes. (Not the ideographic space: it is white space, ``\\s``, as written, and
    Japanese text is full of it.)"""
    table = {code: chr(code - 0xE0000) for code in range(0xE0020, 0xE007F)}
    table.update({code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)})
    for code in _codes(_LOOK_ALIKES):
        read = unicodedata.normalize("NFKC", chr(code))
        if len(read) == 1 and read.isascii() and read.isalnum():
            table[code] = read
    return table


_OTHER_SCRIPT_CLASS = "[" + "".join(sorted(_OTHER_SCRIPTS)) + "]"
#: A look-alike letter of another script next to an ASCII letter, digit or underscore.
_OTHER_SCRIPT_BESIDE_ASCII = compiled(_OTHER_SCRIPT_CLASS + "(?:(?<=[0-9A-Za-z_].)|(?=[0-9A-Za-z_]))")
#: Each byte of UTF-8 as what it is to ``_other_script_beside_ascii``: "a" an ASCII letter,
#: digit or underscore, "L" the first byte of a letter from U+0240 to U+05BF (IPA, Greek,
#: Cyrillic, Armenian), "c" a continuation byte.
_BYTE_KINDS = bytes(
    ord("a") if chr(byte).isascii() and (chr(byte).isalnum() or byte == ord("_"))
    else ord("L") if 0xC9 <= byte <= 0xD6
    else ord("c") if 0x80 <= byte < 0xC0
    else ord(" ")
    for byte in range(256)
)  # fmt: skip


def _other_script_beside_ascii(text: str, data: bytes) -> bool:
    """Whether ``text`` (``data`` its UTF-8) holds a look-alike of another script next to an ASCII
    letter or digit. The expression searched over Russian prose stops at nearly every letter
    (40 ms per MB); the bytes as their kinds, searched for the two orders of such a pair, say
    where there is none (2 ms), and the expression runs only where there may be."""
    kinds = data.translate(_BYTE_KINDS)
    if b"aL" not in kinds and b"Lca" not in kinds:
        return False
    return _OTHER_SCRIPT_BESIDE_ASCII.search(text) is not None


def _character_class(codes: list[int]) -> str:
    """A character class of ``codes`` written as ranges."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return (
        "[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges) + "]"
    )


_Tree = dict[int, "_Tree"]


def _utf8_expression(characters: list[str]) -> bytes:
    """An expression over UTF-8 bytes matching each of ``characters``: a tree by their bytes, so
    that it begins with a set of bytes (what Python's ``re`` scans for without trying each
    position: 2 ms per MB of text with none, against 30 to 90 for a class of characters)."""
    tree: _Tree = {}
    for character in characters:
        node = tree
        for byte in character.encode():
            node = node.setdefault(byte, {})

    def written(node: _Tree) -> str:
        last = [byte for byte, child in node.items() if not child]
        parts = [_character_class(last)] if last else []
        parts += [re.escape(chr(byte)) + written(child) for byte, child in sorted(node.items()) if child]
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"

    return written(tree).encode("latin-1")


#: The Hangul filler: the one character read otherwise whose first byte is that of Japanese kana
#: (a search stopping at each cost 40 ms per MB of Japanese): looked for as a character.
_HANGUL_FILLER = 0x3164


@dataclass(frozen=True, slots=True)
class _Tables:
    """What reading a text that is not ASCII needs, made when one first comes (8 ms of every
    process's start otherwise, most of which read ASCII alone)."""

    #: Each character read otherwise: None (dropped) or the ASCII it stands for.
    table: dict[int, str | None]
    #: Each invisible character as one (U+200B), the others as they are: what ``Respelled`` counts.
    marks: dict[int, str]
    #: Any character read otherwise, in the UTF-8 bytes of a text (but the Hangul filler): where
    #: there is none (nearly all text), the search for it is the whole cost.
    respelling_bytes: re.Pattern[bytes]
    read_as_ascii_bytes: re.Pattern[bytes]
    #: A run of invisible characters between two visible ASCII characters (dropped elsewhere,
    #: between emoji, letters of other scripts or before a space, they join nothing a rule
    #: reads: emoji sequences and Persian's non-joiners are not read again). From the character
    #: before, so that the search skips other bytes as fast as it skips to the first character.
    between_ascii_bytes: re.Pattern[bytes]
    invisible_bytes: re.Pattern[bytes]
    #: Each kind of character, as it names a match's encoding.
    kinds: tuple[tuple[str, re.Pattern[str]], ...]


@cache
def _tables() -> _Tables:
    as_ascii = _as_ascii()
    table: dict[int, str | None] = {
        **{code: None for code in _codes((*_IGNORABLE, *_COMBINING))},
        **as_ascii,
        **{ord(letter): read for letter, read in _OTHER_SCRIPTS.items()},
    }
    invisible = _utf8_expression([chr(code) for code, read in table.items() if read is None])
    return _Tables(
        table=table,
        marks={code: "\u200b" for code, read in table.items() if read is None},
        respelling_bytes=compiled(_utf8_expression([chr(code) for code in table if code != _HANGUL_FILLER])),
        read_as_ascii_bytes=compiled(_utf8_expression([chr(code) for code in as_ascii])),
        between_ascii_bytes=compiled(b"[!-~](?:" + invisible + b")++(?=[!-~])"),
        invisible_bytes=compiled(b"(?:" + invisible + b")++"),
        kinds=(
            ("unicode-tags", compiled("[\U000e0020-\U000e007e]")),
            ("full-width", compiled("[\uff01-\uff5e]")),
            (
                "look-alikes",
                compiled(_character_class([code for code in _codes(_LOOK_ALIKES) if code in as_ascii])),
            ),
            ("invisible-characters", compiled(_character_class(list(_codes(_IGNORABLE))))),
            ("combining-marks", compiled(_character_class(list(_codes(_COMBINING))))),
            ("other-scripts", _OTHER_SCRIPT_BESIDE_ASCII),
        ),
    )


def has_respelling(text: str) -> bool:
    """Whether ``text`` reads otherwise than as written (``Respelled``): it holds a character
    read as ASCII, or invisible ones between two visible ASCII characters. ASCII never does,
    and ``str.isascii`` says so without reading it."""
    if text.isascii():
        return False
    data = text.encode("utf-8", "surrogatepass")
    if _other_script_beside_ascii(text, data):
        return True
    tables = _tables()
    first = tables.respelling_bytes.search(data)
    if first is None and chr(_HANGUL_FILLER) not in text:
        return False
    start = max(0, first.start() - 1) if first else 0
    return bool(
        tables.read_as_ascii_bytes.search(data, start) or tables.between_ascii_bytes.search(data, start)
    )


class Respelled:
    """A text as a reader sees it (``text``): invisible characters dropped, the others read as
    the ASCII they stand for (one for one), made by one ``str.translate`` (or, where only
    invisible ones are to drop, by one substitution over the bytes: 20 times faster). ``span`` maps a span
    of it back to the text as written (``written``), counting the dropped characters with
    ``str.count`` between checkpoints every ``_BLOCK`` characters, made the first time."""

    def __init__(self, written: str) -> None:
        self.written = written
        data = written.encode("utf-8", "surrogatepass")
        tables = _tables()
        if tables.read_as_ascii_bytes.search(data) or _other_script_beside_ascii(written, data):
            self.text = written.translate(tables.table)
        else:
            self.text = tables.invisible_bytes.sub(b"", data).decode("utf-8", "surrogatepass")
        self._marks = ""
        self._kept: list[int] = []  # characters kept before each block of ``written``

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the text as written that ``text[start:end]`` (not empty) was read from."""
        if len(self.text) == len(self.written):
            return start, end  # nothing dropped: each character stands for one
        return self._written(start), self._written(end - 1) + 1

    def around(self, start: int, end: int) -> tuple[int, int]:
        """A span of the text as written with the invisible characters right before and after
        it, which are masked with it (a language tag before tags, a cancel tag after them)."""
        if not self._marks:
            return start, end  # none dropped, or none mapped back: ``span`` made the marks
        while start and self._marks[start - 1] == "\u200b":
            piece = self._marks[max(0, start - _BLOCK) : start]
            visible = piece.rstrip("\u200b")
            start -= len(piece) - len(visible)
            if visible:
                break
        run = _INVISIBLE_RUN.match(self._marks, end)
        assert run is not None  # (it may be empty)
        return start, run.end()

    def _written(self, position: int) -> int:
        """Where the character at ``position`` of ``text`` is in ``written``."""
        marks = self._marks
        if not marks:
            marks = self._marks = self.written.translate(_tables().marks)
            kept = 0
            for block in range(0, len(marks), _BLOCK):
                self._kept.append(kept)
                kept += min(_BLOCK, len(marks) - block) - marks.count("\u200b", block, block + _BLOCK)
        block = bisect.bisect_right(self._kept, position) - 1
        low, high = block * _BLOCK, min(len(marks), (block + 1) * _BLOCK) - 1
        before = self._kept[block] - block * _BLOCK  # kept before ``i``: i + before - dropped
        while low < high:  # the first place in the block with ``position + 1`` kept up to it
            middle = (low + high) // 2
            if middle + 1 + before - marks.count("\u200b", block * _BLOCK, middle + 1) > position:
                high = middle
            else:
                low = middle + 1
        return low


_BLOCK = 256
_INVISIBLE_RUN = compiled("\u200b*")


def respelled(text: str) -> Respelled:
    """``text`` as a reader sees it (``Respelled``)."""
    return Respelled(text)


def kinds(text: str) -> str:
    """The kinds of respelling characters in ``text``, as a match's encoding names them."""
    return "+".join(name for name, pattern in _tables().kinds if pattern.search(text))
