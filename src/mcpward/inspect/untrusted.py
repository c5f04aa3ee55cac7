"""Instructions planted in untrusted content: what a tool returns, a resource read, a message.

The model reads a tool's result as it reads the user: a web page, an issue, an e-mail or a file
can carry orders for it. ``check_content`` reads such texts for the families of those orders
(instruction override and role reassignment, prompt and secret extraction, spoofed delimiters
and fake system or tool messages, forced output, encoding requests, tool-call induction,
exfiltration through markdown images and links, hidden text), with rules and a small learned
classifier calibrated on benign tool results. The gateway and ``inspect --results`` share it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import AnyStr

from mcpward._regex import compiled
from mcpward.inspect._untrusted._check import LIMIT, check_text
from mcpward.inspect._untrusted._learned import WINDOW as WORD_WINDOW
from mcpward.model import Severity

__all__ = ["FAMILIES", "ContentFinding", "check_answer", "check_content"]

#: The families a finding can belong to. "learned-classifier" is the classifier deciding
#: alone (no rule family fired in the words it weighed).
FAMILIES = (
    "instruction-override",
    "prompt-extraction",
    "spoofed-delimiter",
    "forced-output",
    "encoding-request",
    "tool-call-induction",
    "markdown-exfiltration",
    "hidden-text",
    "learned-classifier",
)


@dataclass(frozen=True)
class ContentFinding:
    family: str  # one of FAMILIES
    severity: Severity
    index: int  # which of the texts
    start: int  # character span in that text of the words that triggered
    end: int
    evidence: str  # those words, at most ~120 characters


def check_content(texts: Sequence[str]) -> list[ContentFinding]:
    """Findings in each of ``texts`` (by index), in position order within a text. Texts that
    are not strings are skipped. A text longer than the check's window (262,144 characters) is
    read whole, in windows that overlap by 2,000 characters (an order longer than that is not
    one sentence): the model reads past the first window, and an order placed there once
    passed unread. Time stays linear in the text's length."""
    _texts_not_one(texts)
    findings: list[ContentFinding] = []
    # A text that recurs is read once, its findings given to each place it stands: an SDK
    # server's result carries its text twice (``content`` and ``structuredContent``).
    read: dict[str, list[ContentFinding]] = {}
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text:
            continue
        if (earlier := read.get(text)) is not None:
            findings.extend(replace(finding, index=index) for finding in earlier)
            continue
        found: list[ContentFinding] = []
        seen: set[tuple[str, int]] = set()
        for offset in range(0, len(text), _WINDOW - _OVERLAP):
            for hit in check_text(text[offset : offset + _WINDOW]):
                start, end = hit.start + offset, hit.end + offset
                if (hit.family, start) not in seen:  # found again in the overlap
                    seen.add((hit.family, start))
                    found.append(ContentFinding(hit.family, hit.severity, index, start, end, hit.evidence))
            if offset + _WINDOW >= len(text):
                break
        read[text] = found
        findings.extend(found)
    return findings


#: An answer's texts up to this many are read one by one (a finding names its text); past it
#: they are read joined (one pass, not a pass each).
APART = 50


def check_answer(texts: Sequence[str]) -> tuple[list[ContentFinding], bool]:
    """The findings in the texts of one answer (a result, an error, a server's request or
    notification), and whether they are of the texts read together. The model reads an
    answer's texts one after the other, so an order split between two ("Ign" and "ore all
    previous instructions...", neither an order alone) is one order to it: around each seam
    between two texts, joined by a line break and by nothing (a split inside a word), 128
    words or 128 tokens each side, whichever reaches further (at most 2,000 characters: see
    ``_reach``), is read too. Read together, a finding's index and offsets are those of the
    stretch it was found in. The time stays linear: the stretches are at most the joined text, twice."""
    _texts_not_one(texts)
    strings = [text for text in texts if isinstance(text, str) and text]
    if len(strings) <= APART:
        findings = check_content(texts)
        if findings or len(strings) < 2:
            return findings, False
    else:
        findings = check_content(["\n".join(strings)])
        if findings:
            return findings, True
    reaches = _reaches(strings)
    for glue in ("\n", ""):
        findings = check_content(_seams(strings, reaches, glue))
        if findings:
            return findings, True
    return [], True


def _texts_not_one(texts: Sequence[str]) -> None:
    """A string is a sequence of strings too: read as one, each of its characters would be
    checked alone (thousands of checks, none of them seeing a word)."""
    if isinstance(texts, str):
        raise TypeError("texts: a sequence of strings, not one string (pass [text])")


def _seams(strings: list[str], reaches: list[tuple[int, int]], glue: str) -> list[str]:
    """The stretches of ``glue.join(strings)`` around each seam between two strings, as far as
    ``reaches`` say each side (``_reaches``), those that meet merged."""
    joined = glue.join(strings)
    stretches: list[tuple[int, int]] = []
    position = 0
    for text, (before, after) in zip(strings, reaches, strict=False):
        position += len(text)
        start, end = position - before, position + len(glue) + after
        if stretches and start <= stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], end)
        else:
            stretches.append((start, end))
        position += len(glue)
    return [joined[start:end] for start, end in stretches]


def _reaches(strings: list[str]) -> list[tuple[int, int]]:
    """How far each seam's stretch reads before it and after it, in characters (``_reach``)."""
    return [
        (_reach(text[-_OVERLAP:][::-1]), _reach(after[:_OVERLAP]))
        for text, after in itertools.pairwise(strings)
    ]


def _reach(side: str) -> int:
    """How many characters from a seam (``side`` starts there: the text after it, or the text
    before it reversed) the seam's stretch reads: ``_SEAM_WORDS`` words, the token the last one
    stands in whole, or as many tokens, whichever reaches further, at most ``_OVERLAP``. A window
    of the classifier that holds the seam lies within one window's words each side. A rule's
    gaps are counted in tokens (runs of text between white space), and one token can hold many
    words (an address's segments, an identifier's parts, letters each with a combining accent):
    a rule's sentence lies within two windows' tokens (its widest gap, a link's 200-character
    text, holds at most 100), and a token is read to its end (a link's address). Reading 2,000
    characters each side cost the gateway's check of a 4 KB result more than its own reading of
    the result."""
    tokens = _tokens_reach(side)
    if tokens == len(side):
        return tokens
    if side.isascii():
        # Prose has a word or more in each token: where the tokens' stretch holds the words
        # (``_words_reach``'s, counted in C: a word opens after each byte not of one, or at the
        # start), it is the reach, and the words are not split out one by one.
        marked = side[:tokens].encode().translate(_WORD_MARKS)
        if marked.count(b" x") + marked.startswith(b"x") >= _words_counted(side):
            return tokens
    return max(tokens, _words_reach(side))


def _words_reach(side: str) -> int:
    """The characters ``_SEAM_WORDS`` of the classifier's words take from a seam (see ``_reach``),
    the token the last one stands in whole."""
    if not side.isascii():
        words = _SEAM_WORDS_MATCH.match(side)
        return words.end() if words is not None else len(side)
    # The same in C for ASCII (most results), the words split at apostrophes too (see
    # ``_words_counted``).
    last_word_end = _end_of_run(side.encode().translate(_WORD_BYTES), _words_counted(side))
    if last_word_end is None:
        return len(side)
    token_end = _WHITESPACE.search(side, last_word_end)
    return token_end.start() if token_end is not None else len(side)


def _words_counted(side: str) -> int:
    """The words ``_words_reach`` counts in ASCII, split at apostrophes too: one of the
    classifier's ("don't") is at most two of them, so where there is an apostrophe twice as many."""
    return _SEAM_WORDS if "'" not in side else 2 * _SEAM_WORDS


def _tokens_reach(side: str) -> int:
    """The characters ``_SEAM_WORDS`` tokens take from a seam (a split in C: ``str.split`` and
    the rules' ``\\s`` take the same white space)."""
    end = _end_of_run(side, _SEAM_WORDS)
    return len(side) if end is None else end


def _end_of_run(text: AnyStr, count: int) -> int | None:
    """Where the ``count``-th piece of ``text`` between white space ends (a split in C); None
    when it has no more pieces than that."""
    pieces_and_rest = text.split(None, count)
    if len(pieces_and_rest) <= count:
        return None
    return len(text[: len(text) - len(pieces_and_rest[-1])].rstrip())


_WINDOW = LIMIT
_OVERLAP = 2_000
#: The words, and the tokens, read each side of a seam (see ``_reach``): two of the classifier's windows.
_SEAM_WORDS = 2 * WORD_WINDOW
# Separators, then a word (as the classifier splits them, an apostrophe joining two), that many
# times, then the rest of the token (read reversed, a word and a token are still one).
_SEAM_WORDS_MATCH = compiled(rf"(?:[\W_]*+[^\W_]++(?:'[^\W_]++)?){{1,{_SEAM_WORDS}}}\S*+")
_WHITESPACE = compiled(r"\s")
#: Letters and digits an ``x``, every other byte a space.
_WORD_MARKS = bytes(120 if chr(code).isalnum() else 32 for code in range(128)) + b" " * 128
#: Letters and digits kept, every other byte a space.
_WORD_BYTES = bytes(code if chr(code).isalnum() else 32 for code in range(128)) + b" " * 128
