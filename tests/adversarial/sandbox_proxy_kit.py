"""What the attacks on the sandbox's egress proxy share: the proxy on a loopback TCP port with
the records of its decisions, a client asking it one request, and the resolver stood in for
(no network here)."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mcpward.sandbox._proxy import EgressProxy
from mcpward.sandbox.interface import NetworkRules


@contextlib.contextmanager
def egress_proxy(
    tmp_path: Path, rules: NetworkRules, **options: Any
) -> Iterator[tuple[EgressProxy, list[dict[str, Any]]]]:
    """The proxy judging by ``rules`` on a loopback TCP port (``options``: more of its
    arguments), and the records of what it decided, stopped after."""
    records: list[dict[str, Any]] = []
    proxy = EgressProxy(tmp_path / "unused.sock", rules, records.append, tcp=True, **options)
    proxy.start()
    try:
        yield proxy, records
    finally:
        proxy.stop()


def stand_in_resolver(
    monkeypatch: pytest.MonkeyPatch, stood_in: Callable[[str], bool], address: str | None = None
) -> list[str]:
    """``getaddrinfo`` answers each name ``stood_in`` holds itself: with ``address`` (IPv4 or
    IPv6 by its form), or that there is no such name; every other name goes to the real one.
    The names it answered, as asked, in order."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if not isinstance(name, str) or not stood_in(name):
            return real(host, port, *args, **kwargs)
        asked.append(name)
        if address is None:
            raise socket.gaierror(socket.EAI_NONAME, "no network in this test")
        if ipaddress.ip_address(address).version == 4:
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 0)))]
        sockaddr = (address, int(port or 0), 0, 0)
        return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def ask(port: int, payload: bytes) -> bytes:
    """What the proxy on ``port`` answers ``payload``, until it closes (bounded); where it opens a
    tunnel, a request for ``/secrets`` is sent through it and what comes back is read too."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as tcp:
        tcp.sendall(payload)
        got = b""
        for _ in range(20):  # bounded
            try:
                chunk = tcp.recv(4096)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
            if got.startswith(b"HTTP/1.1 200 Connection established"):
                tcp.sendall(b"GET /secrets HTTP/1.1\r\n\r\n")
                time.sleep(0.3)
        return got


def wait_for_record(records: list[dict[str, Any]]) -> None:
    """Until the proxy has recorded a decision (it records after answering), or 5 seconds."""
    deadline = time.monotonic() + 5
    while not records and time.monotonic() < deadline:
        time.sleep(0.05)


def bridge_reported(tmp_path: Path, lines: list[str], method: str) -> list[dict[str, Any]]:
    """The proxy's records of ``method`` after the bridge reported ``lines`` (``DNS name``,
    ``FILE {...}``) on its report channel: the records of what the server inside tried."""
    records: list[dict[str, Any]] = []
    folder = tmp_path / "proxy"
    folder.mkdir()
    proxy = EgressProxy(folder / "egress.sock", NetworkRules(allow=()), records.append)
    proxy.start()
    try:
        with socket.socket(socket.AF_UNIX) as channel:  # the bridge's report channel
            channel.connect(str(folder / "report.sock"))
            channel.sendall("".join(f"{line}\n" for line in lines).encode())
            for _ in range(600):  # read by the proxy's loop (bounded)
                if len([r for r in records if r.get("method") == method]) >= len(lines):
                    break
                time.sleep(0.05)
    finally:
        proxy.stop()
    return [record for record in records if record.get("method") == method]
