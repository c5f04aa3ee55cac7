"""Runs of encoded text and the text they spell, for the DLP engine to read for secrets.

A model told to send a credential where DLP would see it can be told to encode it first:
base64 (standard or URL-safe, padded or not, wrapped in lines as ``base64`` and PEM write it),
hex (``0x`` or not, in lines as ``xxd -p`` writes it), or byte escapes (``%67%68``,
``\\x67\\x68``). Each such run is decoded once here; the engine reads what it spells (and runs
in that, one level more) and reports a secret found there against the run.

Only text is read: decoded bytes that are not UTF-8, or that hold control characters other
than white space, are data (an image, a hash, a random id, compressed bytes) and are left. Every
run is found and decoded in one pass of linear expressions, and what it spells is shorter than
the run, so the work stays linear in the input.
"""

from __future__ import annotations

import binascii
import bisect
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcpward._multimatch import SpanFinder

#: The one-pass matcher's triggers (Hyperscan syntax; the pure-Python path runs them as they
#: are): 16 base64 characters in a row, and a byte escape.
TRIGGERS = (r"[A-Za-z0-9+/_-]{16}", r"%[0-9A-Fa-f]{2}|\\x[0-9A-Fa-f]{2}")
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
#: not), or hex digits. The look-aheads are possessive: each reads the run once.
_RUN = re.compile(
    r"(?<![A-Za-z0-9+/_-])(?=[A-Za-z0-9+/_-]{16})"
    r"(?:(?=[a-z0-9+/_-]*+[A-Z])(?=[A-Z0-9+/_-]*+[a-z])|(?=(?:0[xX])?[0-9A-Fa-f]{20}))"
    r"[A-Za-z0-9+/_-]++={0,2}"
)
#: The next line of a wrapped run: a line break, raw or written as a JSON escape, indentation,
#: and the line.
_NEXT_LINE = re.compile(r"(?:\r?\n|\\r\\n|\\n)[ \t]{0,16}([A-Za-z0-9+/_-]{4,}={0,2})(?![A-Za-z0-9+/_=-])")
_HEX_RUN = re.compile(r"(?:0[xX])?[0-9A-Fa-f]+")
_LINE_BREAKS = ("\n", "\r\n", "\\n", "\\r")
#: A token (no white space or quote) holding a byte escape, from its start: the characters
#: before the first escape read one way only, so a token without one fails once, at its end.
_ESCAPED = re.compile(
    r"(?<![^\s\"'<>`])(?:[^\s\"'<>`%\\]|%(?![0-9A-Fa-f]{2})|\\(?!x[0-9A-Fa-f]{2}))*"
    r"(?:%[0-9A-Fa-f]{2}|\\x[0-9A-Fa-f]{2})[^\s\"'<>`]*"
)
_BYTE_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})|\\x([0-9A-Fa-f]{2})")
#: Characters that text has none of (control characters, and the lone surrogates that bytes
#: which are not UTF-8 decode to): decoded bytes holding one are data.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\udc80-\udcff]")
_URL_SAFE = str.maketrans("-_", "+/")


@dataclass(frozen=True, slots=True)
class EncodedRun:
    start: int
    end: int
    encoding: str  # base64, hex, escapes
    text: str  # what it spells


def encoded_runs(
    text: str, fired: Collection[int] = (0, 1), places: Places | None = None
) -> Iterator[EncodedRun]:
    """The runs of ``text`` that spell text, in order of their starts (a run of escapes may
    hold a run of base64 characters: both are given), of the kinds whose trigger ``fired``
    (positions in ``TRIGGERS``); ``places``: where they may start (``native_places``), else
    found in the whole text."""
    base64 = _base64_runs(text, places[0] if places else None) if 0 in fired else iter(())
    escaped = _escaped_runs(text, places[1] if places else None) if 1 in fired else iter(())
    yield from _sorted_merge(base64, escaped)


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
        found[number] = {0: [], 1: []}
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


#: A run's start (the character before it, or the text's start), and a byte escape.
_PLACES = {0: EVERY_MATCH_TRIGGERS[0], 1: TRIGGERS[1]}


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
        body, end = run.group(), run.end()
        if len(body) % 4 == 0 and body[-1] != "=" and text.startswith(_LINE_BREAKS, end):
            body, end = _wrapped(text, body, end)
        decoded = _decoded_run(body)
        if decoded is not None:
            yield EncodedRun(start, end, *decoded)


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


def _wrapped(text: str, first: str, end: int) -> tuple[str, int]:
    """A run wrapped in lines from its ``first``, and where it ends: every line as long as the
    first (a multiple of 4), the last no longer; a line after padding, or of another length,
    is something else."""
    lines = [first]
    width = len(first)
    while not lines[-1].endswith("=") and len(lines[-1]) == width:
        more = _NEXT_LINE.match(text, end)
        if more is None or len(more.group(1)) > width:
            break
        lines.append(more.group(1))
        end = more.end()
    return "".join(lines), end


def _decoded_run(run: str) -> tuple[str, str] | None:
    """(encoding, text) of a run of base64 characters that spells text, else None."""
    if _HEX_RUN.fullmatch(run):
        digits = run[2:] if run[1] in "xX" else run
        if len(digits) < _SHORTEST_HEX or len(digits) % 2:
            return None
        if len(digits) > 2 * _PROBE and not _starts_as_text(bytes.fromhex(digits[: 2 * _PROBE])):
            return None
        text = _text(bytes.fromhex(digits))
        return None if text is None else ("hex", text)
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
    text = _text(data)
    return None if text is None else ("base64", text)


def _escaped_runs(text: str, windows: list[list[int]] | None) -> Iterator[EncodedRun]:
    for token in _escaped_tokens(text, windows):
        data = _BYTE_ESCAPE.sub(_byte, token.group().encode("utf-8", "surrogatepass"))
        decoded = _text(data)
        if decoded is not None:
            yield EncodedRun(token.start(), token.end(), "escapes", decoded)


def _escaped_tokens(text: str, windows: list[list[int]] | None) -> Iterator[re.Match[str]]:
    """``_ESCAPED``'s matches in ``text``, or from the windows of its escapes: each token is
    searched for from the last delimiter before its first escape, and the escapes inside it
    are skipped."""
    if windows is None:
        yield from _ESCAPED.finditer(text)
        return
    end = 0
    for window_start, _ in windows:
        if window_start < end:
            continue
        before = max(end, *(text.rfind(delimiter, end, window_start) + 1 for delimiter in _DELIMITERS))
        token = _ESCAPED.search(text, before)
        if token is not None:
            end = token.end()
            yield token


#: What ends a token of escapes (``_ESCAPED``'s ``[\s"'<>`]``, ASCII: only ASCII texts have
#: windows).
_DELIMITERS = (" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", '"', "'", "<", ">", "`")


def _byte(escape: re.Match[bytes]) -> bytes:
    return bytes((int(escape.group(1) or escape.group(2), 16),))


#: Bytes decoded first from a long run, to tell data from text.
_PROBE = 255


def _starts_as_text(data: bytes) -> bool:
    """Whether the first bytes of a longer run read as text (a character cut at their end
    aside)."""
    head = data.decode("utf-8", "surrogateescape")
    return _NOT_TEXT.search(head, 0, len(head) - 3) is None


def _text(data: bytes) -> str | None:
    """The text ``data`` spells, or None where it is data (not UTF-8, or control characters).
    Bytes that are not UTF-8 are read as lone surrogates, and one search finds them with the
    control characters: random bytes (nearly every run read) raise no exception to catch."""
    if len(data) < _SHORTEST_TEXT:
        return None
    text = data.decode("utf-8", "surrogateescape")
    return None if _NOT_TEXT.search(text) else text
