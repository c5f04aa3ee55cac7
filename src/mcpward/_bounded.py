"""Tables of bounded size: per caller, per token, per package. Each entry set or used is moved to
the end, and past the bound the least recently used ones are forgotten first, so that whoever
makes up new keys without end (addresses, tokens, client ids) costs the process a bounded amount."""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


def keep_recent(table: OrderedDict[_K, _V], key: _K, value: _V, bound: int) -> None:
    """``table[key] = value``, as the most recently used, the least recent dropped past ``bound``."""
    table[key] = value
    table.move_to_end(key)
    while len(table) > bound:
        table.popitem(last=False)
