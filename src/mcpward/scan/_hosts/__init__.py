"""One module per host application. Every public module here defines one :class:`HostApp`;
they are found by listing the package, so adding a host means adding a file."""

from __future__ import annotations

from functools import cache

from mcpward._plugins import implementations
from mcpward.scan.interface import HostApp


@cache
def all_hosts() -> tuple[HostApp, ...]:
    return tuple(sorted(implementations(__name__, __path__, HostApp), key=lambda h: h.id))


def host_ids() -> tuple[str, ...]:
    return tuple(h.id for h in all_hosts())
