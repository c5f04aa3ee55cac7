"""One module per family of poisoning signs, each a :class:`Detector`."""

from __future__ import annotations

from functools import cache

from mcpward._plugins import implementations
from mcpward.inspect.interface import Detector


@cache
def all_detectors() -> tuple[Detector, ...]:
    return tuple(sorted(implementations(__name__, __path__, Detector), key=lambda d: d.category))
