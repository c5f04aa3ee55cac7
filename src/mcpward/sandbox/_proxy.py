"""The egress proxy on the host side of the sandbox: HTTP ``CONNECT`` (for HTTPS) and plain
HTTP requests, on a unix socket the sandbox reaches through its bridge. Only the profile's
hosts and ports get through; every attempt, allowed or denied, is reported with the bytes each
way. Names are resolved here, never inside the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import socket
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpward._http import AddressRefused, address_side
from mcpward.dlp import redact_text
from mcpward.model import Severity
from mcpward.sandbox.interface import NetworkRules

if TYPE_CHECKING:
    from mcpward.sandbox._interception import Interception

_HEAD_LIMIT = 16 * 1024
#: The most records the sandbox's report channel carries (the bridge sends each once).
_MOST_REPORTS = 2000
#: The most refused requests recorded one by one in a run, and the longest host name recorded.
_MOST_REFUSALS = 2000
_LONGEST_NAME = 253
#: The most connections (or requests) recorded one by one in a run, of those allowed and of
#: those inspection judged (an alert, a refusal) apart, and the most bytes of their records; the
#: rest are summed up in one record each at the end.
_MOST_CONNECTIONS = 2000
_MOST_CONNECTION_BYTES = 1024 * 1024
#: The hosts a summary counts one by one (a ``*.domain`` rule allows endless names), and names.
_COUNTED_HOSTS = 1000
_SUMMED_HOSTS = 20


_Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass(slots=True)
class _Connections:
    """The records of one kind of connection (allowed, or judged) in a run: each recorded up to
    :data:`_MOST_CONNECTIONS` and :data:`_MOST_CONNECTION_BYTES`, the rest summed up."""

    recorded: int = 0
    size: int = 0
    unrecorded: int = 0
    sent: int = 0
    received: int = 0
    hosts: Counter[str] = field(default_factory=Counter)
    decisions: set[str] = field(default_factory=set)
    severity: Severity | None = None

    def keeps(self, record: dict[str, Any]) -> bool:
        """Whether ``record`` is recorded one by one; if not, it is counted in the summary."""
        size = len(json.dumps(record, default=str))
        if self.recorded < _MOST_CONNECTIONS and self.size + size <= _MOST_CONNECTION_BYTES:
            self.recorded += 1
            self.size += size
            return True
        self.unrecorded += 1
        self.sent += _count(record.get("sent"))
        self.received += _count(record.get("received"))
        host = str(record.get("host", ""))[:_LONGEST_NAME]
        if host in self.hosts or len(self.hosts) < _COUNTED_HOSTS:
            self.hosts[host] += 1
        else:
            self.hosts["(other hosts)"] += 1
        self.decisions.add(str(record.get("decision")))
        with contextlib.suppress(ValueError):
            severity = Severity(str(record.get("severity")))
            if self.severity is None or severity.rank > self.severity.rank:
                self.severity = severity
        return False

    def summary(self, judged: bool, names: HostNames) -> dict[str, Any] | None:
        """The record of those left out (None: none was)."""
        if not self.unrecorded:
            return None
        decision = next((d for d in ("block", "alert") if d in self.decisions), "allow")
        kind = "judged by outbound inspection" if judged else "allowed"
        record: dict[str, Any] = {
            "method": "connections",
            "decision": decision,
            "unrecorded": self.unrecorded,
            "sent": self.sent,
            "received": self.received,
            "hosts": {names.masked(host): count for host, count in self.hosts.most_common(_SUMMED_HOSTS)},
            "reason": f"{self.unrecorded} more connections or requests {kind}, not recorded one by one "
            f"(past {_MOST_CONNECTIONS} of them or {_MOST_CONNECTION_BYTES // 1024} KiB of records)",
        }
        if self.severity is not None:
            record["severity"] = self.severity.value
        return record


def _count(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0


def _ends_quietly(handler: _Handler) -> _Handler:
    """``handler`` for a connection that ends when the proxy stops: asyncio reads a cancelled
    connection task's exception in a callback, which raises CancelledError and printed a
    traceback per open connection at every shutdown."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except asyncio.CancelledError:
            writer.transport.abort()  # the proxy is stopping: nothing more is sent either way

    return handle


def _quiet_cancellations(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        loop.default_exception_handler(context)


#: How long the bridge's last reports may take to be read once the server ended.
_DRAIN_SECONDS = 5.0


class EgressProxy:
    def __init__(
        self,
        socket_path: Path,
        rules: NetworkRules,
        report: Callable[[dict[str, Any]], None],
        *,
        resolve: dict[str, tuple[str, int]] | None = None,
        tcp: bool = False,
        inspection: Interception | None = None,
    ) -> None:
        self.socket_path = socket_path
        #: Listen on a loopback TCP port instead of the unix socket (for a backend with no
        #: network namespace to bridge from); ``port`` is known once started.
        self.tcp = tcp
        self.port = 0
        self.rules = rules
        #: Where each record goes (the host's audit log), by :meth:`_record`: refusals by
        #: :meth:`refused`, the connections by :meth:`report`, both bounded.
        self._sink = report
        #: Names mapped to a host and port (a test's loopback server standing for a real host).
        self.resolve = resolve or {}
        #: Outbound inspection (``_interception.py``) for the hosts its rules cover, if enabled.
        #: Its records of requests are the proxy's connections, bounded with them.
        self.inspection = inspection
        if inspection is not None:
            inspection.report = self.report
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Whether the report channel has had its one connection (the bridge's).
        self._reporter_seen = False
        #: Set when the bridge's report channel has been read to its end.
        self._reports_read = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mcpward-egress", daemon=True)
        #: The refusals recorded (see :meth:`refused`), and how many more were not.
        self._refusals: set[str] = set()
        self._unrecorded = 0
        #: The records of connections allowed, and of those inspection judged otherwise.
        self._allowed = _Connections()
        self._judged = _Connections()
        #: The records' host names, masked at a bounded cost for the run.
        self._host_names = HostNames()

    def report(self, record: dict[str, Any]) -> None:
        """A connection or request that was allowed (``decision`` allow, with its bytes each
        way or its error), or that outbound inspection passed with an alert or refused: each
        recorded, up to :data:`_MOST_CONNECTIONS` and :data:`_MOST_CONNECTION_BYTES` of each of
        the two kinds, then summed up at the end. Each was recorded: a server sending requests
        in a loop to a host it may reach grew the host's audit log without bound. Findings have
        their own budget, so that allowed connections do not push them out."""
        kept = self._allowed if record.get("decision") == "allow" else self._judged
        if kept.keeps(record):
            self._record(record)

    def _record(self, record: dict[str, Any]) -> None:
        """``record`` written, the host and the path it names (and the reason or error that may
        quote them) masked by the DLP rules (``redact_text``): a server asking for ``<the user's
        token>.evil.test`` (refused, or under an allowed ``*.domain``), or trying to write
        ``/tmp/<the token>.json`` where the sandbox refused it, put the token in the audit log
        in clear. A request's path is masked already (``_path``); masking it again finds
        nothing more."""
        host = record.get("host")
        masked_host = self._host_names.masked(host) if isinstance(host, str) else None
        named = {}
        if masked_host is not None and host:
            named["host"] = masked_host  # read by the DLP rules already, and across its labels
        for key in ("path", "reason", "error"):
            value = record.get(key)
            if not isinstance(value, str) or not value:
                continue
            if masked_host is not None and masked_host != host and host:
                value = value.replace(host, masked_host)  # the reason that quotes the name
            named[key] = redact_text(value)
        self._sink({**record, **named} if named else record)

    def refused(self, record: dict[str, Any]) -> None:
        """A request refused before it left (a destination not listed, or not reachable, a
        request not well formed): each once a run, the host it named cut to the longest name
        (253), and at most :data:`_MOST_REFUSALS` of them; the rest are counted in one record
        at the end. Each was recorded whole: a server asking in a loop for hosts of 14,000
        characters wrote 53 MB to the host's audit log in 5 s, past its sandbox's file-size
        limit, until the host's disk was full."""
        record = {**record, "host": str(record.get("host", ""))[:_LONGEST_NAME]}
        key = json.dumps(record, sort_keys=True, default=str)
        if key in self._refusals:
            return
        if len(self._refusals) >= _MOST_REFUSALS:
            self._unrecorded += 1
            return
        self._refusals.add(key)
        self._record(record)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the egress proxy did not start")

    def stop(self) -> None:
        # The server has ended, and with it the bridge: what it reported last is still in the
        # channel. Read to the end first (bounded): stopping at once lost the last refusals.
        if self._reporter_seen:
            self._reports_read.wait(_DRAIN_SECONDS)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if self._unrecorded:
            self._record({"method": "refusals", "decision": "block", "unrecorded": self._unrecorded,
                          "reason": f"{self._unrecorded} more refused requests, not recorded one by one "
                          f"(past {_MOST_REFUSALS} different ones)"})  # fmt: skip
        for kept, judged in ((self._allowed, False), (self._judged, True)):
            summary = kept.summary(judged, self._host_names)
            if summary is not None:
                self._record(summary)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        if self.tcp:
            server = loop.run_until_complete(
                asyncio.start_server(_ends_quietly(self._client), host="127.0.0.1", port=0)
            )
            self.port = int(server.sockets[0].getsockname()[1])
        else:
            server = loop.run_until_complete(
                asyncio.start_unix_server(_ends_quietly(self._client), path=str(self.socket_path))
            )
            self.socket_path.chmod(0o666)  # the sandbox's user (mapped or not) must reach it
            reports = loop.run_until_complete(
                asyncio.start_unix_server(
                    _ends_quietly(self._reports), path=str(self.socket_path.parent / "report.sock")
                )
            )
            (self.socket_path.parent / "report.sock").chmod(0o666)
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            if not self.tcp:
                reports.close()
            # Connections still open end here, with the loop still running their cleanup (a
            # closed loop would leave their coroutines to fail when collected); bounded.
            # Cancelling is the stop itself: a connection's task cancelled before its first step
            # never reaches _ends_quietly's handler, and asyncio's stream callback then logged
            # the CancelledError it read from the task as an error.
            loop.set_exception_handler(_quiet_cancellations)
            # A connection accepted just before the stop starts its task while the first ones
            # are cancelled: it was left pending when the loop closed ("Task was destroyed but it
            # is pending!"), so the tasks are swept until none is left (a few rounds at most).
            for _ in range(5):
                pending = asyncio.all_tasks(loop)
                if not pending:
                    break
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.wait(pending, timeout=2))
            loop.close()

    async def _reports(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The sandbox's report channel: the bridge connects first, before the server starts;
        any later connection is the server's, and is closed unread. One record a line."""
        if self._reporter_seen:
            writer.close()
            return
        self._reporter_seen = True
        try:
            for _ in range(_MOST_REPORTS):
                line = await reader.readline()
                if not line:
                    break
                kind, _, text = line.decode("ascii", "replace").rstrip("\n").partition(" ")
                if kind == "DNS":
                    reason = "no DNS inside the sandbox; names are resolved by the proxy"
                    self._record({"method": "DNS", "host": text[:253], "decision": "block", "reason": reason})
                elif kind == "FILE":
                    self._file_denial(text)
        except (ValueError, ConnectionError):  # a line over the reader's limit, a reset
            pass
        finally:
            writer.close()
            self._reports_read.set()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            # asyncio.timeout, not wait_for: wait_for runs the read as a task of its own, whose
            # error nobody reads when the proxy stops mid-read (a logged "never retrieved").
            async with asyncio.timeout(30):
                head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            writer.close()
            return
        if len(head) > _HEAD_LIMIT:
            writer.close()
            return
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, _, rest = line.partition(" ")
        if method.upper() != "CONNECT":
            # Imported here: ``_plain`` builds on ``_interception``, which imports ``pipe`` from here.
            from mcpward.sandbox._plain import plain_requests

            await plain_requests(self, reader, writer, head)
            return
        host, _, port_text = rest.rsplit(" ", 1)[0].rpartition(":")
        host = host.strip("[]").lower()
        port = int(port_text) if port_text.isdigit() else 0
        record: dict[str, Any] = {"method": "CONNECT", "host": host, "port": port}
        if not host or not self.rules.allows(host, port):
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()
            self.refused(
                {**record, "decision": "block", "reason": "not in the sandbox profile's network allow list"}
            )
            return
        try:
            address = await self.destination(host, port)
        except AddressRefused as exc:
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()
            self.refused({**record, "decision": "block", "reason": str(exc)})
            return
        except OSError as exc:  # the name does not resolve
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            writer.close()
            self.report({**record, "decision": "allow", "error": type(exc).__name__})
            return
        inspection = self.inspection
        if inspection is not None and inspection.rules.covers(host, port):
            await inspection.tunnel(reader, writer, record, address)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.wait_for(
                asyncio.open_connection(*address), timeout=30
            )
        except (OSError, TimeoutError) as exc:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            writer.close()
            self.report({**record, "decision": "allow", "error": type(exc).__name__})
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        sent, received = await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self.report({**record, "decision": "allow", "sent": sent, "received": received})

    async def destination(self, host: str, port: int) -> tuple[str, int]:
        """The address a request for the allowed ``host``:``port`` is sent to: the profile's
        own mapping (``network.resolve``), the address itself when a rule names it, or else what
        the name resolves to, here, once, and only if every address is on the public network.
        The name's DNS is the server's to answer when the server's author owns the name (its
        own API, a sub-domain of an allowed ``*.domain``): it answered with the host's loopback
        (the sandbox's namespace hides it; the proxy, on the host, reached it), a cloud's
        metadata address or the network behind the machine. The address judged is the one
        connected to: a second lookup could answer otherwise (rebinding). Raises
        :class:`AddressRefused`, or OSError when the name does not resolve."""
        mapped = self.resolve.get(f"{host}:{port}")
        if mapped is not None:
            return mapped
        if _is_address(host):
            if host in {rule.partition(":")[0] for rule in self.rules.allow}:
                return host, port  # an address the profile names itself: its author's choice
            raise AddressRefused(f"{host}: an address the profile does not name")
        loop = asyncio.get_running_loop()
        try:
            found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        except UnicodeError as exc:
            raise OSError(str(exc)) from None
        addresses = [str(sockaddr[0]) for *_, sockaddr in found]
        if not addresses:
            raise OSError(f"{host} has no address")
        for address in addresses:
            side = address_side(address)
            if side != "network":
                raise AddressRefused(
                    f"{host} resolves to {address} ({side}); only a network.resolve entry of the profile "
                    "sends a name there"
                )
        return addresses[0], port

    def _file_denial(self, text: str) -> None:
        """A refused read or write (read-only, no permission), or a file the sandbox hides that
        exists on the host: the server tried to reach what its profile does not mount."""
        try:
            attempt = json.loads(text)
            path, error, operation = str(attempt["path"])[:4096], str(attempt["error"]), attempt["operation"]
        except (ValueError, KeyError, TypeError):
            return
        if error == "ENOENT":
            if not os.path.lexists(path):
                return  # missing outside too: a probe, not a denial
            reason = "hidden by the sandbox (it exists outside; the profile does not mount it)"
        else:
            reason = {"EROFS": "outside the writable mounts (read-only)"}.get(error, f"refused ({error})")
        self._record({"method": "FILE", "operation": "write" if operation == "write" else "read",
                      "path": path, "call": str(attempt.get("call", ""))[:20], "decision": "block",
                      "reason": reason})  # fmt: skip


#: The most consecutive labels of a name read joined (see ``masked_host_name``).
_JOINED_LABELS = 8
#: Joined reads a name of up to nine labels costs at most (every ordinary name): always made.
_FREE_READS = sum(9 - size for size in range(2, _JOINED_LABELS + 1))
#: Joined reads the longer names of one run's records may cost (about a second), and the names
#: whose masked form is kept so that a name recorded again is not read again.
_READS_PER_RUN = 100_000
_KEPT_NAMES = 1024


class HostNames:
    """The host names of one run's records, masked (``masked_host_name``) at a bounded cost: a
    name of many short labels costs about seven reads a label (124 labels, 855 reads, 8 ms),
    and a server asking for thousands of them held the proxy's loop for a minute a run. Names
    of up to nine labels are read whole; longer ones draw on ``reads``, and past it are recorded
    with every label but the domain masked."""

    def __init__(self, reads: int = _READS_PER_RUN) -> None:
        self.reads = reads
        self._masked: dict[str, str] = {}

    def masked(self, host: str) -> str:
        kept = self._masked.get(host)
        if kept is not None:
            return kept
        masked = masked_host_name(host, self)
        if len(self._masked) < _KEPT_NAMES and len(host) <= _LONGEST_NAME:
            self._masked[host] = masked
        return masked


def masked_host_name(host: str, budget: HostNames | None = None) -> str:
    """``host`` with the secrets it names masked by the DLP rules (``redact_text``), and those
    cut across its labels: a dot ends a token, so each label is read apart, and a token cut in
    two labels, or its hex or base32 (longer than the 63 characters a label holds), passed. Runs
    of two to ``_JOINED_LABELS`` consecutive labels (all but the last, a top-level domain) are
    read joined, as one word, where the DLP engine reads the hex, base32 and base64 as it does
    anywhere; each label of a run that holds a secret is masked. Ordinary names hold none so
    joined (a CDN's hash decodes to no text, a cloud host's name spells no token): about
    ``_JOINED_LABELS`` reads a label, so a name of 124 one-letter labels costs a thousand short
    reads."""
    masked = redact_text(host)
    labels = masked.split(".")
    if len(labels) < 3:
        return masked
    cost = sum(max(0, len(labels) - size) for size in range(2, _JOINED_LABELS + 1))
    if budget is not None and cost > _FREE_READS:
        if budget.reads < cost:
            # Not read: nothing the labels could carry is kept (the domain, its last two, is).
            return ".".join(["****"] * (len(labels) - 2) + labels[-2:])
        budget.reads -= cost
    # Shortest runs first; a run around one found is not read (the domain after a token cut in
    # two labels would be masked with it).
    found: list[tuple[int, int]] = []
    for size in range(2, _JOINED_LABELS + 1):
        for start in range(len(labels) - size):
            end = start + size
            if any(start <= inner_start and inner_end <= end for inner_start, inner_end in found):
                continue
            joined = "".join(labels[start:end])
            if "****" not in joined and redact_text(joined) != joined:
                found.append((start, end))
    if not found:
        return masked
    hidden = {index for start, end in found for index in range(start, end)}
    return ".".join("****" if index in hidden else label for index, label in enumerate(labels))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
    total = 0
    try:
        while data := await reader.read(65536):
            total += len(data)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()
    return total
