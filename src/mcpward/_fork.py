"""Sharing CPU-bound work between processes with ``fork``, for the walk of large trees.

``fork`` rather than a process pool: the children inherit the loaded modules and the
walker's compiled state, so a worker starts in about a millisecond, where a spawned pool
would import everything again. Where ``fork`` is missing (Windows) the work runs here.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Worker processes for CPU-bound work: the cores, at most four (beyond that the parent's
    merging and the children's start-up eat the gain on the inputs measured)."""
    return min(os.cpu_count() or 1, 4)


def fork_map(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[function(item) for item in items]``, the items after the first in forked children.

    A child that fails, dies or returns something unreadable has its item done again here,
    so the result never depends on a worker succeeding.
    """
    if len(items) <= 1 or not hasattr(os, "fork"):
        return [function(item) for item in items]
    children = [_start(function, item) for item in items[1:]]
    results = [function(items[0])]
    for child, item in zip(children, items[1:], strict=True):
        result = _finish(child)
        results.append(function(item) if result is None else cast(R, result[0]))
    return results


def _start(function: Callable[[T], R], item: T) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, exit without running the parent's cleanup
        status = 1
        try:
            os.close(read_end)
            payload = pickle.dumps(function(item), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _finish(child: tuple[int, int]) -> tuple[object] | None:
    pid, read_end = child
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    try:
        return (pickle.loads(data),)  # noqa: S301 - written by our own forked child
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
        return None
