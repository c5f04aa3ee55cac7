"""A small learned classifier of untrusted text, beside the rules.

Logistic regression over the words, adjacent word pairs and rule signals of a window of text
(64 words, moved by 32), trained offline by ``bench/train_untrusted.py`` on data the project may
ship; its weights are a JSON file in the package. A text scores as its worst window, so one
planted paragraph in a long page is not diluted by the page. Scoring is dictionary look-ups:
no model download, no GPU, no dependency.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterable
from functools import cache

from mcpward.inspect._logistic import LogisticModel, load_model
from mcpward.inspect._logistic import train as fit

WEIGHTS_FILE = "untrusted_weights.json"
WINDOW = 64
STRIDE = 32
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


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


def words_of(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


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
