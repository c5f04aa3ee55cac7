"""Runs of encoded text and the text they spell, for the DLP engine to read for secrets.

A model told to send a credential where DLP would see it can be told to encode it first:
base64 (standard or URL-safe, padded or not, wrapped in lines as ``base64`` and PEM write it or
at any other width, or split into groups by spaces), base32 (RFC 4648's capitals, as ``base32``
writes it, or in small letters), hex (``0x`` or not, in lines as ``xxd -p`` writes it, its
bytes parted: ``67 68``, ``67:68``, ``0x67, 0x68``, or a dump), bytes as decimal numbers
(``[103, 104]``), or escapes: of bytes (``%67%68``, ``\\x67\\x68``) or of characters
(``\\u0067``, HTML's ``&#103;`` and ``&#x67;``, with named references such as ``&lowbar;``
among them, and escapes of invisible characters between a token's letters: ``gh\\u200bp_``).
Each such run is decoded once here; the engine reads what it spells (and runs in that, one
level more) and reports a secret found there against the run.

Only text is read: UTF-8, or UTF-16 (what PowerShell's ``-EncodedCommand`` takes), with at most
one control character (other than white space) in 16; other bytes are data (an image, a hash, a
random id, compressed bytes) and are left. Every run is found and decoded in one pass of linear
expressions, and what it spells is shorter than the run, so the work stays linear in the input.
"""

from __future__ import annotations

import binascii
import bisect
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from html.entities import html5
from itertools import pairwise
from typing import TYPE_CHECKING

from mcpward._regex import compiled

if TYPE_CHECKING:
    from mcpward._multimatch import SpanFinder

#: The codes, in decimal and in hex, of the characters whose escapes start a token of escapes:
#: printable ASCII but for ``"&'<>``, which HTML and JSON encoders escape in ordinary text, as
#: they escape what is not ASCII (``&#39;``, ``\\u003c``, ``&#8212;``, ``\\u00e9`` are everywhere,
#: and read as tokens made an HTML page cost 20 times as much): a secret's letters, digits and
#: signs.
_DECIMAL_ASCII = r"0*(?:33|3[5-7]|[45][0-9]|61|6[3-9]|[7-9][0-9]|1[01][0-9]|12[0-6])"
_HEX_ASCII = r"(?:2[13-58-9A-Fa-f]|3[0-9ABDFabdf]|[4-6][0-9A-Fa-f]|7[0-9A-Ea-e])"
#: And of the invisible characters a token's letters may be parted by (``mcpward.dlp._respelled``
#: reads past them): the soft hyphen, U+034F, U+180E, U+200B..U+200F, U+202A..U+202E,
#: U+2060..U+2064, the BOM. ``gh\\u200bp_...`` in a JSON text spells a token a model reads
#: (none is an encoder's ordinary escape, as ``\\u2014`` and ``\\u00e9`` are: those stay out).
_HEX_INVISIBLE = r"(?:00[aA][dD]|034[fF]|180[eE]|200[b-fB-F]|202[a-eA-E]|206[0-4]|[fF][eE][fF][fF])"
_DECIMAL_INVISIBLE = r"0*(?:173|847|6158|820[3-7]|823[4-8]|828[89]|829[0-2]|65279)"
_HEX_REFERENCE_INVISIBLE = r"0*(?:[aA][dD]|34[fF]|180[eE]|200[b-fB-F]|202[a-eA-E]|206[0-4]|[fF][eE][fF][fF])"
#: HTML's names of those characters (with their semicolon, as the names of invisible characters
#: are written: ``&it`` is no reference).
_NAMED_INVISIBLE = (
    r"&(?:shy|zwn?j|lrm|rlm|ZeroWidthSpace|NoBreak|af|it|ic|ApplyFunction|InvisibleTimes|InvisibleComma"
    r"|Negative(?:VeryThin|Thin|Medium|Thick)Space);"
)
#: What parts the numbers of a run of bytes written as numbers (``_PARTED``): a comma (with a
#: space around it, and a line break after it), one or two spaces (``hexdump -C`` puts two in
#: the middle of a line), a colon, a dash, or a line break (raw or as a JSON escape) with its
#: indentation.
_PARTED_SEPARATOR = (
    r"(?:[ \t]?,[ \t]?(?:\r?\n[ \t]{0,16}|\\n[ \t]{0,16})?|[ ]{1,2}|[:-]|[ ]?(?:\r?\n|\\n)[ \t]{0,16})"
)
#: What parts the groups of a run of base64 split by spaces (``_SPACED``): a space, a comma (a
#: space after it, quotes around it: ``Z2hw,X2lL``, a list written as text: ``"Z2hw", "X2lL"``),
#: or a line break (raw or as a JSON escape) with its indentation.
_GROUP_SEPARATOR = r"(?:[ ]|[\"']?,[ ]?[\"']?|[ ]?(?:\r?\n|\\n)[ \t]{0,16})"
#: The separators of groups that the trigger takes, each in an alternative of its own: a class
#: of them (``[ ,]``) made the native pass cost a quarter more over base64 (images, blobs), and
#: an alternative of a comma and a space (unquoted) beside the space's crashed the native
#: library (Vectorscan) on images: such groups are read only where another trigger fires.
_TRIGGER_SEPARATORS = (" ", ",", '", "', '","', "', '")
#: An octal escape of a byte that is printable ASCII but for ``"&'<>`` (``\\147``, ``\\60``), as
#: ``printf``, shells' ``$'...'``, C and Python write them: it starts a token of escapes.
_OCTAL_ASCII = r"\\(?:0?4[13-5]|0?[56][0-7]|0?7[0-357]|1[0-6][0-7]|17[0-6])"
#: Two characters base64 of text has and prose rarely has in a word: a small letter before a
#: capital, a letter beside a digit.
_MIXED_PAIR = r"(?:[a-z][A-Z]|[A-Za-z][0-9]|[0-9][A-Za-z])"
#: The one-pass matcher's triggers (Hyperscan syntax; the pure-Python path runs them as they
#: are): 16 base64 characters in a row (base32's too), an escape: of a byte, or of a
#: character (``\\u``, HTML's numeric references, whose semicolon browsers do without), ten
#: numbers parted (bytes in hex, two digits each, or in decimal: ``_PARTED``), and four groups of
#: base64 characters parted by spaces, with a mixed pair in the last 14 characters of a group
#: before the last three (``_SPACED``). Each of the last two, an expression of classes with no
#: literal, costs the native pass about 2 us per KB of prose; the end of each is fixed, so that
#: a run reports once for each of its numbers or groups, not at each character.
TRIGGERS = (
    r"[A-Za-z0-9+/_-]{16}",
    rf"%[0-9A-Fa-f]{{2}}|\\x[0-9A-Fa-f]{{2}}|\\u(?:00{_HEX_ASCII}|{_HEX_INVISIBLE})"
    rf"|&#(?:{_DECIMAL_ASCII}|{_DECIMAL_INVISIBLE})(?:[^0-9]|$)"
    rf"|&#[xX](?:0*{_HEX_ASCII}|{_HEX_REFERENCE_INVISIBLE})(?:[^0-9A-Fa-f]|$)|{_NAMED_INVISIBLE}"
    rf"|{_OCTAL_ASCII}",  # (no look at the digit after it: "(?:[^0-7]|$)" cost images 25 %)
    rf"[0-9A-Fa-f]{{2}}(?:{_PARTED_SEPARATOR}(?:0[xX])?[0-9A-Fa-f]{{2}}){{9}}(?:[^0-9A-Fa-f]|$)"
    rf"|[0-9]{{1,3}}(?:{_PARTED_SEPARATOR}[0-9]{{1,3}}){{9}}(?:[^0-9]|$)",
    "|".join(
        rf"{_MIXED_PAIR}[A-Za-z0-9+/_-]{{0,12}}(?:{separator}[A-Za-z0-9+/_-]{{4}}[A-Za-z0-9+/_-]*){{2}}"
        rf"{separator}[A-Za-z0-9+/_-]{{4}}"
        for separator in _TRIGGER_SEPARATORS
    ),
)
#: The base64 trigger where every report is taken (the strings of a JSON message in one pass):
#: from the start of a run only, so a run is reported once, not at each of its characters
#: (an image of 64 KB made 64,000 reports). It costs twice as much as the first over prose
#: (1.6 against 0.85 us per KB), which is why a text's own pass keeps that one.
EVERY_MATCH_TRIGGERS = {0: r"(?:^|[^A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16}"}

#: Shortest run read: 16 base64 characters spell 12 bytes (``password=abc`` is keyed-secret's
#: shortest), 20 hex digits 10 bytes.
_SHORTEST_BASE64 = 16
_SHORTEST_HEX = 20
#: What spells fewer characters than this holds no secret a rule reports.
_SHORTEST_TEXT = 8

#: A run of base64 characters (both alphabets: a run mixing them decodes to no text), whole
#: (never from inside a longer one), with its padding; only one with letters of both cases (a
#: name or a path has one, base64 of text both: at most 1 in 5,000 runs of 16 characters has
#: not), or hex digits, or base32's alphabet only (capitals and 2 to 7, or small letters and 2
#: to 7, as ``base32 | tr A-Z a-z`` and DNS labels write it: words have it, and decode to data at
#: once). The look-aheads are possessive: each reads the run once.
_RUN = compiled(
    r"(?<![A-Za-z0-9+/_-])(?=[A-Za-z0-9+/_-]{16})"
    r"(?:(?=[a-z0-9+/_-]*+[A-Z])(?=[A-Z0-9+/_-]*+[a-z])|(?=(?:0[xX])?[0-9A-Fa-f]{20})"
    r"|(?=[A-Z2-7]++(?![A-Za-z0-9+/_-]))|(?=[a-z2-7]++(?![A-Za-z0-9+/_-])))"
    r"[A-Za-z0-9+/_-]++={0,2}"
)
#: The next line of a wrapped run: a line break, raw or written as a JSON escape, indentation,
#: and the line.
_NEXT_LINE = compiled(r"(?:\r?\n|\\r\\n|\\n)[ \t]{0,16}([A-Za-z0-9+/_-]{4,}={0,6})(?![A-Za-z0-9+/_=-])")
_HEX_RUN = compiled(r"(?:0[xX])?[0-9A-Fa-f]+")
_BASE32_RUN = compiled(r"[A-Z2-7]+=*|[a-z2-7]+=*")
#: Base32's alphabet as that of its "extended hex" form, which ``int`` reads in base 32.
_TO_BASE32HEX = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHIJKLMNOPQRSTUV")
_LINE_BREAKS = ("\n", "\r\n", "\\n", "\\r")
#: A token (no white space or quote) holding an escape (``TRIGGERS[1]``), from its start: the
#: characters before the first escape read one way only, so a token without one fails once, at
#: its end.
_FIRST_ESCAPE = (
    rf"%[0-9A-Fa-f]{{2}}|\\x[0-9A-Fa-f]{{2}}|\\u(?:00{_HEX_ASCII}|{_HEX_INVISIBLE})"
    rf"|&#(?:{_DECIMAL_ASCII}|{_DECIMAL_INVISIBLE})(?![0-9])"
    rf"|&#[xX](?:0*{_HEX_ASCII}|{_HEX_REFERENCE_INVISIBLE})(?![0-9A-Fa-f])|{_NAMED_INVISIBLE}"
    rf"|{_OCTAL_ASCII}(?![0-7])"
)
_ESCAPED = compiled(
    rf"(?<![^\s\"'<>`])(?:[^\s\"'<>`%\\&]|(?!{_FIRST_ESCAPE})[%\\&])*"
    rf"(?:{_FIRST_ESCAPE})"
    r"[^\s\"'<>`]*"
)
#: An escape in a token: of a byte (percent, ``\\x``, octal: up to three digits, as C reads
#: them), or of a character (a UTF-16 pair of ``\\u`` escapes, one ``\\u`` escape, HTML's
#: numeric references, whose semicolon browsers do without, and named ones).
_ESCAPE = compiled(
    rb"%([0-9A-Fa-f]{2})|\\x([0-9A-Fa-f]{2})"
    rb"|\\u([dD][89abAB][0-9A-Fa-f]{2})\\u([dD][c-fC-F][0-9A-Fa-f]{2})|\\u([0-9A-Fa-f]{4})"
    rb"|&#([0-9]{1,7});?|&#[xX]([0-9A-Fa-f]{1,6});?|&([A-Za-z][A-Za-z0-9]{1,31};)"
    rb"|\\([0-3][0-7]{2}|[0-7]{1,2})"
)
#: Characters that text has none of (control characters, and the lone surrogates that bytes
#: which are not UTF-8 decode to): decoded bytes holding one are data.
_NOT_TEXT = compiled("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\udc80-\udcff]")
_URL_SAFE = str.maketrans("-_", "+/")


@dataclass(frozen=True, slots=True)
class EncodedRun:
    start: int
    end: int
    encoding: str  # base64, base32, hex, escapes; "/utf-16" after it where it spells UTF-16
    text: str  # what it spells


def encoded_runs(
    text: str, fired: Collection[int] = (0, 1, 2, 3), places: Places | None = None
) -> Iterator[EncodedRun]:
    """The runs of ``text`` that spell text, in order of their starts (a run of escapes may
    hold a run of base64 characters: both are given), of the kinds whose trigger ``fired``
    (positions in ``TRIGGERS``); ``places``: where they may start (``native_places``), else
    found in the whole text (runs of numbers always are: their trigger fires seldom, on tables
    of numbers, where a report for each number would cost more than the search)."""
    base64 = _base64_runs(text, places[0] if places else None) if 0 in fired else iter(())
    escaped = _escaped_runs(text, places[1] if places else None) if 1 in fired else iter(())
    parted = _parted_runs(text) if 2 in fired else iter(())
    spaced = _spaced_runs(text, places[3] if places else None) if 3 in fired else iter(())
    # a hex dump's lines fire one of the two: 16 bytes parted, or groups of 4 digits
    dumps = _dump_runs(text) if 2 in fired or 3 in fired else iter(())
    yield from _sorted_merge(
        _sorted_merge(base64, escaped), _sorted_merge(_sorted_merge(parted, spaced), dumps)
    )


#: For each kind of run (positions in ``TRIGGERS``), windows of a text that hold the start of
#: each run of base64 characters, or each byte escape.
Places = dict[int, list[list[int]]]


def native_places(texts: Sequence[str]) -> list[Places | None]:
    """Where the runs of each long text may start, from one native pass over all of them
    (``_PLACES``): Python's ``re`` looking for them at every position cost 35 us per KB of
    prose (120 for escapes), the native pass about 2. None for a short text (a call into the
    native library and its reports cost more there than the expressions), one that is not
    ASCII (its byte offsets are not its characters'), and for all without the native library
    or past the budget of reports: their expressions run over the whole text."""
    found: list[Places | None] = [None] * len(texts)
    finder = _places_finder()
    ascii_texts = [
        number for number, text in enumerate(texts) if len(text) >= _NATIVE_FROM and text.isascii()
    ]
    if finder is None or not ascii_texts:
        return found
    starts = []
    position = 0
    for number in ascii_texts:
        starts.append(position)
        position += len(texts[number]) + 1
    joined = "\n".join(texts[number] for number in ascii_texts).encode("ascii")
    windows = finder.windows(joined, len(joined) // 4 + 4096)
    if windows is None:
        return found
    for number in ascii_texts:
        found[number] = {0: [], 1: [], 3: []}
    for kind, spans in windows.items():
        for window_start, window_end in spans:
            # a window may begin on the separator before a text, or (joined) reach over one
            place = max(0, bisect.bisect_right(starts, window_start) - 1)
            while place < len(starts) and starts[place] < window_end:
                number, offset = ascii_texts[place], starts[place]
                local_start = max(window_start, offset) - offset
                local_end = min(window_end, offset + len(texts[number])) - offset
                if local_start < local_end:
                    places = found[number]
                    assert places is not None
                    places[kind].append([local_start, local_end])
                place += 1
    return found


#: Texts from this long on have their runs found by the native pass.
_NATIVE_FROM = 1024


@cache
def _places_finder() -> SpanFinder | None:
    from mcpward._multimatch import SpanFinder

    finder = SpanFinder(_PLACES, {})
    return finder if finder.native and finder.indices == frozenset(_PLACES) else None


#: A run's start (the character before it, or the text's start), a byte escape, and groups of
#: base64 parted by spaces.
_PLACES = {0: EVERY_MATCH_TRIGGERS[0], 1: TRIGGERS[1], 3: TRIGGERS[3]}


def _sorted_merge(first: Iterator[EncodedRun], second: Iterator[EncodedRun]) -> Iterator[EncodedRun]:
    left, right = next(first, None), next(second, None)
    while left is not None or right is not None:
        if right is None or (left is not None and left.start <= right.start):
            assert left is not None
            yield left
            left = next(first, None)
        else:
            yield right
            right = next(second, None)


def _base64_runs(text: str, windows: list[list[int]] | None) -> Iterator[EncodedRun]:
    end = 0
    for run in _run_matches(text, windows):
        start = run.start()
        if start < end:
            continue  # a line of a wrapped run already read
        lines, ends = [run.group()], [run.end()]
        # (at any width: a sender wraps at 50 as well as ``base64`` at 76, and a line whose length
        # is no multiple of 4 is no whole run)
        if lines[0][-1] != "=" and text.startswith(_LINE_BREAKS, ends[0]):
            lines, ends = _wrapped(text, lines[0], ends[0])
        end = ends[-1]
        read = [("".join(lines), end)]
        if len(lines) > 1 and len(lines[-1]) < len(lines[0]) and lines[-1][-1] != "=":
            # A shorter last line without padding may be a word after the run ("Thanks"),
            # which glued to it hid the secret's end: the run is read without it too.
            read.append(("".join(lines[:-1]), ends[-2]))
        for body, body_end in read:
            decoded = _decoded_run(body)
            if decoded is not None:
                if decoded[0].startswith("base32"):  # its padding: up to 6 characters
                    padding = text[body_end : body_end + 6]
                    body_end += len(padding) - len(padding.lstrip("="))
                yield EncodedRun(start, body_end, *decoded)


def _run_matches(text: str, windows: list[list[int]] | None) -> Iterator[re.Match[str]]:
    """``_RUN``'s matches in ``text``, or in the windows that hold their starts: a run starts
    at a window's first character or the one after (the trigger's character before the run),
    or, where windows were joined, after any character of the window that is none of its."""
    if windows is None:
        yield from _RUN.finditer(text)
        return
    for window_start, window_end in windows:
        for position in range(window_start, min(window_end, len(text))):
            if position and _BASE64_CHARACTER[ord(text[position - 1])]:
                continue
            run = _RUN.match(text, position)
            if run is not None:
                yield run


#: For each ASCII character, whether it is one of base64's (either alphabet).
_BASE64_CHARACTER = [bool(re.fullmatch(r"[A-Za-z0-9+/_-]", chr(code))) for code in range(128)]


def _wrapped(text: str, first: str, end: int) -> tuple[list[str], list[int]]:
    """The lines of a run wrapped from its ``first``, and where each ends: every line as long
    as the first, the last no longer; a line after padding, or of another length, is something
    else."""
    lines, ends = [first], [end]
    width = len(first)
    while not lines[-1].endswith("=") and len(lines[-1]) == width:
        more = _NEXT_LINE.match(text, ends[-1])
        if more is None or len(more.group(1)) > width:
            break
        lines.append(more.group(1))
        ends.append(more.end())
    return lines, ends


#: Ten numbers or more parted by separators (``_PARTED_SEPARATOR``): bytes in hex as CyberChef,
#: ``bytes.hex(" ")``, ``xxd -g1`` and C arrays write them (``67 68``, ``67:68``, ``0x67, 0x68``),
#: or in decimal (``103, 104``, ``[103, 104]``, ``bytes([103, 104])``), wrapped in lines too. Not
#: inside a word, a number with a decimal point, or a longer run of digits.
_PARTED = compiled(
    # (from a hex digit, and what is before it looked at after it: a search skips to each)
    r"[0-9A-Fa-f](?<![0-9A-Za-z_.][0-9A-Fa-f])(?:(?<=0)[xX][0-9A-Fa-f]{1,3}|[0-9A-Fa-f]{0,2})"
    rf"(?:{_PARTED_SEPARATOR}(?:0[xX])?[0-9A-Fa-f]{{1,3}}){{9,}}(?![0-9A-Za-z_])"
)
_NUMBER = compiled(r"(0[xX])?([0-9A-Fa-f]+)")
#: Groups of base64 characters (base32's and hex's among them) parted by spaces or lines, four
#: or more (the last may be shorter, with the padding): ``Z2hw XzEy ...`` as a sender splits a
#: run to hide it, ``6768 705f`` as ``xxd`` groups hex. Read where every group but the last is as
#: long as the first, and the last no longer (prose's words are not), joined, as a run
#: (``_decoded_run``).
_SPACED = compiled(
    rf"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{{4,76}}(?:{_GROUP_SEPARATOR}[A-Za-z0-9+/_-]{{4,76}}){{2,}}"
    rf"(?:{_GROUP_SEPARATOR}[A-Za-z0-9+/_-]{{1,76}})?={{0,6}}"
    r"(?![A-Za-z0-9+/=_-])"
)
_GROUP = compiled(r"[A-Za-z0-9+/_-]+=*")


def _parted_runs(text: str) -> Iterator[EncodedRun]:
    """Runs of bytes written as numbers (``_PARTED``) that spell text: read as hex where every
    number is two hex digits, and as decimal where every number is a decimal one up to 255
    (``41 42 43`` is both: both are read)."""
    for run in _PARTED.finditer(text):
        numbers = _NUMBER.findall(run.group())
        if all(len(digits) == 2 for _, digits in numbers):
            decoded = _named("hex", _text(bytes.fromhex("".join(digits for _, digits in numbers))))
            if decoded is not None:
                yield EncodedRun(run.start(), run.end(), *decoded)
        if not any(prefix for prefix, _ in numbers) and all(
            digits.isdigit() and int(digits) < 256 for _, digits in numbers
        ):
            decoded = _named("decimal", _text(bytes(int(digits) for _, digits in numbers)))
            if decoded is not None:
                yield EncodedRun(run.start(), run.end(), *decoded)


#: A line of a hex dump: its offset, and its bytes in hex, in groups of 2 to 8 digits parted by
#: one or two spaces (``xxd``, ``xxd -g1``, ``hexdump -C``, ``od -A x -t x1z``); what follows
#: (the bytes as characters) is not read.
_DUMP_LINE = compiled(r"^([0-9A-Fa-f]{4,16}):?((?:[ ]{1,2}[0-9A-Fa-f]{2,8})+)", re.MULTILINE)
#: Bytes a dump's line shows at most.
_DUMP_WIDTH = 64


def _dump_runs(text: str) -> Iterator[EncodedRun]:
    """Hex dumps (``_DUMP_LINE``) that spell text: the bytes of consecutive lines, each offset
    the last plus the bytes of its line, joined (each line holds a piece of the secret, and its
    characters column shows it too: the run is the lines whole, to their ends)."""
    lines: list[re.Match[str]] = []
    for line in _DUMP_LINE.finditer(text):
        if lines and not _follows(lines[-1], line, text):
            yield from _dump_run(lines, text)
            lines = []
        if not lines and line.start():
            # The first line may follow words on it ("data: 00000000: 6768 ..."): a dump's
            # first bytes cut off would leave its token without its prefix.
            first = _first_dump_line(text, line)
            if first is not None:
                lines.append(first)
        lines.append(line)
    yield from _dump_run(lines, text)


#: A dump's line after other words on its line.
_DUMP_LINE_AFTER_WORDS = compiled(r"(?<![0-9A-Za-z])([0-9A-Fa-f]{4,16}):?((?:[ ]{1,2}[0-9A-Fa-f]{2,8})+)")


def _first_dump_line(text: str, second: re.Match[str]) -> re.Match[str] | None:
    """The dump's line before ``second`` where it follows words on its line."""
    start = text.rfind("\n", 0, second.start() - 1) + 1
    found = None
    for line in _DUMP_LINE_AFTER_WORDS.finditer(text, start, second.start() - 1):
        found = line
    return found if found is not None and found.start() > start and _follows(found, second, text) else None


def _follows(before: re.Match[str], line: re.Match[str], text: str) -> bool:
    """Whether ``line`` is the line right after ``before`` in one dump: the next line of the
    text, at the offset after ``before``'s bytes."""
    end = text.find("\n", before.end())
    if end == -1 or end + 1 != line.start():
        return False
    width = int(line.group(1), 16) - int(before.group(1), 16)
    return 0 < width <= _DUMP_WIDTH and len(_dump_digits(before.group(2))) >= 2 * width


def _dump_digits(groups: str) -> str:
    return groups.replace(" ", "")


def _dump_run(lines: list[re.Match[str]], text: str) -> Iterator[EncodedRun]:
    if len(lines) < 2:
        return  # one line is a parted run at most (``_parted_runs``)
    digits = []
    width = 0
    for before, after in pairwise(lines):
        width = int(after.group(1), 16) - int(before.group(1), 16)
        digits.append(_dump_digits(before.group(2))[: 2 * width])
    last = _dump_digits(lines[-1].group(2))[: 2 * width]  # no wider than the line before
    digits.append(last[: len(last) & ~1])
    decoded = _named("hex", _text(bytes.fromhex("".join(digits))))
    if decoded is not None:
        end = text.find("\n", lines[-1].end())
        yield EncodedRun(lines[0].start(), len(text) if end == -1 else end, *decoded)


def _spaced_runs(text: str, windows: list[list[int]] | None) -> Iterator[EncodedRun]:
    """Runs of base64 split into groups (``_SPACED``) that spell text, joined; and without
    their last group where it has no padding: a word after the run ("kept" on the next line)
    may have been read as its last group, and glued to it hide the secret's end. ``windows``:
    where the trigger matched (``native_places``), else the whole text is searched."""
    for run in _spaced_matches(text, windows):
        groups = _GROUP.findall(text, run.start(), run.end())
        width = len(groups[0])
        if len(set(map(len, groups[:-2]))) > 1:
            continue  # words of prose (a line of a log): whichever group is the last, not one width
        ends = [(groups, run.end())]
        if not groups[-1].strip("_-"):
            ends = []  # dashes after the run ("-- end"), not a group of it
        if not groups[-1].endswith("=") and len(groups) > 4:
            *_, before_last, _ = _GROUP.finditer(text, run.start(), run.end())
            ends.append((groups[:-1], before_last.end()))
        for read, end in ends:
            if any(len(group) != width for group in read[:-1]) or len(read[-1].rstrip("=")) > width:
                continue  # words of prose, not a run cut at one width
            joined = "".join(read)
            whole = _RUN.match(joined)
            if whole is None or whole.end() < len(joined.rstrip("=")):
                continue  # of one case: a name's or prose's letters, not base64 of text
            decoded = _decoded_run(joined)
            if decoded is not None:
                yield EncodedRun(run.start(), end, *decoded)


def _spaced_matches(text: str, windows: list[list[int]] | None) -> Iterator[re.Match[str]]:
    """``_SPACED``'s matches in ``text``, or around the windows of its trigger: from up to
    ``_GROUPS_BEFORE`` characters before each (the groups before the first mixed pair) to the
    end of the groups and separators after it. Prose is full of words of four letters and more,
    which the expression tries from each (40 us per KB), and a run's groups of five or more
    (190 us per KB with the checks of each in Python)."""
    if windows is None:
        yield from _SPACED.finditer(text)
        return
    end = 0
    for window_start, window_end in windows:
        if window_end <= end:
            continue
        start = max(end, window_start - _GROUPS_BEFORE)
        after = _GROUPS_AFTER.match(text, window_end)
        assert after is not None  # (it may be empty)
        end = after.end()
        yield from _SPACED.finditer(text, start, end)


#: How far before its trigger's window a run of groups is looked for from: base64 of text has
#: a mixed pair in every few groups.
_GROUPS_BEFORE = 1024
#: What may go on a run of groups past its trigger's window: group characters and separators.
_GROUPS_AFTER = compiled(rf"(?:[A-Za-z0-9+/=_-]|{_GROUP_SEPARATOR})*")


def _decoded_run(run: str) -> tuple[str, str] | None:
    """(encoding, text) of a run of base64 characters that spells text, else None."""
    if _HEX_RUN.fullmatch(run):
        decoded = _decoded_hex(run)
        if decoded is not None or not _BASE32_RUN.fullmatch(run):
            return decoded
    if _BASE32_RUN.fullmatch(run):
        return _decoded_base32(run.rstrip("=").upper())
    body = run.rstrip("=").translate(_URL_SAFE)
    if len(body) % 4 == 1:
        body = body[:-1]  # a character too many: no whole byte in it
    try:
        # A long run (an image) is first decoded in part: data shows at its first bytes.
        if len(body) > _PROBE * 4 // 3 and not _starts_as_text(binascii.a2b_base64(body[: _PROBE * 4 // 3])):
            return None
        data = binascii.a2b_base64(body + "=" * (-len(body) % 4))
    except binascii.Error:
        return None
    return _named("base64", _text(data))


def _decoded_hex(run: str) -> tuple[str, str] | None:
    digits = run[2:] if run[1] in "xX" else run
    if len(digits) < _SHORTEST_HEX or len(digits) % 2:
        return None
    if len(digits) > 2 * _PROBE and not _starts_as_text(bytes.fromhex(digits[: 2 * _PROBE])):
        return None
    return _named("hex", _text(bytes.fromhex(digits)))


def _decoded_base32(body: str) -> tuple[str, str] | None:
    """Base32 without its padding, as ``int`` reads it (in linear time: base 32 is a power of
    two, which the limit on the digits of a number read does not apply to)."""
    if len(body) % 8 in (1, 3, 6):
        return None  # no length base32 writes
    if len(body) > _PROBE * 8 // 5 and not _starts_as_text(_base32_bytes(body[: _PROBE * 8 // 5])):
        return None
    return _named("base32", _text(_base32_bytes(body)))


def _base32_bytes(body: str) -> bytes:
    size = len(body) * 5 // 8
    value = int(body.translate(_TO_BASE32HEX), 32) >> (len(body) * 5 - size * 8)
    return value.to_bytes(size, "big")


def _named(encoding: str, text: tuple[str, bool] | None) -> tuple[str, str] | None:
    """(encoding, text) of what a run spells (``_text``), else None."""
    if text is None:
        return None
    return (encoding + "/utf-16" if text[1] else encoding), text[0]


def _escaped_runs(text: str, windows: list[list[int]] | None) -> Iterator[EncodedRun]:
    for token in _escaped_tokens(text, windows):
        data = _ESCAPE.sub(_unescaped, token.group().encode("utf-8", "surrogatepass"))
        decoded = _named("escapes", _text(data))
        if decoded is not None:
            yield EncodedRun(token.start(), token.end(), *decoded)


def _escaped_tokens(text: str, windows: list[list[int]] | None) -> Iterator[re.Match[str]]:
    """``_ESCAPED``'s matches in ``text``, or from the windows of its escapes: each token is
    searched for from the last delimiter before its first escape, and the escapes inside it
    are skipped. A window may hold more than one token (a reference's trigger takes the
    character after it, a quote that ends its token: the window of the next escape joins it)."""
    if windows is None:
        yield from _ESCAPED.finditer(text)
        return
    end = 0
    for window_start, window_end in windows:
        while end < window_end:
            start = max(window_start, end)
            before = max(end, *(text.rfind(delimiter, end, start) + 1 for delimiter in _DELIMITERS))
            token = _ESCAPED.search(text, before)
            if token is None:
                return
            end = token.end()
            yield token


#: What ends a token of escapes (``_ESCAPED``'s ``[\s"'<>`]``, ASCII: only ASCII texts have
#: windows).
_DELIMITERS = (" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", '"', "'", "<", ">", "`")


def _unescaped(escape: re.Match[bytes]) -> bytes:
    """The bytes an escape stands for: a byte, or a character in UTF-8 (one no text has, as a
    lone surrogate, as HTML reads it: U+FFFD, so it does not make the token data)."""
    byte, high, code = escape.group(1) or escape.group(2), escape.group(3), escape.group(5)
    if byte:
        return bytes((int(byte, 16),))
    if escape.group(9):
        return bytes((int(escape.group(9), 8),))
    if high:
        point = 0x10000 + ((int(high, 16) - 0xD800) << 10) + int(escape.group(4), 16) - 0xDC00
    elif code or escape.group(7):
        point = int(code or escape.group(7), 16)
    elif escape.group(6):
        point = int(escape.group(6))
    else:
        named = html5.get(escape.group(8).decode("ascii"))
        return escape.group() if named is None else named.encode("utf-8")
    if point > 0x10FFFF or 0xD800 <= point <= 0xDFFF:
        return "\ufffd".encode()
    return chr(point).encode("utf-8")


#: Bytes decoded first from a long run, to tell data from text.
_PROBE = 255


def _starts_as_text(data: bytes) -> bool:
    """Whether the first bytes of a longer run read as text (a character cut at their end
    aside)."""
    return _text(data[: len(data) & ~1], cut=True) is not None


def _text(data: bytes, cut: bool = False) -> tuple[str, bool] | None:
    """The text ``data`` spells, and whether as UTF-16, or None where it is data: not UTF-8
    or UTF-16, or more than one character in 16 that no text has (a NUL put after a secret does
    not make it data; random bytes have one in two). Bytes that are not UTF-8 are read as lone
    surrogates, and one search finds them with the control characters: random bytes (nearly
    every run read) raise no exception to catch. ``cut``: the first bytes of a longer run (a
    character may be cut at their end)."""
    if len(data) < _SHORTEST_TEXT:
        return None
    text = data.decode("utf-8", "surrogateescape")
    end = len(text) - 3 if cut else len(text)
    first = _NOT_TEXT.search(text, 0, end)
    if first is None:
        return text, False
    # UTF-16 of ASCII or Latin text has a zero in 3 bytes of 8 at least, random bytes 1 in 256
    if data.count(0) * 8 >= len(data) * 3 or data.startswith(_BOMS):
        utf16 = _utf16(data)
        if utf16 is not None:
            text = utf16.decode("utf-16", "replace")  # (a BOM says the order; else the one found)
            found = _NOT_TEXT.search(text)
            return (text, True) if found is None or _mostly_text(text, found, len(text)) else None
    return (text, False) if _mostly_text(text, first, end) else None


_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _utf16(data: bytes) -> bytes | None:
    """``data`` with the BOM of its order in front where it is UTF-16 (a BOM, or a zero byte
    in 3 of 4 places of one parity, as UTF-16 of ASCII or Latin text has), else None."""
    data = data[: len(data) & ~1]
    if data.startswith(_BOMS):
        return data
    half = len(data) // 2
    if data[1::2].count(0) * 4 >= half * 3:
        return b"\xff\xfe" + data
    if data[0::2].count(0) * 4 >= half * 3:
        return b"\xfe\xff" + data
    return None


def _mostly_text(text: str, first: re.Match[str], end: int) -> bool:
    """At most one character in 16 of ``text`` up to ``end`` is no text's (``_NOT_TEXT``), the
    ``first`` of them found: a search for each allowed (random bytes fail at the second)."""
    position = first.end()
    for _ in range(end // 16 - 1):
        found = _NOT_TEXT.search(text, position, end)
        if found is None:
            return True
        position = found.end()
    return end >= 16 and _NOT_TEXT.search(text, position, end) is None
