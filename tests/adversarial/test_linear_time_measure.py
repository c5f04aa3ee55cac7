"""The linear-time tests' measure must itself tell: a quadratic call is said to be, however the
pair is timed, and a linear one is not."""

from __future__ import annotations

from linear_time import costs_superlinear, superlinear


def _quadratic(text: str) -> object:
    return sum(text.count(text[i]) for i in range(0, len(text), 2))


def _linear(text: str) -> object:
    return sum(map(ord, text))


def test_a_quadratic_call_is_said_to_be_superlinear() -> None:
    # Runs long enough that the bound's slack (10 ms) is small beside them: at 3,000 and 12,000
    # characters (2 and 27 ms) it was not, and the pair passed for linear now and then.
    assert superlinear(_quadratic, "ab" * 3_000, "ab" * 12_000) is not None


def test_a_linear_call_is_not() -> None:
    assert superlinear(_linear, "ab" * 50_000, "ab" * 200_000) is None


def test_a_pair_that_looks_over_the_bound_is_timed_again_before_it_is_said_to_be() -> None:
    # One slow large run (the machine's other work) is not enough.
    larges = iter([2.0, 0.3, 0.3])
    assert costs_superlinear(lambda: 0.1, lambda: next(larges)) is None
    larges = iter([2.0, 2.0, 2.0])
    assert costs_superlinear(lambda: 0.1, lambda: next(larges)) == (0.1, 2.0)
