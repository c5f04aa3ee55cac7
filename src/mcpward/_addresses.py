"""Where a value points: e-mail addresses and URL hosts in free text. Shared by the gateway's
baseline (which learns them from tool arguments) and outbound inspection (which compares what a
server sends with what its call named)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from mcpward._regex import compiled

EMAIL = compiled(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
#: :data:`EMAIL` tried only where a run of its first characters starts. Every start inside one
#: run reaches the same ``@`` (or fails the same way), so the run's first start answers for the
#: rest; tried from each, a long word without an address cost the square of its length (40,000
#: letters and an ``@``: 2.7 s).
_EMAIL_AT_RUN = compiled(r"(?<![\w.+-])[\w.+-]++@([\w-]++(?:\.[\w-]++)+)")
URL = compiled(r"\bhttps?://[^\s\"'<>]+", re.IGNORECASE)
#: Long strings are searched in their first part only (the searches cost 0.1 ms per 4 KB).
_TEXT_LIMIT = 100_000


def emails(text: str) -> Iterator[str]:
    """Each address in ``text``, lower-cased."""
    if "@" in text:
        for match in _email_matches(text[:_TEXT_LIMIT]):
            yield match.group(0).lower().strip(".")


def _email_matches(text: str) -> Iterator[re.Match[str]]:
    """What ``EMAIL.finditer(text)`` finds, in linear time: where a search resumes (just after
    an address) it may be inside a run, so that one place is tried with :data:`EMAIL`."""
    position = 0
    while (match := EMAIL.match(text, position) or _EMAIL_AT_RUN.search(text, position)) is not None:
        yield match
        position = match.end()


def url_hosts(text: str) -> Iterator[str]:
    if "://" in text:
        for match in URL.finditer(text[:_TEXT_LIMIT]):
            try:
                host = urlsplit(match.group(0)).hostname
            except ValueError:  # a malformed port or IPv6 literal
                continue
            if host:
                yield host.lower()


def destinations(value: Any, depth: int = 0) -> Iterator[str]:
    """Recipient domains and URL hosts anywhere in a JSON value."""
    if depth > 20:
        return
    if isinstance(value, str):
        for address in emails(value):
            yield address.rpartition("@")[2]
        yield from url_hosts(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from destinations(item, depth + 1)
    elif isinstance(value, list):
        for item in value[:1000]:
            yield from destinations(item, depth + 1)


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a URL's host: a name, an address, an IPv6 address in brackets) is this
    machine's loopback, which no one on the network can see or change."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_this_machine(host: str | None) -> bool:
    """Whether ``host`` is this machine however it is resolved: a loopback address, or
    ``localhost`` itself. Where plain http is trusted for it (a token sent, keys or advisories
    taken), a name under ``.localhost`` is not: glibc's resolver asks the DNS for it, and
    whoever answers (anyone on the path of the query) would get the token in clear."""
    return is_loopback(host) and not str(host).strip("[]").lower().endswith(".localhost")


#: Where Linux lists its TCP sockets, each with its owner's uid (the eighth column).
_SOCKET_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
_LISTENING = "0A"


def listening_accounts(port: int) -> set[int]:
    """The accounts (uids) with a TCP socket listening on ``port`` here, at any address; empty
    where the system does not list them (not Linux)."""
    holders: set[int] = set()
    for table in _SOCKET_TABLES:
        try:
            with open(table, encoding="ascii") as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 7 and fields[3] == _LISTENING and int(fields[1].rsplit(":", 1)[1], 16) == port:
                holders.add(int(fields[7]))
    return holders


#: The first uid of the accounts of people (Linux's default), as the agent's homes are found.
_FIRST_USER_UID = 1000


def others_listening(url: str) -> list[int]:
    """For a plain-http URL on this machine: the accounts of people (uid 1000 and up) other than
    this one that listen on its port. Any of them could have taken an unprivileged port before
    the tunnel or proxy meant to hold it, would be sent what goes there in clear and answer as
    it; root and the system's own accounts (a tunnel's, a registry service's) are the admin's."""
    if not hasattr(os, "geteuid"):
        return []  # no owner to look up
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() != "http" or not is_this_machine(parts.hostname):
            return []  # https: the certificate says who answers
        port = parts.port or 80
    except ValueError:  # not a URL (`http://[::1`) or not a port: the client refuses it itself
        return []
    return sorted(uid for uid in listening_accounts(port) if uid >= _FIRST_USER_UID and uid != os.geteuid())


def held_by_another(url: str) -> str | None:
    """Why nothing may be sent to or taken from ``url``: its plain-http port on this machine is
    held by another person's account (:func:`others_listening`); None when it is not."""
    others = others_listening(url)
    if not others:
        return None
    return f"its port on this machine is held by another account (uid {', '.join(map(str, others))})"
