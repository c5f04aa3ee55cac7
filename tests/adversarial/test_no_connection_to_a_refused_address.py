"""The address a judged connection reached (a redirect's, a registry document's link, an identity
provider's key set, a remote server's later connection) was judged once TCP had connected: no
byte of the request went there, but the handshake did, so a name whose DNS answered the check a
public address and the connection loopback or the network behind the machine (DNS rebinding)
still had mcpward open a TCP connection to this machine's services or an internal host (a port
probe, a SYN to whatever the attacker named). Now such a connection's name is looked up once,
every address it resolves to is judged, and the connection is made only to a judged address
(its TLS still verifying the name): nothing at all reaches a refused address, and no later
lookup can answer otherwise.

The resolver is simulated in-process (socket.getaddrinfo patched, answering per lookup); the
refused addresses are listeners on loopback or on this machine's own non-loopback address
(private here) that count the connections the kernel completed for them, accepted or not."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpcore
import httpx
import jwt
import pytest
from test_remote_server_rebound import SECRET, _mcp_server, _running, initialize_and_list

from loopback import answering, handler_serving, own_address
from mcpward._http import DownloadError, download, pin_connections
from mcpward.gateway._oauth import IssuerSettings, ResourceServer, ResourceSettings, _Keys
from mcpward.inspect._fetch import ServerTarget, fetch_all
from mcpward.registry.web._oidc import OidcSettings, _Provider
from mcpward.sandbox._authority import CertificateAuthority
from oauth_kit import rsa_key

#: Globally reachable addresses: only ever answered by the simulated resolver, never connected to.
PUBLIC_DOCUMENT, PUBLIC_MIRROR = "11.0.0.7", "11.0.0.9"


class _Counting:
    """A TCP listener that accepts nothing while the test runs: :meth:`connections` counts
    what the kernel completed for it (a connection closed at once is counted too), until and
    after it is closed."""

    def __init__(self, address: str, port: int = 0) -> None:
        self.socket = socket.create_server((address, port), backlog=16)
        self.port = int(self.socket.getsockname()[1])
        self._counted = 0

    def connections(self) -> int:
        if self.socket.fileno() == -1:
            return self._counted
        self.socket.setblocking(False)
        for _ in range(16):
            try:
                accepted, _ = self.socket.accept()
            except BlockingIOError:
                break
            accepted.close()
            self._counted += 1
        return self._counted

    def close(self) -> None:
        self.connections()
        self.socket.close()


@contextlib.contextmanager
def _counting(address: str, port: int = 0) -> Iterator[_Counting]:
    listener = _Counting(address, port)
    try:
        yield listener
    finally:
        listener.close()


@contextlib.contextmanager
def _resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> Iterator[list[str]]:
    """socket.getaddrinfo answering each name of ``answers`` with its lists of addresses in turn,
    one a lookup (the last one again after that); other names resolved as usual. Yields the
    names looked up, in order."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(name)
        turn = answers[name]
        addresses = turn.pop(0) if len(turn) > 1 else turn[0]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
             (a, int(port or 0)))
            for a in addresses
        ]  # fmt: skip

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield asked


def _where() -> list[str]:
    return ["127.0.0.1", own_address()]


@pytest.mark.parametrize("rebound_to", _where(), ids=["loopback", "private"])
def test_a_document_link_to_a_rebound_name_opens_no_connection_there(
    monkeypatch: pytest.MonkeyPatch, rebound_to: str
) -> None:
    with (
        _counting(rebound_to) as refused,
        _resolving(
            monkeypatch,
            {"registry.test": [[PUBLIC_DOCUMENT]], "files.test": [[PUBLIC_MIRROR], [rebound_to]]},
        ) as asked,
        pytest.raises(DownloadError) as failed,
    ):
        download(f"http://files.test:{refused.port}/pkg.tgz", 1 << 20, named_by="https://registry.test/pkg")
    assert str(failed.value).endswith("; refused"), failed.value
    # Before: the check's lookup, then the connection's, whose answer was connected to first.
    assert refused.connections() == 0
    assert asked.count("files.test") == 2, asked


def test_a_redirect_whose_name_rebinds_onto_loopback_opens_no_connection_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _counting("127.0.0.1") as refused:
        target = f"http://rebound.test:{refused.port}/latest/admin"
        with (
            handler_serving(answering(b"", [], location=target), own_address()) as source,
            _resolving(monkeypatch, {"rebound.test": [[PUBLIC_MIRROR], ["127.0.0.1"]]}),
            pytest.raises(DownloadError, match="redirected onto loopback; refused"),
        ):
            download(f"{source}/advisories.json", 1 << 20)
        assert refused.connections() == 0


def test_a_name_with_a_refused_address_among_its_answers_opens_no_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A document on the network behind the machine may link into it, not onto loopback: the
    # connection's lookup answers loopback first, then a private address. Judged as a whole,
    # nothing is tried (before: loopback was connected to, then refused).
    with (
        _counting("127.0.0.1") as refused,
        _resolving(
            monkeypatch,
            {
                "registry.test": [[own_address()]],
                "files.test": [[own_address()], ["127.0.0.1", own_address()]],
            },
        ),
        pytest.raises(DownloadError, match="onto loopback; refused"),
    ):
        download(f"http://files.test:{refused.port}/pkg.tgz", 1 << 20, named_by="http://registry.test/pkg")
    assert refused.connections() == 0


def test_a_judged_connection_tries_each_judged_address_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    # A source on loopback may send the download on to loopback: the name's first address has
    # nothing listening (refused at once), its second is the server. One lookup to judge the
    # redirect, one to connect; the connection itself looks nothing up.
    hits: list[str] = []
    with handler_serving(answering(b'{"ok": true}', hits), "127.0.0.1") as server:
        port = server.rsplit(":", 1)[1]
        with (
            handler_serving(answering(b"", [], location=f"http://two.test:{port}/a.json")) as source,
            _resolving(monkeypatch, {"two.test": [["127.0.0.2", "127.0.0.1"]]}) as asked,
        ):
            assert download(f"{source}/moved", 1 << 20) == b'{"ok": true}'
    assert hits == ["/a.json"] and asked == ["two.test", "two.test"], (hits, asked)


@contextlib.contextmanager
def _https_serving(authority: CertificateAuthority, host: str, hits: list[str]) -> Iterator[int]:
    """An HTTPS server on loopback presenting ``authority``'s certificate for ``host``: its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), answering(b'{"ok": true}', hits))
    server.socket = authority.server_context(host).wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("certified", ["pinned.test", "other.test"])
def test_a_pinned_connection_verifies_tls_for_the_name_not_the_address(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, certified: str
) -> None:
    # Connected to 127.0.0.1, the TLS session is still for pinned.test: its certificate is
    # accepted, another name's is not.
    authority = CertificateAuthority(tmp_path / "ca")
    (tmp_path / "ca.pem").write_bytes(authority.pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    hits: list[str] = []
    connected: list[tuple[str, int]] = []
    by_name = httpcore.SyncBackend.connect_tcp

    def connect_tcp(backend: httpcore.SyncBackend, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        connected.append((host, port))
        return by_name(backend, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    with _https_serving(authority, certified, hits) as port:
        target = f"https://pinned.test:{port}/a.json"
        with (
            handler_serving(answering(b"", [], location=target)) as source,
            _resolving(monkeypatch, {"pinned.test": [["127.0.0.1"]]}) as asked,
        ):
            if certified == "pinned.test":
                assert download(f"{source}/moved", 1 << 20) == b'{"ok": true}'
            else:
                with pytest.raises(DownloadError, match="ConnectError"):
                    download(f"{source}/moved", 1 << 20)
    assert asked == ["pinned.test", "pinned.test"]  # judged, then looked up to connect
    assert connected[-1] == ("127.0.0.1", port)  # the connection itself by address, not name
    assert hits == (["/a.json"] if certified == "pinned.test" else [])


def test_a_pinned_client_still_reaches_the_operators_own_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # A request with no check (a URL the operator gave) is connected to by its name as before.
    hits: list[str] = []
    with (
        handler_serving(answering(b"{}", hits)) as server,
        _resolving(monkeypatch, {"mirror.test": [["127.0.0.1"]]}),
        pin_connections(httpx.Client(timeout=5)) as client,
    ):
        assert client.get(f"http://mirror.test:{server.rsplit(':', 1)[1]}/x").status_code == 200
    assert hits == ["/x"]


@contextlib.contextmanager
def _rebinding_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, _Counting]]:
    """An MCP server on this machine's own address that closes each connection, a counting
    listener on loopback at the same port, and ``mcp.test`` resolving to the server for its
    first connection, to loopback after."""
    server = _mcp_server(own_address())
    port = server.server_address[1]
    try:
        listener = _Counting("127.0.0.1", port)
    except OSError:
        server.server_close()
        pytest.skip("the same port is taken on loopback")
    try:
        with (
            _resolving(monkeypatch, {"mcp.test": [[own_address()], ["127.0.0.1"]]}),
            _running(server),
        ):
            yield f"http://mcp.test:{port}/mcp", listener
    finally:
        listener.close()


def test_inspect_opens_no_connection_to_a_server_name_rebound_onto_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _rebinding_server(monkeypatch) as (url, listener):
        target = ServerTarget(name="rebound", transport="http", url=url, headers={"Authorization": SECRET})
        results, errors = fetch_all([target], timeout=10)
        assert listener.connections() == 0
    assert results == [] and len(errors) == 1 and "onto loopback" in errors[0].message, errors


def test_the_gateway_opens_no_connection_to_an_upstream_name_rebound_onto_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _rebinding_server(monkeypatch) as (url, listener):
        delivered = initialize_and_list(url)
        assert listener.connections() == 0
    assert len(delivered) == 1  # the server answered initialize


def _token() -> str:
    key = rsa_key("attacker")
    now = int(time.time())
    claims = {"iss": "https://issuer.test", "sub": "admin", "aud": "https://gateway.example", "iat": now,
              "exp": now + 300}  # fmt: skip
    return jwt.encode(claims, key.private, algorithm=key.alg, headers={"kid": key.kid})


@pytest.mark.parametrize("rebound_to", _where(), ids=["loopback", "private"])
def test_the_gateway_opens_no_connection_for_a_key_set_at_a_rebound_name(
    monkeypatch: pytest.MonkeyPatch, rebound_to: str
) -> None:
    with (
        _counting(rebound_to) as refused,
        _resolving(
            monkeypatch, {"issuer.test": [[PUBLIC_DOCUMENT]], "keys.test": [[PUBLIC_MIRROR], [rebound_to]]}
        ),
    ):

        async def discovered(self: _Keys) -> str:
            return f"https://keys.test:{refused.port}/jwks"  # as the issuer's metadata names it

        monkeypatch.setattr(_Keys, "_discover", discovered)
        settings = ResourceSettings(
            resource="https://gateway.example", issuers=(IssuerSettings(issuer="https://issuer.test"),)
        )
        server = ResourceServer(settings)

        async def identify() -> None:
            try:
                with contextlib.suppress(Exception):
                    await server.identify(_token(), "ledger")
            finally:
                await server.close()

        asyncio.run(identify())
        assert server.keys["https://issuer.test"].fetches == 1
        assert refused.connections() == 0


@pytest.mark.parametrize("rebound_to", _where(), ids=["loopback", "private"])
def test_the_registrys_sign_in_opens_no_connection_for_a_key_set_at_a_rebound_name(
    monkeypatch: pytest.MonkeyPatch, rebound_to: str
) -> None:
    provider = _Provider(
        OidcSettings(issuer="https://issuer.test", client_id="registry", public_url="https://registry.test")
    )
    with (
        _counting(rebound_to) as refused,
        _resolving(
            monkeypatch, {"issuer.test": [[PUBLIC_DOCUMENT]], "keys.test": [[PUBLIC_MIRROR], [rebound_to]]}
        ),
    ):
        provider.metadata = {
            "issuer": "https://issuer.test",
            "jwks_uri": f"https://keys.test:{refused.port}/jwks",
        }
        # The client the sign-in's callback makes (registry.web._oidc.sso_callback).
        with (
            pin_connections(httpx.Client(timeout=5, follow_redirects=False)) as client,
            pytest.raises(ValueError, match=r"onto loopback|from the network to a private address"),
        ):
            provider.signing_key(client, _token())
        assert refused.connections() == 0
