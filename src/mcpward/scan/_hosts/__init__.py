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


def host(host_id: str) -> HostApp:
    """The host application whose id is ``host_id`` (KeyError for an unknown one)."""
    for candidate in all_hosts():
        if candidate.id == host_id:
            return candidate
    raise KeyError(host_id)
