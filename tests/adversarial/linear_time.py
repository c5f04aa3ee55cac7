"""What the linear-time attack tests share: the CPU cost of a call on a text, whether four
times a hostile run costs about four times as much, and hostile texts made from a match."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

#: Four times a run in less than this is linear at any rate (nothing worth timing again).
FAST = 0.01


def cpu_cost(call: Callable[[str], object], text: str) -> float:
    """This thread's CPU time for ``call(text)``: the machine may be shared (a ratio of
    milliseconds of wall time failed on a loaded machine when another process took the core)."""
    started = time.thread_time()
    call(text)
    return time.thread_time() - started


def superlinear(call: Callable[[str], object], single: str, quadruple: str) -> tuple[float, float] | None:
    """The costs (best of three) when ``quadruple``, four times the run of ``single``, costs
    more than ten times as much (linear: four; quadratic: sixteen; the margin is for a shared
    machine), else None."""
    once = cpu_cost(call, quadruple)
    if once < FAST:
        return None
    return costs_superlinear(
        lambda: cpu_cost(call, single), lambda: cpu_cost(call, quadruple), first_large=once
    )


def costs_superlinear(
    small: Callable[[], float],
    large: Callable[[], float],
    *,
    factor: float = 10,
    slack: float = 0.01,
    first_large: float | None = None,
) -> tuple[float, float] | None:
    """The best costs of ``small()`` and ``large()`` (best of up to three each) when the large
    costs more than ``factor`` times the small (plus ``slack`` seconds), else None.

    A machine's other work only ever adds to a cost: a pair that looks within the bound is
    (the small run is timed twice, so that one slow small run does not hide a slow large one),
    and only a pair that looks over it is timed again before it is said to be. Timing every size
    three times made these tests a tenth of the suite."""
    best_small = min(small(), small())
    best_large = large() if first_large is None else first_large
    for _ in range(2):
        if best_large <= factor * best_small + slack:
            return None
        best_small, best_large = min(best_small, small()), min(best_large, large())
    return (round(best_small, 4), round(best_large, 4)) if best_large > factor * best_small + slack else None


def superlinear_runs(
    call: Callable[[str], object], singles: Iterable[str], quadruples: Iterable[str]
) -> list[tuple[str, tuple[float, float]]]:
    """The start of each text of ``singles`` (white space shown as one space) whose text of
    ``quadruples``, four times its run, costs more than ten times as much, with the costs."""
    return [
        (re.sub(r"\s+", " ", single[:40]), costs)
        for single, quadruple in zip(singles, quadruples, strict=True)
        if (costs := superlinear(call, single, quadruple))
    ]


def matched_all(regex: re.Pattern[str]) -> Callable[[str], object]:
    """A call that runs ``regex`` over a whole text, every match."""
    return lambda text: [None for _ in regex.finditer(text)]


def hostile_texts(
    regex: re.Pattern[str], subject: str, runs: Iterable[str], length: int, *, at_start: bool = False
) -> list[str]:
    """``subject`` cut at each place its match of ``regex`` changes between word and not (and at
    its start, with ``at_start``), a run of ``length`` characters put in there, and a tail that
    makes it fail (or the rest of the match, less its last character)."""
    match = regex.search(subject)
    assert match, (regex.pattern[:60], subject)
    found = subject[match.start() : match.end()]
    cuts = [i for i in range(1, len(found)) if found[i - 1].isalnum() != found[i].isalnum()][:12]
    texts = []
    for cut in [0, *cuts] if at_start else cuts:
        head, rest = subject[: match.start() + cut], found[cut:]
        for run in runs:
            filler = run * (length // len(run))
            texts += [head + filler + tail for tail in (" x", rest[:-1])]
    return texts
