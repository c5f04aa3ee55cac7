"""Downloading with a size cap, for the few commands that refresh data or fetch packages; and
what every part's client shares: the reading of an HTTP body within a size and a deadline
(:func:`bounded`, :func:`abounded`, :func:`read_bounded`), and the judging of where a request
goes that someone other than the operator chose, a redirect, a document's link or a server's
name looked up again, at every address its connection's lookup answers, connecting only to
those (:func:`refused_redirect`, :class:`ConnectionCheck`, :func:`pin_connections`,
:func:`linked_from`, :class:`FirstSide`)."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import ipaddress
import math
import socket
import sys
import time
import zlib
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar
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
#: Oracle), and Azure's WireServer (a global address only its VMs reach, which hands them their
#: goal state and extension settings); the link-local ones (169.254.169.254 of AWS, Azure,
#: Google...) are refused as such.
_METADATA = frozenset(
    map(ipaddress.ip_address, ("fd00:ec2::254", "100.100.100.200", "192.0.0.192", "168.63.129.16"))
)
#: IPv6 prefixes whose last 32 bits are an IPv4 address that a packet to them reaches: NAT64's
#: well-known one (what DNS64 answers on an IPv6-only network; the translator connects to the
#: IPv4 address), the IPv4-translated and the deprecated IPv4-compatible forms.
_CARRYING_IPV4 = tuple(map(ipaddress.ip_network, ("64:ff9b::/96", "::ffff:0:0/96", "::/96")))
#: NAT64's local-use prefix (RFC 8215), translated into whatever network its operator routes.
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Client = TypeVar("_Client")


class DownloadError(McpwardError):
    """The download failed; the message names the URL and the reason, nothing more."""


class BodyTooLarge(Exception):
    """More of a body came than its limit. ``last``: the chunk that went past it."""

    def __init__(self, limit: int, last: bytes) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit, self.last = limit, last


class BodyTooSlow(Exception):
    """A body was not whole by its deadline."""


#: What mcpward's clients of servers they do not trust ask answers to be encoded in: the HTTP
#: library's own decoders inflate a chunk whole before any bound counts a byte (19 KB of gzip
#: inside gzip made 8 GiB), and it offers zstd too where that package is installed. These two
#: are decoded here a piece at a time (:func:`decoded`); any other is refused.
ACCEPT_ENCODING = "gzip, deflate"
#: The most one step of decoding gives at a time (what a bound may have let past it).
_PIECE = 64 * 1024


class EncodingRefused(Exception):
    """An answer in a content encoding that was not asked for (or one not well formed)."""


def _layers(response: httpx.Response) -> list[int]:
    """zlib's window settings for each of the answer's content encodings, in the order they
    are to be undone (the last applied first)."""
    named = [
        part.strip().lower()
        for part in response.headers.get_list("content-encoding", split_commas=True)
        if part.strip()
    ]
    if len(named) > 4:
        raise EncodingRefused(f"{len(named)} content encodings")
    windows = {"gzip": 16 + 15, "x-gzip": 16 + 15, "deflate": 15}
    layers = []
    for name in reversed(named):
        if name == "identity":
            continue
        if name not in windows:
            raise EncodingRefused(f"content encoding {name[:40]!r} was not asked for")
        layers.append(windows[name])
    return layers


class _Inflating:
    """The answer's layers of gzip or deflate undone as its raw chunks come, giving at most
    ``_PIECE`` bytes at a time (each layer's pieces go through the next)."""

    def __init__(self, windows: list[int]) -> None:
        self._inflaters = [zlib.decompressobj(window) for window in windows]

    def feed(self, data: bytes, depth: int = 0) -> Iterator[bytes]:
        if depth == len(self._inflaters):
            if data:
                yield data
            return
        inflater = self._inflaters[depth]
        try:
            while data and not inflater.eof:
                yield from self.feed(inflater.decompress(data, _PIECE), depth + 1)
                data = inflater.unconsumed_tail
        except zlib.error as exc:
            raise EncodingRefused(f"a body that does not inflate ({exc})") from None

    def end(self) -> Iterator[bytes]:
        """What each layer still holds once the raw body is over."""
        for depth, inflater in enumerate(self._inflaters):
            if not inflater.eof:
                yield from self.feed(inflater.flush(), depth + 1)


def decoded(response: httpx.Response) -> Iterator[bytes]:
    """The answer's body as it was before its content encoding, read undecoded
    (``iter_raw``) and inflated here a piece at a time, so that :func:`bounded` counts what
    memory holds. :class:`EncodingRefused` for an encoding other than gzip, deflate or none."""
    inflating = _Inflating(_layers(response))
    for chunk in response.iter_raw():
        yield from inflating.feed(chunk)
    yield from inflating.end()


async def adecoded(response: httpx.Response) -> AsyncGenerator[bytes, None]:
    """:func:`decoded` for an asynchronous answer."""
    inflating = _Inflating(_layers(response))
    async for chunk in response.aiter_raw():
        for piece in inflating.feed(chunk):
            yield piece
    for piece in inflating.end():
        yield piece


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

    # None: a URL the operator gave, which may be anywhere (a mirror on the company network).
    source: str | None = None
    if named_by is not None:
        # A link is a redirect written into a document: whoever wrote the document (anyone on
        # the path of a plain-http registry) chose where vet goes next, as with a redirect.
        source = _side_of_source(urlsplit(named_by).hostname or "")
        refused = refused_redirect(named_by, url)
        if refused:
            raise DownloadError(f"{url}: linked from {named_by} {refused}; refused")
    give_up = time.monotonic() + deadline
    try:
        # No connection kept for the next request: each one is made, and judged, anew.
        limits = httpx.Limits(max_keepalive_connections=0)
        client = pin_connections(
            httpx.Client(
                timeout=TIMEOUT_SECONDS, follow_redirects=False, limits=limits, mounts=DIRECT_PLAIN_HTTP
            )
        )
        with client:
            request = client.build_request(
                "GET", url, headers={"Accept": "application/json, */*", "Accept-Encoding": ACCEPT_ENCODING}
            )
            for _ in range(MAX_REDIRECTS + 1):
                connection = ConnectionCheck(source, request.url.raw_host.decode("ascii"), request.url.scheme)
                request.extensions = {**request.extensions, "trace": connection}
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
                # The next hop's source is where this one connected (through a proxy, where its
                # name resolves now).
                source = connection.side or _side_of_source(request.url.host)
                refused = _refused_target(source, str(following.url))
                if refused:
                    raise DownloadError(f"{url}: redirected {refused}; refused")
                request = following
            raise DownloadError(f"{url}: more than {MAX_REDIRECTS} redirects")
    except AddressRefused as exc:
        how = "redirected" if named_by is None else f"linked from {named_by}"
        raise DownloadError(f"{url}: {how} {exc}; refused") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: `https://[::1` was exit 70
        raise DownloadError(f"{url}: {type(exc).__name__}") from None


class AddressRefused(McpwardError, ValueError):
    """A request went, or was to go, where it may not (:func:`refused_redirect`,
    :class:`ConnectionCheck`); the message says why. A ``ValueError`` as a client's other
    refusals of a server's answer are."""


class ConnectionCheck:
    """The ``trace`` extension of a request (httpcore's, passed through by httpx: a public API)
    that judges where each connection of the request goes, as a redirect from a ``source`` side
    (:func:`refused_redirect`; None: the operator's own URL, not judged), raising
    :class:`AddressRefused`; ``side``: where it connected. :meth:`asynchronous` is the same for
    an ``httpx.AsyncClient``.

    On a client of :func:`pin_connections`, the request's host is looked up once as the
    connection starts, every address it resolves to is judged, and the connection is made only
    to them (:meth:`judged`): nothing reaches a refused address, not even the TCP handshake,
    and no second lookup can answer otherwise (DNS rebinding). On any client, the address the
    connection reached is judged once TCP connects, before TLS and before a byte of the request
    is sent, the connection closed when it is refused: on a client that is not pinned, the
    handshake has reached it by then (a port probe of this machine's or the network's hosts).
    A connection to another host than the request's is to a proxy, the operator's, whose own
    lookup cannot be seen: the request's host was judged by its addresses before. A connection
    a client kept from an earlier request to the same host is not judged again: it reaches the
    address judged (or, for the operator's URL, reached) when it was made, and no other
    (:func:`download_into` keeps none)."""

    def __init__(self, source: str | None, host: str, scheme: str, first: FirstSide | None = None) -> None:
        self.source, self.host, self.scheme, self.first = source, host, scheme, first
        self.side: str | None = None
        self._to_host = False
        self._pinning: contextvars.Token[ConnectionCheck | None] | None = None

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        refused = self._judge(event, info)
        if refused:
            info["return_value"].close()
            raise AddressRefused(refused)

    async def asynchronous(self, event: str, info: dict[str, Any]) -> None:
        refused = self._judge(event, info)
        if refused:
            await info["return_value"].aclose()
            raise AddressRefused(refused)

    def judged(self, found: Iterable[tuple[Any, ...]]) -> list[str]:
        """The addresses of ``found`` (``getaddrinfo``'s answer for the request's host) that a
        connection may be made to, in its order; :class:`AddressRefused` when any is refused (a
        name that answers loopback beside a public address is not connected to either)."""
        hosts = list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in found))
        for host in hosts:
            refused = _refused(self.source, {_side(_address(host))}, self.scheme) if self.source else None
            if refused:
                raise AddressRefused(refused)
        return hosts

    def _judge(self, event: str, info: dict[str, Any]) -> str | None:
        if event == "connection.connect_tcp.started":
            self._to_host = str(info.get("host", "")).lower() == self.host.lower()
            if self._to_host and self.source:
                # For the client's network backend, which httpcore calls right after this, in
                # the same thread or task (pin_connections).
                self._pinning = _connecting.set(self)
            return None
        if self._pinning is not None and event.startswith("connection.connect_tcp."):
            _connecting.reset(self._pinning)
            self._pinning = None
        if event == "connection.connect_tcp.complete" and self._to_host:
            self.side = _side(_address(info["return_value"].get_extra_info("server_addr")[0]))
            if self.first is not None and self.first.side is None:
                self.first.side = self.side
            return _refused(self.source, {self.side}, self.scheme) if self.source else None
        return None


#: The check of the connection httpcore is about to make in this thread or task, when it judges.
_connecting: contextvars.ContextVar[ConnectionCheck | None] = contextvars.ContextVar(
    "_connecting", default=None
)


def pin_connections(client: _Client) -> _Client:
    """``client`` (httpx's or httpx2's), whose connection for a request with a judging
    :class:`ConnectionCheck` is made only to the addresses the check judged: its host looked up
    once, each address judged, then connected to as an address (each in turn, as a connection
    by name is). TLS still verifies the request's host, which httpcore gives it, not the
    address connected to. Without this, the connection's own lookup was connected to and only
    then judged: the handshake reached a refused address, and the name's DNS could answer that
    lookup otherwise than the check's (DNS rebinding). A client's transport for a proxy is left
    as it is: its connections are to the proxy."""
    # httpx has no public way to give httpcore a network backend; the pool's default one is
    # wrapped. Were it not there (another httpx), the check at the address reached remains.
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is not None and not isinstance(backend, _PinnedBackend):
        asynchronous = inspect.iscoroutinefunction(backend.connect_tcp)
        pool._network_backend = (_AsyncPinnedBackend if asynchronous else _PinnedBackend)(backend)  # type: ignore[union-attr]
    return client


class _PinnedBackend:
    """A network backend of httpcore (or httpcore2) around its own, for :func:`pin_connections`."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        # The library's own connection errors, so that httpx reports a failed one as it would.
        core = sys.modules[type(inner).__module__.partition(".")[0]]
        self._failed: tuple[type[Exception], ...] = (core.ConnectError, core.ConnectTimeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def connect_tcp(self, host: str, port: int, **options: Any) -> Any:
        check = _connecting.get()
        if check is None or host.lower() != check.host.lower():
            return self._inner.connect_tcp(host, port, **options)
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise self._failed[0](str(exc)) from None
        failure: Exception = self._failed[0](f"{host}: no address")
        for address in check.judged(found):
            try:
                return self._inner.connect_tcp(address, port, **options)
            except self._failed as exc:
                failure = exc
        raise failure


class _AsyncPinnedBackend(_PinnedBackend):
    """:class:`_PinnedBackend` for an asynchronous client."""

    async def connect_tcp(self, host: str, port: int, **options: Any) -> Any:
        import anyio

        check = _connecting.get()
        if check is None or host.lower() != check.host.lower():
            return await self._inner.connect_tcp(host, port, **options)
        try:
            # Within the connection's timeout, as anyio's lookup of a name it connects to is.
            with anyio.fail_after(options.get("timeout")):
                found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise self._failed[1](f"{host}: no answer to its lookup") from None
        except (OSError, UnicodeError) as exc:
            raise self._failed[0](str(exc)) from None
        failure: Exception = self._failed[0](f"{host}: no address")
        for address in check.judged(found):
            try:
                return await self._inner.connect_tcp(address, port, **options)
            except self._failed as exc:
                failure = exc
        raise failure


class FirstSide:
    """Where a client's first connection to a server reached (a URL the operator gave: not
    judged), each later connection judged as a redirect from there (:class:`ConnectionCheck`):
    the server's name may answer a later lookup with loopback or the network behind the machine
    (DNS rebinding) when a connection is made again, and the requests meant for the server, with
    their credentials, went to whatever listened there."""

    def __init__(self) -> None:
        self.side: str | None = None

    def check(self, url: Any) -> ConnectionCheck:
        """The check of a request to ``url`` (an ``httpx.URL``)."""
        return ConnectionCheck(self.side, url.raw_host.decode("ascii"), url.scheme, self)


def linked_from(document: str, url: str, *, asynchronous: bool = False) -> dict[str, Any]:
    """The extensions of a request to ``url``, a link in the document at the URL ``document``
    (an identity provider's metadata naming its key set or token endpoint), judged as
    :func:`download_into` judges a registry document's links: :class:`AddressRefused` now when
    its host's addresses are refused, and at the connection when an address it would reach is
    (connected only to judged ones on a client of :func:`pin_connections`)."""
    import httpx

    refused = refused_redirect(document, url)
    if refused:
        raise AddressRefused(f"{url}: linked from {document} {refused}; refused")
    try:
        host = httpx.URL(url).raw_host.decode("ascii")
    except httpx.InvalidURL:
        raise AddressRefused(f"{url}: not a URL") from None
    check = ConnectionCheck(_side_of_source(urlsplit(document).hostname or ""), host, urlsplit(url).scheme)
    return {"trace": check.asynchronous if asynchronous else check}


async def alinked_from(document: str, url: str, *, timeout: float) -> dict[str, Any]:
    """:func:`linked_from` for an asynchronous client, its hosts looked up in a thread and within
    ``timeout`` seconds (:class:`AddressRefused` after): looked up in the event loop's own, a
    link's DNS that answered slowly on purpose held every other task of the loop (each client
    and session of the gateway) for as long as it took. The connection's lookup is the pinned
    one (:func:`pin_connections`), off the loop too."""
    try:
        async with asyncio.timeout(timeout):
            return await asyncio.to_thread(linked_from, document, url, asynchronous=True)
    except TimeoutError:
        raise AddressRefused(f"{url}: linked from {document}: its lookup took over {timeout:g} s") from None


#: Every client's ``mounts``: plain http goes straight to its host, never through a proxy the
#: environment names (``HTTP_PROXY``, ``ALL_PROXY``). mcpward takes plain http only from this
#: machine (``tls_or_loopback``), and a proxy on the way read its tokens in clear and answered
#: for the service (the registry's approvals, an issuer's keys). Over https a proxy carries
#: only the TLS, and is used as the environment says. (``None``: the client's own transport.)
DIRECT_PLAIN_HTTP: dict[str, None] = {"http://": None}


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
    address, none goes from the network onto loopback, none from the public network to a private
    one (a public registry's document does not send vet into the company's network; a mirror on
    it may send vet anywhere but loopback), and none from loopback to the network but over
    https. ``target``'s host is judged by every address it resolves to (a name, or
    ``2852039166`` for 169.254.169.254), ``source``'s by where they lie (on loopback if any is,
    private if all are); :class:`ConnectionCheck` judges the addresses then connected to, which
    a name's DNS may answer otherwise (rebinding)."""
    return _refused_target(_side_of_source(urlsplit(source).hostname or ""), target)


def _refused_target(source: str, target: str) -> str | None:
    """:func:`refused_redirect` from a source on the side ``source`` (:func:`_side`)."""
    parts = urlsplit(target)
    host = parts.hostname or ""
    sides = {_side(a) for a in _addresses_of(host)} | ({"loopback"} if is_loopback(host) else set())
    return _refused(source, sides, parts.scheme.lower())


def _refused(source: str, target: set[str], scheme: str) -> str | None:
    """Why a download is not sent from the side ``source`` to a host on the sides ``target``."""
    if "metadata" in target:
        return "to a link-local or cloud metadata address"
    if "loopback" in target and source != "loopback":
        return "onto loopback"
    if source == "loopback" and "loopback" not in target and scheme != "https":
        return "off loopback to plain http"
    if source == "network" and "private" in target:
        return "from the network to a private address"
    return None


def address_side(text: str) -> str:
    """Where the address ``text`` lies (:func:`_side`), an IPv6 form carrying an IPv4 address
    judged as that address."""
    return _side(_address(text))


def _side(address: _Address) -> str:
    """Where ``address`` lies: "metadata" (link-local, or a cloud's metadata service),
    "loopback" (this machine; the unspecified address connects to it too), "network" (globally
    reachable) or "private": any other, not reachable from the internet, so a company's or a
    cloud's network behind the machine (RFC 1918's ranges, fc00::/7, 100.64.0.0/10 of carriers
    and clouds, and the reserved ones IANA lists as not global)."""
    if address.is_link_local or address in _METADATA:
        return "metadata"
    if address.is_loopback or address.is_unspecified:
        return "loopback"
    return "network" if address.is_global and address not in _NAT64_LOCAL else "private"


def _side_of_source(host: str) -> str:
    """The side of a source known only by its ``host``: loopback if it is or resolves there,
    private if every address is (a name that does not resolve is on the network)."""
    sides = {_side(a) for a in _addresses_of(host)}
    if is_loopback(host) or "loopback" in sides:
        return "loopback"
    return "private" if sides and sides <= {"private", "metadata"} else "network"


def _addresses_of(host: str) -> list[_Address]:
    """The addresses ``host`` resolves to (none when it does not)."""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [_address(sockaddr[0]) for *_, sockaddr in found]


def _address(text: object) -> _Address:
    """An address of a socket, an IPv6 one that carries an IPv4 address as that address:
    ``::ffff:169.254.169.254``, NAT64's ``64:ff9b::10.0.0.5``, 6to4's ``2002:a00:5::``, the
    deprecated ``::10.0.0.5``. Judged as IPv6 addresses, which Python calls globally reachable,
    they sent a download from the network to the private or metadata address they carry."""
    address = ipaddress.ip_address(str(text).partition("%")[0])
    if not isinstance(address, ipaddress.IPv6Address) or address.is_loopback or address.is_unspecified:
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in prefix for prefix in _CARRYING_IPV4):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


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
        for chunk in bounded(decoded(response), limit, give_up=give_up):
            sink(chunk)
    except BodyTooLarge:
        raise DownloadError(f"{url}: larger than {limit} bytes") from None
    except BodyTooSlow:
        raise DownloadError(f"{url}: took too long") from None
    except EncodingRefused as exc:
        raise DownloadError(f"{url}: {exc}; refused") from None
