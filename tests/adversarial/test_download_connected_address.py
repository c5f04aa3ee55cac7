"""Where a download goes next (a redirect, a registry document's link) was judged by a lookup of
its host made before connecting, and the connection made its own: a name whose DNS answers a
public address to the first lookup and a loopback or private one to the next (DNS rebinding)
had vet or an advisories refresh ask the machine's own services, or the company network, what
the redirect or link was refused for. And a redirect or link from the network to a private
address (10.x, 172.16/12, 192.168/16, fc00::/7, 100.64/10, any not globally reachable) was
followed: a public registry's document, or
anyone on a plain-http registry's path, sent the download into the network behind the machine.

The resolver is simulated in-process (socket.getaddrinfo patched, answering per lookup), so a
"public" address is only ever answered, never connected to: every connection goes to a real
server on loopback or on this machine's own non-loopback address (private on this machine)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from loopback import answering, handler_serving, own_address
from mcpward._http import DownloadError, download, refused_redirect

#: Globally reachable addresses, "the network": only ever answered by the simulated resolver or
#: judged, never connected to.
PUBLIC_DOCUMENT, PUBLIC_MIRROR = "11.0.0.7", "11.0.0.9"


@contextlib.contextmanager
def _resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> Iterator[list[str]]:
    """socket.getaddrinfo answering each name of ``answers`` with its addresses in turn, one a
    lookup (the last one again after that); other names resolved as usual. Yields the names
    looked up, in order."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        turn = answers[host]
        address = turn.pop(0) if len(turn) > 1 else turn[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield asked


def _server(
    address: str, hits: list[str], location: str | None = None
) -> contextlib.AbstractContextManager[str]:
    return handler_serving(answering(b'{"secret": "of the machine"}', hits, location=location), address)


def _port(base: str) -> str:
    return base.rsplit(":", 1)[1]


def _refusal(url: str, named_by: str | None = None) -> str:
    with pytest.raises(DownloadError) as failed:
        download(url, 1 << 20, named_by=named_by)
    return str(failed.value)


def test_a_redirect_to_a_name_rebound_onto_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The check's lookup is answered a public address, the connection's loopback: before, the
    # local service was asked and its answer read as the download.
    hits: list[str] = []
    with _server("127.0.0.1", hits) as local:
        target = f"http://rebound.test:{_port(local)}/latest/admin"
        with (
            _server(own_address(), [], location=target) as source,
            _resolving(monkeypatch, {"rebound.test": [PUBLIC_MIRROR, "127.0.0.1"]}) as asked,
        ):
            why = _refusal(f"{source}/advisories.json")
    assert asked == ["rebound.test", "rebound.test"]  # judged once, connected once
    assert why.endswith("redirected onto loopback; refused") and hits == [], why


def test_a_document_link_to_a_name_rebound_onto_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    hits: list[str] = []
    with (
        _server("127.0.0.1", hits) as local,
        _resolving(
            monkeypatch,
            {"registry.test": [PUBLIC_DOCUMENT], "files.test": [PUBLIC_MIRROR, "127.0.0.1"]},
        ),
    ):
        why = _refusal(f"http://files.test:{_port(local)}/pkg.tgz", named_by="https://registry.test/pkg")
    assert why.endswith("onto loopback; refused") and hits == [], why


def test_a_document_link_to_a_name_rebound_into_the_private_network_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hits: list[str] = []
    own = own_address()
    with (
        _server(own, hits) as private,
        _resolving(monkeypatch, {"registry.test": [PUBLIC_DOCUMENT], "files.test": [PUBLIC_MIRROR, own]}),
    ):
        why = _refusal(f"http://files.test:{_port(private)}/pkg.tgz", named_by="https://registry.test/pkg")
    assert why.endswith("from the network to a private address; refused") and hits == [], why


def test_a_public_documents_link_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    hits: list[str] = []
    with (
        _server(own_address(), hits) as private,
        _resolving(monkeypatch, {"registry.test": [PUBLIC_DOCUMENT]}),
    ):
        why = _refusal(f"{private}/pkg.tgz", named_by="https://registry.test/pkg")
    assert why.endswith("from the network to a private address; refused") and hits == [], why


@pytest.mark.parametrize(
    "private",
    [
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "100.64.0.1",
        "192.0.2.2",
        "[fc00::1]",
        "[fd12::1]",
    ],
)
def test_a_redirect_from_the_network_to_a_private_address_is_refused(private: str) -> None:
    why = "from the network to a private address"
    assert refused_redirect(f"https://{PUBLIC_DOCUMENT}/a", f"https://{private}/b") == why
    assert refused_redirect(f"http://{PUBLIC_DOCUMENT}/a", f"http://{private}:8080/b") == why


def test_private_sources_may_still_send_the_download_within_their_network_or_out() -> None:
    # A company's mirror sends the download to its own network or to the public one; loopback
    # (this machine, trusted) to a private address over https as to any.
    assert refused_redirect("http://10.0.0.5/a", "http://192.168.1.9/b") is None
    assert refused_redirect("http://10.0.0.5/a", f"https://{PUBLIC_MIRROR}/b") is None
    assert refused_redirect("http://127.0.0.1/a", "https://10.0.0.5/b") is None
    assert refused_redirect(f"https://{PUBLIC_DOCUMENT}/a", f"https://{PUBLIC_MIRROR}/b") is None
    assert refused_redirect("http://172.15.0.1/a", "http://172.32.0.1/b") is None  # outside 172.16/12
    assert refused_redirect("http://10.0.0.5/a", "http://127.0.0.1/b") == "onto loopback"


def test_the_operators_own_urls_still_reach_loopback_and_private_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A URL the operator gave is not judged, whatever its name resolves to: a mirror at home.
    hits: list[str] = []
    own = own_address()
    with (
        _server(own, hits) as private,
        _server("127.0.0.1", hits) as local,
        _resolving(monkeypatch, {"mirror.test": [own], "loopback-mirror.test": ["127.0.0.1"]}),
    ):
        assert download(f"http://mirror.test:{_port(private)}/a.json", 1 << 20).startswith(b'{"secret"')
        assert download(f"http://loopback-mirror.test:{_port(local)}/b.json", 1 << 20).startswith(
            b'{"secret"'
        )
        # And a private source's redirect within its network is followed as it connects.
        with _server(own, [], location=f"http://mirror.test:{_port(private)}/c.json") as source:
            assert download(f"{source}/moved", 1 << 20).startswith(b'{"secret"')
    assert hits == ["/a.json", "/b.json", "/c.json"]
