"""``scan --probe-ports``: MCP servers listening on this machine, found by a read-only MCP
``initialize`` on each listening TCP port, over loopback only.

Ports come from ``/proc/net/tcp`` and ``tcp6`` (Linux), sockets in the listening state bound to
a loopback address or to every interface; a port bound to one external address only is not
probed (reaching it would leave loopback). Each port gets at most a POST of ``initialize`` to
``/mcp`` (streamable HTTP) and a GET of ``/sse`` (the older SSE transport), with short timeouts
and a cap on what is read; no session is completed (no ``initialized``, no tool is listed or
called). A port that answers ``initialize`` is an MCP server offered without authentication
(``insecure-transport``/``served-without-auth``); one that answers 401 with
``WWW-Authenticate`` at ``/mcp`` requires authentication and is recorded as such.
"""

from __future__ import annotations

import ipaddress
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mcpward._documents import DocumentFormat
from mcpward.model import RunningProcess, Scope, Transport
from mcpward.scan.interface import ConfigLocation, DiscoveredServer

PROC = Path("/proc")
#: Sockets bound to every interface (read from the kernel's table, never bound here).
_WILDCARD = frozenset({"0.0.0.0", "::"})  # noqa: S104
MAX_PORTS = 256
MAX_BODY = 64 * 1024
CONNECT_SECONDS = 0.5
READ_SECONDS = 2.0
TOTAL_SECONDS = 60.0

_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "mcpward-scan-probe", "version": "1"},
    },
}


@dataclass(frozen=True, slots=True)
class ListeningSocket:
    address: str
    port: int
    inode: int

    @property
    def all_interfaces(self) -> bool:
        return self.address in _WILDCARD

    @property
    def probe_host(self) -> str:
        """The loopback address that reaches this socket."""
        if self.address in ("::", "::1") or (":" in self.address and not self.address.startswith("::ffff:")):
            return "::1"
        return "127.0.0.1"

    @property
    def display(self) -> str:
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


def _decode_address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    # Four 32-bit words, each in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    address = ipaddress.IPv6Address(words)
    return str(address.ipv4_mapped) if address.ipv4_mapped else str(address)


def listening_sockets(proc: Path = PROC) -> list[ListeningSocket]:
    """Listening TCP sockets on loopback or every interface, one per (address, port)."""
    found: dict[tuple[str, int], ListeningSocket] = {}
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text("ascii", "replace").splitlines()[1:]
        except OSError:
            continue
        for line in lines[:100_000]:
            fields = line.split()
            if len(fields) < 10 or fields[3] != "0A":  # 0A: LISTEN
                continue
            try:
                hex_address, hex_port = fields[1].split(":")
                address, port, inode = _decode_address(hex_address), int(hex_port, 16), int(fields[9])
            except ValueError:
                continue
            if address in _WILDCARD or ipaddress.ip_address(address).is_loopback:
                found.setdefault((address, port), ListeningSocket(address, port, inode))
    return sorted(found.values(), key=lambda s: (s.port, s.address))[:MAX_PORTS]


def socket_owners(inodes: set[int], proc: Path = PROC) -> dict[int, int]:
    """The process holding each socket inode, from ``/proc/<pid>/fd`` (only processes this
    account may look into)."""
    owners: dict[int, int] = {}
    wanted = {f"socket:[{inode}]": inode for inode in inodes}
    try:
        pids = [e.name for e in os.scandir(proc) if e.name.isdigit()]
    except OSError:
        return owners
    for pid in pids[:100_000]:
        try:
            fds = list(os.scandir(proc / pid / "fd"))
        except OSError:
            continue
        for fd in fds[:65_536]:
            try:
                target = os.readlink(fd.path)
            except OSError:
                continue
            inode = wanted.get(target)
            if inode is not None:
                owners.setdefault(inode, int(pid))
        if len(owners) == len(wanted):
            break
    return owners


@dataclass(frozen=True, slots=True)
class ProbeAnswer:
    url: str
    transport: Transport
    requires_auth: bool
    server_name: str | None = None


def probe(socket: ListeningSocket) -> ProbeAnswer | None:
    """What an MCP ``initialize`` (then a GET of ``/sse``) gets from this port, over loopback."""
    import httpx

    host = f"[{socket.probe_host}]" if ":" in socket.probe_host else socket.probe_host
    base = f"http://{host}:{socket.port}"
    timeout = httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            with client.stream(
                "POST",
                f"{base}/mcp",
                json=_INITIALIZE,
                headers={"Accept": "application/json, text/event-stream"},
            ) as response:
                body = _read_capped(response)
                if (
                    response.status_code == 401
                    and "bearer" in response.headers.get("www-authenticate", "").lower()
                ):
                    return ProbeAnswer(f"{base}/mcp", Transport.HTTP, requires_auth=True)
                result = _initialize_result(body)
                if response.status_code == 200 and result is not None:
                    return ProbeAnswer(f"{base}/mcp", Transport.HTTP, False, _server_name(result))
            with client.stream("GET", f"{base}/sse", headers={"Accept": "text/event-stream"}) as response:
                if (
                    response.status_code == 401
                    and "bearer" in response.headers.get("www-authenticate", "").lower()
                ):
                    return ProbeAnswer(f"{base}/sse", Transport.SSE, requires_auth=True)
                if response.status_code == 200 and "text/event-stream" in response.headers.get(
                    "content-type", ""
                ):
                    first = _read_capped(response, limit=4096, first_event=True)
                    if "event: endpoint" in first:
                        return ProbeAnswer(f"{base}/sse", Transport.SSE, requires_auth=False)
    except (httpx.HTTPError, OSError, ValueError):
        return None
    return None


def _read_capped(response: object, limit: int = MAX_BODY, first_event: bool = False) -> str:
    import httpx

    assert isinstance(response, httpx.Response)
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + READ_SECONDS
    for chunk in response.iter_raw():
        chunks.append(chunk)
        size += len(chunk)
        joined = b"".join(chunks)
        if size >= limit or time.monotonic() > deadline or (first_event and b"\n\n" in joined):
            break
        if (
            not first_event
            and b'"jsonrpc"' in joined
            and (joined.rstrip().endswith(b"}") or b"\n\n" in joined)
        ):
            break
    return b"".join(chunks)[:limit].decode("utf-8", "replace")


def _initialize_result(body: str) -> dict[str, object] | None:
    """The ``result`` of an initialize answer, in plain JSON or in an SSE ``data:`` line."""
    candidates = [body.strip()]
    candidates += [line[5:].strip() for line in body.splitlines() if line.startswith("data:")]
    for candidate in candidates:
        try:
            message = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        result = message.get("result") if isinstance(message, dict) else None
        if isinstance(result, dict) and ("protocolVersion" in result or "serverInfo" in result):
            return result
    return None


def _server_name(result: dict[str, object]) -> str | None:
    info = result.get("serverInfo")
    name = info.get("name") if isinstance(info, dict) else None
    return name[:100] if isinstance(name, str) else None


def probed_servers(proc: Path = PROC, ports: frozenset[int] = frozenset()) -> Iterator[DiscoveredServer]:
    """The MCP servers answering on this machine's listening ports (or only on ``ports``)."""
    sockets = [s for s in listening_sockets(proc) if not ports or s.port in ports]
    answers: list[tuple[ListeningSocket, ProbeAnswer]] = []
    deadline = time.monotonic() + TOTAL_SECONDS
    for socket in sockets:
        if time.monotonic() > deadline:
            break
        answer = probe(socket)
        if answer is not None:
            answers.append((socket, answer))
    owners = socket_owners({s.inode for s, _ in answers}, proc) if answers else {}
    for socket, answer in answers:
        where = "every interface" if socket.all_interfaces else "loopback"
        label = answer.server_name or "MCP server"
        yield DiscoveredServer(
            host="listening",
            location=ConfigLocation(Path(f"tcp/{socket.display}"), Scope.USER, DocumentFormat.JSON),
            name=f"{label} on {socket.display} ({where})",
            transport=answer.transport,
            url=answer.url,
            source="process",
            served=True,
            auth_via="requires authentication (HTTP 401, Bearer)" if answer.requires_auth else None,
            process=RunningProcess(pid=owners.get(socket.inode), listening=(socket.display,)),
        )
