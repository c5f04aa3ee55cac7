"""The check of one untrusted text: hidden text, the rule families, the learned classifier."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache

from mcpward._multimatch import MultiMatcher, NativeBuild
from mcpward._regex import compiled
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
    VOCABULARY,
    Classifier,
    WindowFeatures,
    lowered_words,
    may_reach_threshold,
    positive_pairs,
    shipped_classifier,
    window_features,
    windows,
    words_of,
)
from mcpward.inspect._untrusted._rules import RULES, Rule
from mcpward.inspect._untrusted._verbs import OPENING_VERBS
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


def _rule_database(compile_missing: bool) -> MultiMatcher | None:
    """Every rule's index expression (its own, or a cheaper superset of it) in Hyperscan's
    prefilter mode (bounded gaps and look-arounds approximated, so it fires for at least the
    texts the rule matches), after the separators Python's ``\\s`` takes and Hyperscan's does
    not. It is matched on the lower-cased text, so the rules that tell case are compiled
    caseless. 2.4 s to compile here; kept in the user's cache folder."""
    expressions = ["[\\x1c-\\x1f]", *(rule.index for rule in RULES)]
    caseless = [False, *(rule.cased for rule in RULES)]
    matcher = MultiMatcher(
        expressions, caseless, dotall=True, prefilter=True, compile_missing=compile_missing
    )
    return matcher if matcher.native else None


#: The rules' native index. Loaded from the cache when first needed; compiled in a background
#: thread once a process has checked this many texts without it (about 0.6 ms of Python a 4 KB
#: text against 0.05 ms: the one-off compile pays for itself across the machine's processes,
#: while a short-lived one, most tests among them, never pays it).
RULE_INDEX = NativeBuild(_rule_database, "mcpward-untrusted-index")
COMPILE_AFTER = 200


def _possible(lowered: str) -> set[int]:
    """The rules that may match ``lowered`` (by position in RULES)."""
    index = RULE_INDEX.from_cache() if lowered.isascii() else None
    if index is not None:
        fired = index.fired(lowered.encode())
        if 0 not in fired:  # no separator: the native answer holds
            return {number - 1 for number in fired}
    elif lowered.isascii():
        RULE_INDEX.missed(COMPILE_AFTER)
    fired = _anchor_matcher().fired(lowered.encode("utf-8", "surrogatepass"))
    return fired | _unanchored()


#: Each rule's place in RULES, by name.
_POSITION = {rule.name: number for number, rule in enumerate(RULES)}


@cache
def _unanchored() -> frozenset[int]:
    """Rules with no anchor (by position in RULES): the anchor path runs them on every text."""
    return frozenset(number for number, rule in enumerate(RULES) if rule.anchors is None)


def lowered_in_place(text: str) -> str:
    """``text`` in lower case, each character still where it was."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters lower to two characters: keep the spans
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered


def rule_matches(
    text: str, *, lowered: str | None = None, numbers: Collection[int] | None = None
) -> list[tuple[Rule, int, int]]:
    """Each rule's matches in ``text`` (at most PER_RULE a rule), in the order of RULES;
    ``numbers``: only the rules at these positions of RULES."""
    found: list[tuple[Rule, int, int]] = []
    lowered = lowered_in_place(text) if lowered is None else lowered
    fired = _possible(lowered) if numbers is None else numbers
    for number in sorted(fired):
        rule = RULES[number]
        subject = text if rule.cased else lowered
        if rule.leading is not None:
            starts: list[int] | None = _starts(subject, rule.leading)
        elif rule.starts is not None and rule.search_pattern is None:
            # (a rule with a search form is searched in C from one place it may open to the
            # next, cheaper than trying each place from Python however few they are)
            starts = [0, *(match.start() for match in rule.starts.finditer(subject))]
        else:
            starts = None
        if starts is None or len(starts) > len(subject) // _SPARSE:
            matches = rule.finditer(subject)  # in C over the text: cheaper than many tries
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
    words, starts, ends = words_of(text)
    if not words:
        if matches:
            yield 0, len(text), window_features([], {rule.name for rule, _, _ in matches})
        return
    features: WindowFeatures | None = None
    for first, last in windows(len(words)):
        start = 0 if first == 0 else starts[first]
        end = len(text) if last == len(words) else ends[last - 1]
        inside = [(rule, s, e) for rule, s, e in matches if s < end and e > start]
        if signalled_only and not inside:
            continue
        if features is None:  # each word and pair looked up once, not once per window
            features = WindowFeatures(words)
        found = features.between(first, last, {rule.name for rule, _, _ in inside})
        found.update(opening_features(text, inside))
        yield start, end, found


def opening_features(text: str, matches: Collection[tuple[Rule, int, int]]) -> set[str]:
    """Which verb opens a sentence (``open:VERB``) and whether the order opens the text or
    comes after other text (``open:text-start``, ``open:after-text``): a page that turns to
    its reader mid-way is worded like a README that does, but the classifier weighs the verbs."""
    found: set[str] = set()
    for rule, start, end in matches:
        if rule.name != OPENING_RULE:
            continue
        verb = text[start:end].rsplit(None, 1)[-1].lstrip('-*#>"([0123456789.)').lower()
        found.add(f"open:{verb}")
        found.add("open:text-start" if not text[:start].strip() else "open:after-text")
    return found


#: The weak rule whose matches say which verb opens a sentence.
OPENING_RULE = "imperative-opening"
#: Where a sentence opening on a verb stands (see ``opening_features``).
_OPENING_PLACES = ("open:text-start", "open:after-text")


def _evidence(text: str, start: int, end: int) -> str:
    """The words of ``text[start:end]``, whole: the gateway and ``inspect`` mask secrets in the
    evidence after this, and a token cut in two is no longer of a format a mask knows, so its
    part was kept in clear. A word the span cuts is taken whole, or left out if it is longer
    than the evidence may be; past ``EVIDENCE`` characters the evidence is cut between words;
    a number written in groups (a card, a phone, an IBAN) is not cut in its groups either."""
    if 0 < start < end and not (text[start - 1].isspace() or text[start].isspace()):
        before = text[max(0, start - EVIDENCE) : start]
        head = before.rsplit(None, 1)[-1]
        if len(head) < len(before) or start <= EVIDENCE:
            start -= len(head)
        else:
            start += len(text[start:end].split(None, 1)[0])
    if start < end < len(text) and not (text[end - 1].isspace() or text[end].isspace()):
        after = text[end : end + EVIDENCE]
        rest = after.split(None, 1)[0]
        if len(rest) < len(after) or end + EVIDENCE >= len(text):
            end += len(rest)
        else:
            end -= len(text[start:end].rsplit(None, 1)[-1])
    words = text[start:end].split()
    first, last = 0, len(words)
    if _grouped(text[max(0, start - EVIDENCE) : start].split()[-1:] + words[:1]):
        while first < last and _DIGIT.search(words[first]):
            first += 1
    if _grouped(words[-1:] + text[end : end + EVIDENCE].split()[:1]):
        while last > first and _DIGIT.search(words[last - 1]):
            last -= 1
    snippet = " ".join(words[first:last])
    if len(snippet) <= EVIDENCE:
        return snippet
    cut = snippet.count(" ", 0, max(snippet.rfind(" ", 0, EVIDENCE), 0) + 1)  # the words kept
    kept = words[first : first + cut]
    if _grouped(kept[-1:] + words[first + cut : first + cut + 1]):
        while kept and _DIGIT.search(kept[-1]):
            kept.pop()
    return " ".join(kept) + "…"


_DIGIT = compiled(r"\d")


def _grouped(pair: list[str]) -> bool:
    """Whether two words next to each other may be groups of one number (both hold a digit)."""
    return len(pair) == 2 and all(_DIGIT.search(word) for word in pair)


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
    folded = text.translate(_FOLDING)
    return folded if folded != text else None


class _Folding(dict[int, str]):
    """Each character's compatibility form where it is one character (else itself), worked out
    once per character (``str.translate`` asks for each): a call per character of every text
    cost a tenth of the check on text that is not ASCII. Kept for 65,536 characters at most,
    whatever a text holds."""

    def __missing__(self, code: int) -> str:
        character = chr(code)
        folded = unicodedata.normalize("NFKC", character)
        form = folded if len(folded) == 1 else character
        if len(self) < 65_536:
            self[code] = form
        return form


_FOLDING = _Folding()


def check_text(text: str, classifier: Classifier | None = None, *, learned: bool = True) -> list[Hit]:
    """Every finding in ``text``; ``classifier`` replaces the shipped one (the bench trains its
    own per left-out source), ``learned=False`` runs the rules alone."""
    text = text[:LIMIT]
    hits = list(hidden_text(text))
    scanned = _folded(text) or text
    lowered = lowered_in_place(scanned)
    possible = _possible(lowered)
    strong = [number for number in possible if RULES[number].strong]
    weak = [number for number in possible if not RULES[number].strong]
    matches = rule_matches(scanned, lowered=lowered, numbers=strong) if strong else []
    reported: set[str] = set()
    for rule, start, end in matches:
        if rule.strong and rule.name not in reported:
            reported.add(rule.name)
            hits.append(Hit(rule.family, rule.severity, start, end, _evidence(text, start, end), rule.name))
    model = classifier if classifier is not None else shipped_classifier()
    if (
        learned
        and model is not None
        and possible
        and not any(hit.severity.rank >= Severity.HIGH.rank for hit in hits)
        and _may_reach(model, scanned, possible, lowered)
    ):
        # The weak rules' matches beside the strong ones', in the order of RULES (as one pass
        # over every possible rule gives them; the evidence of a tie is the first).
        matches += rule_matches(scanned, lowered=lowered, numbers=weak)
        matches.sort(key=lambda match: _POSITION[match[0].name])
        hits.extend(_learned(text, scanned, matches, model))
    return sorted(hits, key=lambda hit: (hit.start, hit.family))


def _may_reach(model: Classifier, text: str, possible: Collection[int], lowered: str | None = None) -> bool:
    """Whether any window of ``text`` could reach the model's threshold (every rule that may have
    fired counted as fired). Most benign texts where a weak rule fires stay under it, and are
    spared the weak rules' Python patterns and the windows (0.4 ms of 0.5 for a 4 KB e-mail).
    ``lowered``: the text in lower case, for the native bound first (see ``_BoundIndex``)."""
    names = [RULES[number].name for number in possible]
    opening = OPENING_RULE in names
    if lowered is not None and model is shipped_classifier() and lowered.isascii():
        index = BOUND_INDEX.from_cache()
        if index is None:
            BOUND_INDEX.missed(COMPILE_AFTER)
        else:
            features = index.features(lowered.encode(), opening=opening)
            features.update(f"rule:{name}" for name in names)
            if opening:
                features.update(_OPENING_PLACES)
            # Nearly exact (4 of the 3,045 texts of the benign results corpus it lets through
            # the exact bound stops): the windows give the same verdict at once.
            return model.may_reach_threshold(features)
    words = lowered_words(text)
    extra: set[str] = set()
    if opening:  # every verb of the text might open a sentence, in either place
        extra = {f"open:{verb}" for verb in OPENING_VERBS.intersection(words)}
        extra.update(_OPENING_PLACES)
    return may_reach_threshold(model, words, names, extra)


class _BoundIndex:
    """A superset of the features the whole-text bound counts, found in one native pass: each
    word and opening verb of the shipped model with a positive weight, and each such pair of
    words, as literals on the text with every character but a letter or digit made a space
    (the split's words are those runs, an apostrophe joining two of them; ``'`` in a word is a
    space here too). Where the bound of this superset stays under the threshold, so does the
    bound of the words themselves, and the text is spared the split and the set operations
    (0.15 ms of a 4 KB e-mail's 0.22); where it does not, the windows decide."""

    #: Separators between two words a pair's expression spans: runs longer are shortened first.
    GAP = 4

    def __init__(self, matcher: MultiMatcher, features: list[str], openers: list[bool]) -> None:
        self._matcher, self._features, self._openers = matcher, features, openers

    def features(self, lowered: bytes, *, opening: bool) -> set[str]:
        spaced = lowered.translate(_SPACED)
        while b" " * (self.GAP + 1) in spaced:  # a pass shortens each run to about a quarter
            spaced = spaced.replace(b" " * self.GAP, b" ")
        fired = self._matcher.fired(b" " + spaced + b" ")
        return {self._features[i] for i in fired if opening or not self._openers[i]}


#: Letters and digits kept (upper case lowered), every other byte a space.
_SPACED = bytes(
    code + 32 if 65 <= code <= 90 else code if 48 <= code <= 57 or 97 <= code <= 122 else 32
    for code in range(256)
)


def _bound_database(compile_missing: bool) -> _BoundIndex | None:
    model = shipped_classifier()
    if model is None:
        return None

    def spelled(word: str) -> str:
        return re.escape(" ".join(word.replace("'", " ").split()))

    positive = {feature for feature, weight in model.weights.items() if weight > 0}
    # (feature, expression, whether it counts only where a sentence may open on a verb)
    entries = [(word, f" {spelled(word)} ", False) for word in sorted(VOCABULARY & positive)]
    entries += [
        (f"open:{verb}", f" {spelled(verb)} ", True)
        for verb in sorted(OPENING_VERBS)
        if f"open:{verb}" in positive
    ]
    entries += [
        (f"{first} {second}", f" {spelled(first)} {{1,{_BoundIndex.GAP}}}{spelled(second)} ", False)
        for first, second in sorted(positive_pairs(model))
    ]
    expressions = [expression for _, expression, _ in entries]
    matcher = MultiMatcher(expressions, [False] * len(expressions), compile_missing=compile_missing)
    if not matcher.native:
        return None
    return _BoundIndex(matcher, [feature for feature, _, _ in entries], [opener for _, _, opener in entries])


#: The bound's native index, made as the rules' is (``RULE_INDEX``).
BOUND_INDEX = NativeBuild(_bound_database, "mcpward-untrusted-bound")


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
