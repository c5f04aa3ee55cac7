"""Outbound inspection in the egress proxy: TLS terminated with the gateway's authority, each
HTTP/1.1 request read whole (bounded), judged against the tool call in flight, then sent on,
rewritten or refused; every request recorded with the call it belongs to.

What cannot be read is reported as such and follows the profile's ``uninspectable`` policy: a
client that refuses the certificate (a pinned one), a protocol other than HTTP/1.x (HTTP/2
despite ALPN offering HTTP/1.1 only, WebSocket after an upgrade), an encoding other than gzip
or deflate, a body over the size limit. With ``allow`` such traffic passes with a record (a
host whose client refused the certificate is tunnelled, not intercepted, from then on); with
``block`` it is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import h11
import orjson

from mcpward.dlp import redact_command_line
from mcpward.dlp.policy import strongest_severity
from mcpward.sandbox._authority import CertificateAuthority
from mcpward.sandbox._calls import CallTracker, InFlightCall
from mcpward.sandbox._outbound import Judgement, OutboundInspector, OutboundRequest, Uninspectable
from mcpward.sandbox._proxy import pipe
from mcpward.sandbox.interface import InspectionRules

_READ = 65536
_TIMEOUT = 60


@dataclass
class Interception:
    authority: CertificateAuthority
    inspector: OutboundInspector
    calls: CallTracker
    #: Verifies upstream servers (the system's authorities, and the profile's extra ones).
    upstream: ssl.SSLContext
    report: Any
    #: Hosts whose client refused the inspection certificate: tunnelled from then on.
    pinned: set[str] = field(default_factory=set)

    @property
    def rules(self) -> InspectionRules:
        return self.inspector.rules

    async def tunnel(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: dict[str, Any],
        address: tuple[str, int],
    ) -> None:
        """A ``CONNECT`` to an inspected host: TLS with a certificate for it, then requests."""
        host = record["host"]
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        if host in self.pinned:
            await self._raw(reader, writer, record, address, b"", why="its client refused the certificate")
            return
        try:
            await asyncio.wait_for(writer.start_tls(self.authority.server_context(host)), _TIMEOUT)
        except (ssl.SSLError, ConnectionError, TimeoutError, OSError) as exc:
            action = self.rules.uninspectable
            if action == "allow":
                self.pinned.add(host)
            self.report({
                **record, "decision": action, "inspected": False,
                "reason": "the server's client refused the inspection certificate (a pinned certificate, or "
                f"a client that ignores SSL_CERT_FILE and NODE_EXTRA_CA_CERTS): {type(exc).__name__}; "
                + ("later connections to this host are tunnelled uninspected" if action == "allow" else
                   "refused by the profile's uninspectable policy"),
            })  # fmt: skip
            writer.close()
            return
        await self.exchanges(reader, writer, record, address, tls=True)

    async def exchanges(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: dict[str, Any],
        address: tuple[str, int],
        *,
        tls: bool,
    ) -> None:
        """HTTP/1.x requests on one client connection, each judged before it goes upstream
        (a plain-HTTP connection is read by ``_plain.py``, which calls :meth:`exchange`)."""
        client = h11.Connection(h11.SERVER)
        upstream: _Upstream | None = None
        try:
            while True:
                event = await _next(client, reader)
                if not isinstance(event, h11.Request):
                    return  # the end of the stream, or the client closed
                if event.http_version not in (b"1.0", b"1.1") or event.method == b"PRI":
                    if upstream is None:  # the connection's first request: replay it as it came
                        first = _head(event) + client.trailing_data[0]
                        why = "not HTTP/1.x (HTTP/2, or another protocol)"
                        await self._raw(reader, writer, record, address, first, why=why, tls=tls)
                    return
                if _upgrade(event):
                    request_record = {**record, "method": event.method.decode("latin-1"),
                                      "path": _path(event.target)}  # fmt: skip
                    await self._upgrade(reader, writer, client, event, request_record, address, tls=tls)
                    return
                upstream, go_on = await self.exchange(
                    client, reader, writer, event, record, address, upstream, tls=tls
                )
                if not go_on:
                    return
        except (h11.ProtocolError, ConnectionError, TimeoutError, OSError) as exc:
            self.report({**record, "decision": "allow", "error": f"{type(exc).__name__}: {exc}"[:200]})
        finally:
            if upstream is not None:
                upstream.close()
            with contextlib.suppress(ConnectionError, OSError):
                writer.close()

    async def exchange(
        self,
        client: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        event: h11.Request,
        record: dict[str, Any],
        address: tuple[str, int],
        upstream: _Upstream | None,
        *,
        tls: bool,
    ) -> tuple[_Upstream | None, bool]:
        """One request, already read up to its body, for ``record``'s host at ``address``:
        judged, then sent on (over ``upstream`` if open) or refused. Returns the upstream
        connection still open and whether the client's connection may carry another request."""
        request_record = {**record, "method": event.method.decode("latin-1"), "path": _path(event.target)}
        if tls and not names_only(event, record["host"], record["port"]):
            # Inside a tunnel the request's Host header is what a shared front end (a CDN) routes
            # by: another name there reached another site at the allowed address, unjudged.
            self.report({**request_record, "decision": "block", "reason": ANOTHER_SITE})
            await _refuse(client, writer, [ANOTHER_SITE], status=400)
            return upstream, False
        if two_lengths(event):
            self.report({**request_record, "decision": "block", "reason": TWO_LENGTHS})
            await _refuse(client, writer, [TWO_LENGTHS], status=400)
            return upstream, False
        body, complete = await _body(client, reader, self.inspector.max_body)
        calls = self.calls.in_flight()
        request = OutboundRequest(
            method=event.method.decode("latin-1"),
            host=record["host"],
            port=record["port"],
            target=_origin(event.target),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers),
            body=body,
        )
        request_record["calls"] = [call.reference() for call in calls]
        judgement, inspected = self._judge(request, calls, complete)
        events = judgement.events
        request_record.update(inspected=inspected, events=events)
        if judgement.action == "block":
            reasons = _blocking(events)
            # Recorded, and the calls failed, before the client hears of it: neither the
            # audit nor the model's answer lags the refusal.
            self.report({**request_record, "decision": "block",
                         "severity": _severity(events), "sent": 0, "received": 0})  # fmt: skip
            self.calls.fail(calls, "; ".join(reasons))
            await _refuse(client, writer, reasons)
            return upstream, False
        if upstream is None:
            try:
                upstream = await _Upstream.open(address, record["host"], self.upstream if tls else None)
            except (OSError, TimeoutError, ssl.SSLError) as exc:
                await _refuse(client, writer, [f"upstream: {type(exc).__name__}"], status=502)
                self.report({**request_record, "decision": "allow", "error": type(exc).__name__})
                return None, False
        sent = await upstream.send(
            event,
            judgement.body if judgement.body is not None else body,
            complete,
            target=judgement.target or request.target,
        )
        if not complete:
            sent += await upstream.stream_rest(client, reader)
        received, status = await upstream.answer(client, writer)
        decision = "alert" if judgement.action != "allow" or not complete else "allow"
        self.report({**request_record, "decision": decision, "severity": _severity(events),
                     "sent": sent, "received": received, "status": status})  # fmt: skip
        if client.our_state is not h11.DONE or client.their_state is not h11.DONE:
            return upstream, False
        if not upstream.reusable():
            upstream.close()
            upstream = None
        client.start_next_cycle()
        return upstream, True

    def _judge(
        self, request: OutboundRequest, calls: list[InFlightCall], complete: bool
    ) -> tuple[Judgement, bool]:
        """The judgement, and whether the request could be read; what could not is judged by
        the profile's ``uninspectable`` policy (passed with an alert event, or blocked)."""
        if not complete:
            reason = f"a body over {self.rules.max_body_mb} MB is not inspected"
        else:
            try:
                return self.inspector.judge(request, calls), True
            except Uninspectable as exc:
                reason = str(exc)
        blocked = self.rules.uninspectable == "block"
        event = {"kind": "uninspectable", "severity": "medium", "action": "block" if blocked else "alert",
                 "message": reason}  # fmt: skip
        return Judgement(action="block" if blocked else "allow", events=[event]), False

    async def _raw(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: dict[str, Any],
        address: tuple[str, int],
        first: bytes,
        *,
        why: str,
        tls: bool = False,
    ) -> None:
        """Bytes passed through uninspected (re-encrypted when ``tls``), or refused."""
        if self.rules.uninspectable == "block":
            self.report({**record, "decision": "block", "inspected": False, "reason": f"{why}: refused"})
            writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.wait_for(
                asyncio.open_connection(
                    *address,
                    ssl=self.upstream if tls else None,
                    server_hostname=record["host"] if tls else None,
                ),
                _TIMEOUT,
            )
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            writer.close()
            self.report({**record, "decision": "allow", "inspected": False, "error": type(exc).__name__})
            return
        upstream_writer.write(first)
        sent, received = await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self.report({**record, "decision": "allow", "inspected": False, "reason": why,
                     "sent": sent + len(first), "received": received})  # fmt: skip

    async def _upgrade(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client: h11.Connection,
        event: h11.Request,
        record: dict[str, Any],
        address: tuple[str, int],
        *,
        tls: bool,
    ) -> None:
        """A protocol upgrade (WebSocket): its frames are not inspected."""
        framer = h11.Connection(h11.CLIENT)
        first = framer.send(event) + (framer.send(h11.EndOfMessage()) or b"")
        why = f"an upgrade to {_header(event, b'upgrade') or 'another protocol'}"
        await self._raw(reader, writer, record, address, first + client.trailing_data[0], why=why, tls=tls)


@dataclass
class _Upstream:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    connection: h11.Connection

    @classmethod
    async def open(cls, address: tuple[str, int], host: str, context: ssl.SSLContext | None) -> _Upstream:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(*address, ssl=context, server_hostname=host if context else None),
            _TIMEOUT,
        )
        return cls(reader, writer, h11.Connection(h11.CLIENT))

    async def send(self, event: h11.Request, body: bytes, complete: bool, *, target: str) -> int:
        """The request to ``target`` (origin form) with ``body``: all of it when ``complete``,
        else its start (the rest follows with :meth:`stream_rest`)."""
        hop = (b"proxy-connection", b"proxy-authorization")
        headers = [(k, v) for k, v in event.headers if k.lower() not in hop]
        if complete and any(k.lower() == b"content-length" for k, _ in headers):
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        request = h11.Request(method=event.method, target=target.encode("latin-1"), headers=headers)
        data = self.connection.send(request) or b""
        if body:
            data += self.connection.send(h11.Data(data=body)) or b""
        if complete:
            data += self.connection.send(h11.EndOfMessage()) or b""
        self.writer.write(data)
        await self.writer.drain()
        return len(data)

    async def stream_rest(self, client: h11.Connection, reader: asyncio.StreamReader) -> int:
        """The rest of a body too large to inspect, as it arrives."""
        total = 0
        while True:
            event = await _next(client, reader)
            if isinstance(event, h11.Data):
                data = self.connection.send(event) or b""
            elif isinstance(event, h11.EndOfMessage):
                data = self.connection.send(h11.EndOfMessage()) or b""
            else:
                raise ConnectionError("the client went away in the middle of a body")
            self.writer.write(data)
            await self.writer.drain()
            total += len(data)
            if isinstance(event, h11.EndOfMessage):
                return total

    async def answer(self, client: h11.Connection, writer: asyncio.StreamWriter) -> tuple[int, int]:
        """The upstream response, passed to the client as it arrives: bytes and status."""
        total, status = 0, 0
        while True:
            event = await _next(self.connection, self.reader)
            if event is None or isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the upstream server closed the connection")
            if isinstance(event, (h11.Response, h11.InformationalResponse)):
                status = event.status_code
                event = type(event)(
                    status_code=event.status_code, headers=list(event.headers), reason=event.reason
                )
            data = client.send(event) or b""
            writer.write(data)
            await writer.drain()
            total += len(data)
            if isinstance(event, h11.EndOfMessage):
                return total, status

    def reusable(self) -> bool:
        if self.connection.our_state is h11.DONE and self.connection.their_state is h11.DONE:
            self.connection.start_next_cycle()
            return True
        return False

    def close(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            self.writer.close()


async def _next(connection: h11.Connection, reader: asyncio.StreamReader) -> Any:
    """The next event, reading as needed; None at the end of the stream."""
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await asyncio.wait_for(reader.read(_READ), _TIMEOUT)
            connection.receive_data(data)
            if not data and connection.their_state is h11.IDLE:
                return None
            continue
        if event is h11.PAUSED:
            return None
        return event


async def _body(connection: h11.Connection, reader: asyncio.StreamReader, limit: int) -> tuple[bytes, bool]:
    """The request body, whole (True) or its first ``limit`` bytes (False)."""
    parts: list[bytes] = []
    size = 0
    while True:
        event = await _next(connection, reader)
        if isinstance(event, h11.EndOfMessage):
            return b"".join(parts), True
        if not isinstance(event, h11.Data):
            raise ConnectionError("the client went away in the middle of a body")
        parts.append(bytes(event.data))
        size += len(event.data)
        if size > limit:
            return b"".join(parts), False


def _blocking(events: list[dict[str, Any]]) -> list[str]:
    """Why a request is refused: the messages of the events whose action blocks."""
    return [event["message"] for event in events if event["action"] == "block"]


async def _refuse(
    client: h11.Connection, writer: asyncio.StreamWriter, reasons: list[str], *, status: int = 403
) -> None:
    body = orjson.dumps({"error": "mcpward sandbox refused this request", "reasons": reasons})
    headers = [
        ("content-type", "application/json"),
        ("content-length", str(len(body))),
        ("connection", "close"),
    ]
    with contextlib.suppress(h11.ProtocolError, ConnectionError, OSError):
        writer.write(client.send(h11.Response(status_code=status, headers=headers)) or b"")
        writer.write(client.send(h11.Data(data=body)) or b"")
        writer.write(client.send(h11.EndOfMessage()) or b"")
        await writer.drain()


def _origin(target: bytes) -> str:
    """The request target in origin form (a plain-HTTP proxy request carries the whole URL)."""
    text = target.decode("latin-1")
    if "://" in text:
        rest = text.split("://", 1)[1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"
    return text or "/"


def _path(target: bytes) -> str:
    """For the audit log: the path, with anything in it that looks like a secret masked; the
    query string is left out (tokens travel there)."""
    return redact_command_line(_origin(target).split("?", 1)[0])[:500]


TWO_LENGTHS = "both Content-Length and Transfer-Encoding (a request smuggling attempt)"


def two_lengths(event: h11.Request) -> bool:
    """Whether a request states its body's length two ways: h11 reads it as chunked, a server
    behind may read it by Content-Length, and a request hidden in the body would then pass
    unjudged (RFC 9112 section 6.1 lets a proxy refuse such a request)."""
    names = {name for name, _ in event.headers}
    return b"transfer-encoding" in names and b"content-length" in names


ANOTHER_SITE = "the Host header or the request target names another site than the CONNECT"


def names_only(event: h11.Request, host: str, port: int) -> bool:
    """Whether a request inside a tunnel to ``host``:``port`` names that site alone: its Host
    header and, in absolute form, its target (h11 requires one Host header in HTTP/1.1)."""
    authorities = [value.decode("latin-1").strip() for name, value in event.headers if name == b"host"]
    target = event.target.decode("latin-1")
    if "://" in target:
        authorities.append(urlsplit(target).netloc)
    wanted = (host.rstrip("."), port)
    return all(authority_site(authority, 443) == wanted for authority in authorities)


def authority_site(authority: str, default_port: int) -> tuple[str, int] | None:
    """``host[:port]`` as a lower-case host (no trailing dot) and a port; None if not one."""
    parts = urlsplit(f"//{authority}")
    try:
        port = parts.port or default_port
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or not parts.hostname:
        return None
    if parts.netloc != authority or not 0 < port < 65536:
        return None  # a path, query or fragment after the authority
    return parts.hostname.lower().rstrip("."), port


def _header(event: h11.Request, name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in event.headers if k.lower() == name), "")


def _upgrade(event: h11.Request) -> bool:
    return bool(_header(event, b"upgrade")) and "upgrade" in _header(event, b"connection").lower()


def _head(event: h11.Request) -> bytes:
    """A request's line and headers as they came (h11 keeps the original spelling)."""
    lines = [event.method + b" " + event.target + b" HTTP/" + event.http_version]
    lines += [name + b": " + value for name, value in event.headers.raw_items()]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _severity(events: list[dict[str, Any]]) -> str:
    return strongest_severity(event["severity"] for event in events)
