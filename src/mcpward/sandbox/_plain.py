"""Plain-HTTP requests through the egress proxy (``GET http://host/path HTTP/1.1``).

Every request on a client connection is read with h11 and stands on its own: its destination
is taken from its absolute-form target, its Host header must name the same site, it is checked
against the allow list and recorded, and only then sent, re-framed by h11, to that destination.
Nothing the client sends is passed on unparsed: a second request kept alive or pipelined behind
the first, a Host header naming another virtual host of an allowed address, or a body whose
length is stated two ways (Content-Length and Transfer-Encoding) cannot reach an upstream
unchecked. A protocol upgrade is refused here (after it the bytes are no longer HTTP and could
not be checked); WebSocket and the like go through ``CONNECT``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import h11

from mcpward._http import AddressRefused
from mcpward.sandbox._interception import (
    TWO_LENGTHS,
    _next,
    _origin,
    _path,
    _refuse,
    _upgrade,
    _Upstream,
    authority_site,
    two_lengths,
)

if TYPE_CHECKING:
    import asyncio

    from mcpward.sandbox._proxy import EgressProxy

#: A request line and headers larger than this are refused (h11 stops reading there).
HEAD_LIMIT = 16 * 1024
_NOT_LISTED = "not in the sandbox profile's network allow list"


async def plain_requests(
    proxy: EgressProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
) -> None:
    """The requests of one plain-HTTP client connection, ``head`` being what was read of it."""
    client = h11.Connection(h11.SERVER, max_incomplete_event_size=HEAD_LIMIT)
    client.receive_data(head)
    upstream: _Upstream | None = None
    upstream_site: tuple[str, int] | None = None
    record: dict[str, Any] = {"method": "HTTP", "host": "", "port": 0}
    try:
        while True:
            event = await _next(client, reader)
            if not isinstance(event, h11.Request):
                return  # the end of the stream, or the client closed
            method = event.method.decode("latin-1").upper()
            destination = _destination(event)
            if isinstance(destination, str):
                proxy.refused({**record, "method": method, "decision": "block", "reason": destination})
                await _refuse(client, writer, [destination], status=400)
                return
            host, port = destination
            record = {"method": method, "host": host, "port": port}
            refusal = _unframeable(event)
            if refusal:
                proxy.refused({**record, "path": _path(event.target), "decision": "block", "reason": refusal})
                await _refuse(client, writer, [refusal], status=400)
                return
            if not proxy.rules.allows(host, port):
                proxy.refused(
                    {**record, "path": _path(event.target), "decision": "block", "reason": _NOT_LISTED}
                )
                await _refuse(client, writer, [_NOT_LISTED])
                return
            if upstream is not None and upstream_site != (host, port):
                upstream.close()  # a connection to one site never carries a request for another
                upstream = None
            upstream_site = (host, port)
            try:
                address = await proxy.destination(host, port)
            except AddressRefused as exc:
                proxy.refused(
                    {**record, "path": _path(event.target), "decision": "block", "reason": str(exc)}
                )
                await _refuse(client, writer, [str(exc)])
                return
            inspection = proxy.inspection
            if inspection is not None and inspection.rules.covers(host, port):
                upstream, go_on = await inspection.exchange(
                    client, reader, writer, event, record, address, upstream, tls=False
                )
            else:
                upstream, go_on = await _forward(
                    proxy, client, reader, writer, event, record, address, upstream
                )
            if not go_on:
                return
    except (h11.ProtocolError, ConnectionError, TimeoutError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
        if client.their_state is h11.ERROR:  # the client's bytes were not one well-framed request
            reason = f"a malformed HTTP request: {error}"
            proxy.refused({**record, "decision": "block", "reason": reason})
            await _refuse(client, writer, ["a malformed HTTP request"], status=400)
        elif client.their_state is not h11.IDLE:
            # A request under way failed. Between two requests (the client reset the connection
            # it kept alive) there is nothing to record: the last one is recorded already.
            proxy.report({**record, "decision": "allow", "error": error})
    finally:
        if upstream is not None:
            upstream.close()
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


async def _forward(
    proxy: EgressProxy,
    client: h11.Connection,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    event: h11.Request,
    record: dict[str, Any],
    address: tuple[str, int],
    upstream: _Upstream | None,
) -> tuple[_Upstream | None, bool]:
    """One allowed, uninspected request sent on (its body streamed) and its answer passed back.
    Returns the upstream connection still open and whether the client's may carry another."""
    request_record = {**record, "path": _path(event.target)}
    if upstream is None:
        try:
            upstream = await _Upstream.open(address, record["host"], None)
        except (OSError, TimeoutError) as exc:
            await _refuse(client, writer, [f"upstream: {type(exc).__name__}"], status=502)
            proxy.report({**request_record, "decision": "allow", "error": type(exc).__name__})
            return None, False
    sent = await upstream.send(_with_host(event, record), b"", False, target=_origin(event.target))
    sent += await upstream.stream_rest(client, reader)
    received, status = await upstream.answer(client, writer)
    proxy.report(
        {**request_record, "decision": "allow", "sent": sent, "received": received, "status": status}
    )
    if client.our_state is not h11.DONE or client.their_state is not h11.DONE:
        return upstream, False
    if not upstream.reusable():
        upstream.close()
        upstream = None
    client.start_next_cycle()
    return upstream, True


def _destination(event: h11.Request) -> tuple[str, int] | str:
    """The host and port a request is for, or why it is refused."""
    if event.http_version not in (b"1.0", b"1.1"):
        return "not HTTP/1.x"
    target = urlsplit(event.target.decode("latin-1"))
    if target.scheme.lower() != "http" or not target.netloc:
        return (
            "a plain-HTTP proxy request names its destination in full (http://host/path); "
            "HTTPS goes through CONNECT"
        )
    site = _site(target.netloc)
    if site is None:
        return "the request target's host or port is not valid"
    for name, value in event.headers:  # h11 lower-cases names and allows one Host header
        if name == b"host" and _site(value.decode("latin-1").strip()) != site:
            return "the Host header names another site than the request target"
    return site


def _unframeable(event: h11.Request) -> str:
    """Why a request to an allowed site is still refused, or "" if it is not."""
    if two_lengths(event):
        return TWO_LENGTHS
    if _upgrade(event):
        return "a protocol upgrade is not proxied over plain HTTP (use CONNECT)"
    return ""


def _site(authority: str) -> tuple[str, int] | None:
    """``host[:port]`` as a lower-case host and a port (80 by default); None if not one."""
    return authority_site(authority, 80)


def _with_host(event: h11.Request, record: dict[str, Any]) -> h11.Request:
    """The request with a Host header (an HTTP/1.0 client may leave it out; upstream it is
    sent as HTTP/1.1, which requires one)."""
    if any(name == b"host" for name, _ in event.headers):
        return event
    host = f"[{record['host']}]" if ":" in record["host"] else record["host"]
    authority = host if record["port"] == 80 else f"{host}:{record['port']}"
    headers = [*event.headers.raw_items(), (b"Host", authority.encode("latin-1"))]
    return h11.Request(method=event.method, target=event.target, headers=headers)
