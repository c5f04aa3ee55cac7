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
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

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


def encoded_runs(text: str, fired: Collection[int] = (0, 1)) -> Iterator[EncodedRun]:
    """The runs of ``text`` that spell text, in order of their starts (a run of escapes may
    hold a run of base64 characters: both are given), of the kinds whose trigger ``fired``
    (positions in ``TRIGGERS``)."""
    if 1 not in fired:
        yield from _base64_runs(text)
    elif 0 not in fired:
        yield from _escaped_runs(text)
    else:
        yield from _sorted_merge(_base64_runs(text), _escaped_runs(text))


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


def _base64_runs(text: str) -> Iterator[EncodedRun]:
    end = 0
    for run in _RUN.finditer(text):
        start = run.start()
        if start < end:
            continue  # a line of a wrapped run already read
        body, end = run.group(), run.end()
        if len(body) % 4 == 0 and body[-1] != "=" and text.startswith(_LINE_BREAKS, end):
            body, end = _wrapped(text, body, end)
        decoded = _decoded_run(body)
        if decoded is not None:
            yield EncodedRun(start, end, *decoded)


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
        text = _text(bytes.fromhex(digits))
        return None if text is None else ("hex", text)
    body = run.rstrip("=").translate(_URL_SAFE)
    if len(body) % 4 == 1:
        body = body[:-1]  # a character too many: no whole byte in it
    try:
        data = binascii.a2b_base64(body + "=" * (-len(body) % 4))
    except binascii.Error:
        return None
    text = _text(data)
    return None if text is None else ("base64", text)


def _escaped_runs(text: str) -> Iterator[EncodedRun]:
    for token in _ESCAPED.finditer(text):
        data = _BYTE_ESCAPE.sub(_byte, token.group().encode("utf-8", "surrogatepass"))
        decoded = _text(data)
        if decoded is not None:
            yield EncodedRun(token.start(), token.end(), "escapes", decoded)


def _byte(escape: re.Match[bytes]) -> bytes:
    return bytes((int(escape.group(1) or escape.group(2), 16),))


def _text(data: bytes) -> str | None:
    """The text ``data`` spells, or None where it is data (not UTF-8, or control characters).
    Bytes that are not UTF-8 are read as lone surrogates, and one search finds them with the
    control characters: random bytes (nearly every run read) raise no exception to catch."""
    if len(data) < _SHORTEST_TEXT:
        return None
    text = data.decode("utf-8", "surrogateescape")
    return None if _NOT_TEXT.search(text) else text
