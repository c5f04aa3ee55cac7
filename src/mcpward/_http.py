"""Downloading with a size cap, for the few commands that refresh data or fetch packages; and
the reading of an HTTP body within a size and a deadline that every part's client shares
(:func:`bounded`, :func:`abounded`, :func:`read_bounded`)."""

from __future__ import annotations

import ipaddress
import math
import socket
import time
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mcpward._addresses import is_loopback, is_this_machine
from mcpward.errors import McpwardError

if TYPE_CHECKING:
    import httpx

TIMEOUT_SECONDS = 60.0
#: The whole download's bound: the timeout bounds each read, so a source that dripped a byte at
#: a time held vet or a refresh for as long as it liked.
DEADLINE_SECONDS = 600.0
MAX_REDIRECTS = 10
#: Cloud instance metadata services outside the link-local ranges (AWS over IPv6, Alibaba,
#: Oracle); the link-local ones (169.254.169.254 of AWS, Azure, Google...) are refused as such.
_METADATA = frozenset(map(ipaddress.ip_address, ("fd00:ec2::254", "100.100.100.200", "192.0.0.192")))


class DownloadError(McpwardError):
    """The download failed; the message names the URL and the reason, nothing more."""


class BodyTooLarge(Exception):
    """More of a body came than its limit. ``last``: the chunk that went past it."""

    def __init__(self, limit: int, last: bytes) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit, self.last = limit, last


class BodyTooSlow(Exception):
    """A body was not whole by its deadline."""


def bounded(chunks: Iterable[bytes], limit: int, *, give_up: float = math.inf) -> Iterator[bytes]:
    """The chunks of a body, with :class:`BodyTooLarge` once more than ``limit`` bytes came
    (that chunk not given) and :class:`BodyTooSlow` once ``time.monotonic()`` is past
    ``give_up``. mcpward's clients of servers it does not trust read their answers through
    this: a timeout bounds each read, not the whole, so an endless body filled memory and a
    drip of a byte at a time held the command for ever."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge(limit, chunk)
        if time.monotonic() > give_up:
            raise BodyTooSlow()
        yield chunk


async def abounded(
    chunks: AsyncIterable[bytes], limit: int, *, give_up: float = math.inf
) -> AsyncGenerator[bytes, None]:
    """:func:`bounded` for an asynchronous body."""
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge(limit, chunk)
        if time.monotonic() > give_up:
            raise BodyTooSlow()
        yield chunk


def read_bounded(
    chunks: Iterable[bytes], limit: int, *, give_up: float = math.inf, keep_start: bool = False
) -> bytes:
    """A whole body through :func:`bounded`; with ``keep_start``, one past ``limit`` is its first
    ``limit`` bytes instead of :class:`BodyTooLarge` (a refusal, whose start says enough)."""
    body = bytearray()
    try:
        for chunk in bounded(chunks, limit, give_up=give_up):
            body += chunk
    except BodyTooLarge as exc:
        if not keep_start:
            raise
        body += exc.last[: limit - len(body)]
    return bytes(body)


def download(
    url: str, limit: int, *, deadline: float = DEADLINE_SECONDS, named_by: str | None = None
) -> bytes:
    """The body at ``url``, refusing more than ``limit`` bytes; a 404 says "not found"."""
    chunks: list[bytes] = []
    download_into(url, limit, chunks.append, deadline=deadline, named_by=named_by)
    return b"".join(chunks)


def download_into(
    url: str,
    limit: int,
    sink: Callable[[bytes], object],
    *,
    deadline: float = DEADLINE_SECONDS,
    named_by: str | None = None,
) -> None:
    """The body at ``url`` given to ``sink`` chunk by chunk (a file: a large export is not held
    in memory), refusing more than ``limit`` bytes; ``sink`` may raise to stop early.
    ``named_by``: the URL of the document that linked ``url`` (a registry's archive link),
    judged as a redirect from it would be (:func:`refused_redirect`)."""
    import httpx

    if named_by is not None:
        # A link is a redirect written into a document: whoever wrote the document (anyone on
        # the path of a plain-http registry) chose where vet goes next, as with a redirect.
        refused = refused_redirect(named_by, url)
        if refused:
            raise DownloadError(f"{url}: linked from {named_by} {refused}; refused")
    give_up = time.monotonic() + deadline
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            request = client.build_request("GET", url, headers={"Accept": "application/json, */*"})
            for _ in range(MAX_REDIRECTS + 1):
                response = client.send(request, stream=True)
                try:
                    following = response.next_request
                    if following is None:
                        _body(url, response, limit, give_up, sink)
                        return
                finally:
                    response.close()
                # Redirects are followed one by one so that none leaves https for plain http:
                # an https-only source (advisories) was read from a cleartext answer anyone on
                # the path could rewrite.
                if request.url.scheme == "https" and following.url.scheme != "https":
                    raise DownloadError(f"{url}: redirected to plain http; refused")
                refused = refused_redirect(str(request.url), str(following.url))
                if refused:
                    raise DownloadError(f"{url}: redirected {refused}; refused")
                request = following
            raise DownloadError(f"{url}: more than {MAX_REDIRECTS} redirects")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: `https://[::1` was exit 70
        raise DownloadError(f"{url}: {type(exc).__name__}") from None


def tls_or_loopback(url: str) -> bool:
    """Whether ``url`` is https, or plain http to this machine: where mcpward takes keys, tokens
    or sign-ins from, nobody on the path may read or write them."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme == "https" or (scheme == "http" and is_this_machine(parts.hostname))


def refused_redirect(source: str, target: str) -> str | None:
    """Why a redirect (or a document's link) from the URL ``source`` to the URL ``target`` is
    not followed (None: it is). A source anyone on the path can answer (plain http, which vet
    and the official-package data accept anywhere) could send the download to a cloud's metadata
    service, whose answer holds the machine's credentials, or to the machine's own local
    services; and loopback is trusted for being this machine: a plain-http source there (allowed
    for advisories) that sent the download to plain http on the network had a cleartext answer
    anyone on that path could write read as its own. So none reaches a link-local or metadata
    address, none goes from the network onto loopback, and none from loopback to the network but
    over https. ``target``'s host is judged by every address it resolves to (a name, or
    ``2852039166`` for 169.254.169.254); a name that resolves to another address when it is
    connected to (DNS rebinding) is not caught."""
    source_host, parts = urlsplit(source).hostname or "", urlsplit(target)
    host = parts.hostname or ""
    addresses = _addresses_of(host)
    if any(address.is_link_local or address in _METADATA for address in addresses):
        return "to a link-local or cloud metadata address"
    local, from_local = _on_loopback(host, addresses), _on_loopback(source_host, _addresses_of(source_host))
    if local and not from_local:
        return "onto loopback"
    if from_local and not local and parts.scheme.lower() != "https":
        return "off loopback to plain http"
    return None


def _on_loopback(host: str, addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> bool:
    """Whether ``host`` (with ``addresses``, what it resolves to) reaches this machine itself:
    a loopback name or address, or the unspecified one (``0.0.0.0`` connects to this machine)."""
    return is_loopback(host) or any(a.is_loopback or a.is_unspecified for a in addresses)


def _addresses_of(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses ``host`` resolves to (none when it does not), an IPv4 address in IPv6
    (``::ffff:169.254.169.254``) as itself."""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    addresses = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        addresses.append(address)
    return addresses


def _body(
    url: str, response: httpx.Response, limit: int, give_up: float, sink: Callable[[bytes], object]
) -> None:
    if response.status_code == 404:
        raise DownloadError(f"not found: {url}")
    response.raise_for_status()
    # Refused before a byte of it is read when the answer says its size (an uncompressed one).
    claimed = response.headers.get("Content-Length", "")
    if claimed.isdigit() and "Content-Encoding" not in response.headers and int(claimed) > limit:
        raise DownloadError(f"{url}: larger than {limit} bytes")
    try:
        for chunk in bounded(response.iter_bytes(), limit, give_up=give_up):
            sink(chunk)
    except BodyTooLarge:
        raise DownloadError(f"{url}: larger than {limit} bytes") from None
    except BodyTooSlow:
        raise DownloadError(f"{url}: took too long") from None
