"""One module per family of config risks, each defining a :class:`ConfigCheck`; found by
listing the package, so adding a check means adding a file."""

from __future__ import annotations

from functools import cache

from mcpward._plugins import implementations
from mcpward.scan.interface import ConfigCheck


@cache
def all_checks() -> tuple[ConfigCheck, ...]:
    return tuple(sorted(implementations(__name__, __path__, ConfigCheck), key=lambda c: c.category))
