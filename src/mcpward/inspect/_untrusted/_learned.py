"""A small learned classifier of untrusted text, beside the rules.

Logistic regression over the words, adjacent word pairs and rule signals of a window of text
(64 words, moved by 32), trained offline by ``bench/train_untrusted.py`` on data the project may
ship; its weights are a JSON file in the package. A text scores as its worst window, so one
planted paragraph in a long page is not diluted by the page. Scoring is dictionary look-ups:
no model download, no GPU, no dependency.
"""

from __future__ import annotations

import itertools
import operator
from bisect import bisect_left
from collections.abc import Collection, Iterable
from functools import cache

from mcpward._regex import compiled
from mcpward.inspect._logistic import LogisticModel, load_model
from mcpward.inspect._logistic import train as fit

WEIGHTS_FILE = "untrusted_weights.json"
WINDOW = 64
STRIDE = 32
_WORD = compiled(r"[^\W_]+(?:'[^\W_]+)?")


#: The words the classifier may weigh: pronouns, modals, orders and what they are about (the
#: model, its instructions, its answer, data and where it goes), written for the task, not
#: taken from the data. Topic words (calendar, invoice, domain) are left out on purpose: they
#: name the carrier a source planted its injections in, and learning them made the classifier
#: flag ordinary e-mails and calendars of the same kind (left-out false positives of 15 %).
_VOCABULARY_WORDS = """
abort about above act actual add address admin administrator after again agent ai all already
also always am and answer any append are as assistant at attach attention be because been before
begin beginning being below bot but buy by bypass call can can't carefully cease chatbot chatgpt
claude click command commands concatenate confidential content convert could create credentials
critical critically dan data dear decode delete developer did directive directives display
disregard do does don't done download earlier email embed encode end ending every everything
exactly execute extremely fetch finish first following for forget former forward free from give
gpt guidelines had halt has have he hello here hey hi hidden how human i if ignore ignoring
image immediately important importantly in include information initial insert instead
instruction instructions into invite invoke is it jailbreak just key keys kindly link list llm
mail markdown may me message messages might mine mode model must mustn't my myself need needs
never new no not note nothing notice now of on once only open operator or order orders original
other our output outputs override password passwords paste pay place please post preceding
pretend previous print prior private prompt prompts provide put read real really regards remove
repeat replies reply respond response responses result results return reveal reverse role
roleplay rule rules run say secret secrets send shall share she should shouldn't show signed
sincerely site skip so spell start still stop summarise summarize system task tasks tell text
that their them then there these they this those to token tokens transfer translate true
unfiltered unless unrestricted until upload urgent urgently url us use user users verbatim very
visit was we website were what when where which while who why will with without won't words
would write you your yours yourself
"""
VOCABULARY = frozenset(_VOCABULARY_WORDS.split())


def lowered_words(text: str) -> list[str]:
    """The words of ``text`` lower-cased (``words_of`` without their places: a split in C)."""
    if not text.isascii():
        return words_of(text)[0]
    spaced = text.lower().translate(_SEPARATORS)
    if "'" not in spaced:
        return spaced.split()
    return [word for piece in spaced.split() for word in (_WORD.findall(piece) if "'" in piece else (piece,))]


def words_of(text: str) -> tuple[list[str], list[int], list[int]]:
    """The words of ``text`` lower-cased, with their first and end characters."""
    if not text.isascii():
        found = list(_WORD.finditer(text))
        lowered = " ".join([match.group(0) for match in found]).lower().split(" ")
        if len(lowered) != len(found):  # a letter whose lower case splits as a space does
            lowered = [match.group(0).lower() for match in found]
        return lowered, [match.start() for match in found], [match.end() for match in found]
    # ASCII: every character that is not a letter, digit or apostrophe separates words, so a
    # translation and a split in C find what the expression finds (12 times faster); pieces
    # with an apostrophe go through the expression ("don't" is one word, "'quoted'" is
    # "quoted").
    spaced = text.lower().translate(_SEPARATORS)
    pieces = spaced.split(" ")
    offsets = list(itertools.accumulate(map((1).__add__, map(len, pieces)), initial=0))
    if "'" not in spaced:
        words = list(filter(None, pieces))
        starts = list(itertools.compress(offsets, pieces))
        return words, starts, list(map(int.__add__, starts, map(len, words)))
    words, starts, ends = [], [], []
    for piece, offset in zip(pieces, offsets, strict=False):
        if "'" not in piece:
            if piece:
                words.append(piece)
                starts.append(offset)
                ends.append(offset + len(piece))
            continue
        for match in _WORD.finditer(piece):
            words.append(match.group(0))
            starts.append(offset + match.start())
            ends.append(offset + match.end())
    return words, starts, ends


_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "'")})


def window_features(words: list[str], signals: Iterable[str] = ()) -> set[str]:
    """Words of the vocabulary, adjacent pairs of them (one space: never a word) and rule signals
    (``rule:`` prefix)."""
    found = {word for word in words if word in VOCABULARY}
    found.update(
        f"{first} {second}"
        for first, second in itertools.pairwise(words)
        if first in found and second in found
    )
    found.update(f"rule:{name}" for name in signals)
    return found


class WindowFeatures:
    """``window_features`` of any range of one text's words, each word and pair looked up once
    (the loops run in C: a 4 KB text has 700 words and 20 windows)."""

    def __init__(self, words: list[str]) -> None:
        self._words = words
        self._known = list(map(VOCABULARY.__contains__, words))
        both = list(map(operator.and_, self._known, self._known[1:]))
        #: Where a pair of vocabulary words starts, and the pair as a feature.
        self._pair_at = list(itertools.compress(range(len(words)), both))
        firsts, seconds = itertools.compress(words, both), itertools.compress(words[1:], both)
        self._pairs = list(map("{} {}".format, firsts, seconds))

    def between(self, first: int, last: int, signals: Iterable[str] = ()) -> set[str]:
        found = set(itertools.compress(self._words[first:last], self._known[first:last]))
        found.update(self._pairs[bisect_left(self._pair_at, first) : bisect_left(self._pair_at, last - 1)])
        found.update(f"rule:{name}" for name in signals)
        return found


def may_reach_threshold(
    model: Classifier, words: list[str], signals: Iterable[str], extra: Iterable[str] = ()
) -> bool:
    """Whether some window of a text of these (lower-case) ``words`` could reach the model's
    threshold, given rule ``signals`` that may have fired and ``extra`` features any window may
    have: the features of the whole text bound those of each window, found with set operations
    in C."""
    features = set(VOCABULARY.intersection(words))
    features.update(extra)
    pairs = positive_pairs(model).intersection(itertools.pairwise(words))
    features.update(map(" ".join, pairs))
    features.update(f"rule:{name}" for name in signals)
    return model.may_reach_threshold(features)


def positive_pairs(model: Classifier) -> frozenset[tuple[str, str]]:
    """The word pairs with a positive weight in ``model`` (the others cannot raise a bound)."""
    known = _PAIRS.get(id(model))
    if known is None or known[0] is not model:
        pairs = frozenset(
            (first, second)
            for feature, weight in model.weights.items()
            if weight > 0 and " " in feature and not feature.startswith("rule:")
            for first, _, second in (feature.partition(" "),)
        )
        known = _PAIRS[id(model)] = (model, pairs)
    return known[1]


_PAIRS: dict[int, tuple[Classifier, frozenset[tuple[str, str]]]] = {}


def windows(count: int) -> list[tuple[int, int]]:
    """Word ranges of the windows of a text of ``count`` words."""
    if count <= WINDOW:
        return [(0, count)]
    starts = list(range(0, count - WINDOW + 1, STRIDE))
    if starts[-1] + WINDOW < count:
        starts.append(count - WINDOW)
    return [(start, start + WINDOW) for start in starts]


#: The classifier (``logit``, ``probability`` and ``strongest`` of a window's features).
Classifier = LogisticModel


@cache
def shipped_classifier() -> Classifier | None:
    """The classifier trained for this release, or None when the package carries no weights."""
    return load_model("mcpward.inspect._untrusted", WEIGHTS_FILE)


def train(
    examples: list[tuple[set[str], int]], *, epochs: int = 12, rate: float = 0.2, l2: float = 1e-4
) -> tuple[dict[str, float], float]:
    """Logistic regression by stochastic gradient descent, classes balanced, deterministic."""
    pairs: list[tuple[Collection[str], int]] = [(features, label) for features, label in examples]
    return fit(pairs, epochs=epochs, rate=rate, decay=0.2, l2=l2, digits=4, smallest=2e-3)
