"""The check of one untrusted text: hidden text, the rule families, the learned classifier."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from mcpward._multimatch import MultiMatcher
from mcpward.inspect._detectors.invisible_text import (
    _ANSI,
    _BIDI,
    _CONTROL,
    _NOT_CONTROL,
    _TAGS,
    _ZERO_WIDTH,
    decode_tags,
)
from mcpward.inspect._untrusted._learned import (
    Classifier,
    shipped_classifier,
    window_features,
    windows,
    words_of,
)
from mcpward.inspect._untrusted._rules import RULES, Rule
from mcpward.model import Severity

#: Characters of one text that are checked: a hostile result cannot make the check slow (the
#: rules cost about a millisecond per kilobyte in Python; a planted order past this is not seen).
LIMIT = 262_144
#: Matches of one rule that are kept in one text (the first is reported; more only feed windows).
PER_RULE = 16
EVIDENCE = 120
LEARNED_FAMILY = "learned-classifier"


@dataclass(frozen=True, slots=True)
class Hit:
    family: str
    severity: Severity
    start: int
    end: int
    evidence: str
    rule: str


@cache
def _anchor_matcher() -> MultiMatcher:
    """One native pass over the text finds the rules one of whose anchors occurs (a rule with
    no anchors always runs); a substring test per anchor was 600 passes over the text."""
    return MultiMatcher(
        ["|".join(re.escape(a) for a in sorted(rule.anchors)) if rule.anchors else "" for rule in RULES],
        [True] * len(RULES),
        fallbacks=[
            "|".join(re.escape(a) for a in sorted(rule.anchors)) if rule.anchors else "" for rule in RULES
        ],
    )


def rule_matches(text: str) -> list[tuple[Rule, int, int]]:
    found: list[tuple[Rule, int, int]] = []
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters lower to two characters: keep the spans
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    fired = _anchor_matcher().fired(lowered.encode("utf-8", "surrogatepass"))
    for number, rule in enumerate(RULES):
        if rule.anchors is not None and number not in fired:
            continue
        subject = text if rule.cased else lowered
        if rule.leading is not None:
            starts: list[int] | None = _starts(subject, rule.leading)
        elif rule.starts is not None:
            starts = [0, *(match.start() for match in rule.starts.finditer(subject))]
        else:
            starts = None
        if starts is None or len(starts) > len(subject) // _SPARSE:
            matches = rule.regex.finditer(subject)  # in C over the text: cheaper than many tries
        else:
            matches = _matches_from(rule, subject, starts)
        for count, match in enumerate(matches):
            if count >= PER_RULE:
                break
            found.append((rule, match.start(), match.end()))
    return found


#: Candidate starts are tried one by one when there are fewer than one per this many characters.
_SPARSE = 32


def _starts(text: str, literals: frozenset[str]) -> list[int]:
    """Every position where one of ``literals`` occurs (found in C, one literal at a time)."""
    positions: set[int] = set()
    for literal in literals:
        at = text.find(literal)
        while at >= 0:
            positions.add(at)
            at = text.find(literal, at + 1)
    return sorted(positions)


def _matches_from(rule: Rule, text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """What ``finditer`` finds, tried only where a match can start: every match starts with a
    leading literal, so the leftmost one is at the first candidate that matches."""
    end = 0
    for start in starts:
        if start < end:
            continue
        match = rule.regex.match(text, start)
        if match is not None:
            yield match
            end = max(match.end(), start + 1)


def text_windows(
    text: str, matches: list[tuple[Rule, int, int]], *, signalled_only: bool = False
) -> Iterator[tuple[int, int, set[str]]]:
    """(first character, end character, features) of every window of ``text``; with
    ``signalled_only``, of the windows a rule fired in (the others are not built)."""
    found = words_of(text)
    if not found:
        if matches:
            yield 0, len(text), window_features([], {rule.name for rule, _, _ in matches})
        return
    lowered: list[str] | None = None
    for first, last in windows(len(found)):
        start, end = found[first].start(), found[last - 1].end()
        if first == 0:
            start = 0
        if last == len(found):
            end = len(text)
        signals = {rule.name for rule, s, e in matches if s < end and e > start}
        if signalled_only and not signals:
            continue
        if lowered is None:  # one lower() for all the words (they hold no space)
            lowered = " ".join([match.group(0) for match in found]).lower().split(" ")
            if len(lowered) != len(found):  # a letter whose lower case is a space-like split
                lowered = [match.group(0).lower() for match in found]
        yield start, end, window_features(lowered[first:last], signals)


def _evidence(text: str, start: int, end: int) -> str:
    snippet = " ".join(text[start:end].split())
    return snippet if len(snippet) <= EVIDENCE else snippet[: EVIDENCE - 1] + "…"


def hidden_text(text: str) -> Iterator[Hit]:
    """Text a person does not see but a model reads (kept from the description check)."""
    if text.isascii() and "\x1b" not in text and not text.encode("ascii").translate(None, _NOT_CONTROL):
        return  # plain text: deleting every other byte in C decides it
    tags = None if text.isascii() else _TAGS.search(text)
    if tags is not None:
        hidden = decode_tags(text)
        yield Hit(
            "hidden-text",
            Severity.CRITICAL,
            tags.start(),
            tags.end(),
            _evidence(hidden, 0, len(hidden)),
            "unicode-tag-text",
        )
        for rule, _, _ in rule_matches(hidden):
            if rule.strong:
                yield Hit(
                    rule.family,
                    Severity.CRITICAL,
                    tags.start(),
                    tags.end(),
                    _evidence(hidden, 0, len(hidden)),
                    f"hidden-{rule.name}",
                )
    for regex, rule_name, severity in (
        (_BIDI, "bidi-control", Severity.HIGH),
        (_ZERO_WIDTH, "zero-width-character", Severity.MEDIUM),
        (_ANSI, "ansi-escape", Severity.HIGH),
        (_CONTROL, "control-character", Severity.MEDIUM),
    ):
        for match in regex.finditer(text):
            if rule_name == "zero-width-character" and match.start() == 0 and match.group(0) == "\ufeff":
                continue  # a byte-order mark opening a file read as text
            if rule_name == "ansi-escape" and _plain_style(match.group(0)):
                continue  # colours and bold of command output hide nothing
            yield Hit("hidden-text", severity, match.start(), match.end(), repr(match.group(0)), rule_name)
            break


def _plain_style(escape: str) -> bool:
    """An SGR escape (ESC [ ... m) that only colours or styles text, not one that conceals it (8)."""
    if not (escape.startswith("\x1b[") and escape.endswith("m")):
        return False
    codes = [code for code in escape[2:-1].split(";") if code]
    return "8" not in codes


def _folded(text: str) -> str | None:
    """Compatibility forms (full-width letters, ligatures) folded, when that changes the text
    but not its length (so spans still point into the original)."""
    if text.isascii():
        return None
    folded = "".join(
        unicodedata.normalize("NFKC", c) if len(unicodedata.normalize("NFKC", c)) == 1 else c for c in text
    )
    return folded if folded != text else None


def check_text(text: str, classifier: Classifier | None = None, *, learned: bool = True) -> list[Hit]:
    """Every finding in ``text``; ``classifier`` replaces the shipped one (the bench trains its
    own per left-out source), ``learned=False`` runs the rules alone."""
    text = text[:LIMIT]
    hits = list(hidden_text(text))
    scanned = _folded(text) or text
    matches = rule_matches(scanned)
    reported: set[str] = set()
    for rule, start, end in matches:
        if rule.strong and rule.name not in reported:
            reported.add(rule.name)
            hits.append(Hit(rule.family, rule.severity, start, end, _evidence(text, start, end), rule.name))
    model = classifier if classifier is not None else shipped_classifier()
    if learned and model is not None and not any(hit.severity.rank >= Severity.HIGH.rank for hit in hits):
        hits.extend(_learned(text, scanned, matches, model))
    return sorted(hits, key=lambda hit: (hit.start, hit.family))


def _learned(
    text: str, scanned: str, matches: list[tuple[Rule, int, int]], model: Classifier
) -> Iterator[Hit]:
    """The classifier weighs the windows where a weak rule fired (the words around it decide
    whether it is an order to the model); text with no signal at all costs nothing more."""
    if not matches:
        return
    best: tuple[float, int, int, set[str]] | None = None
    for start, end, features in text_windows(scanned, matches, signalled_only=True):
        logit = model.logit(features)
        if best is None or logit > best[0]:
            best = (logit, start, end, features)
    if best is None:
        return
    logit, start, end, features = best
    if model.probability(features) < model.threshold:
        return
    # The evidence: the weak rule that fired in the window that weighs most.
    inside = [(s, e, rule) for rule, s, e in matches if s < end and e > start]
    if inside:
        s, e, rule = max(inside, key=lambda item: model.weights.get(f"rule:{item[2].name}", 0.0))
        yield Hit(rule.family, Severity.MEDIUM, s, e, _evidence(text, s, e), f"learned:{rule.name}")
        return
    strongest = model.strongest(features) or ""
    position = scanned.lower().find(strongest, start, end) if strongest else -1
    if position < 0:
        position = start
    s, e = max(start, position - 40), min(end, position + len(strongest) + 60)
    yield Hit(LEARNED_FAMILY, Severity.MEDIUM, s, e, _evidence(text, s, e), "learned")
