"""The egress proxy judged the host of a ``CONNECT`` as text, then handed that text to the
resolver: ``outside.test\\x00.example.com`` ends with ``.example.com``, so a profile allowing
``*.example.com`` let it through, and the C resolver reads a name up to its NUL, so the proxy
resolved and connected to ``outside.test``, any host at all (tried: ``getaddrinfo`` of
``localhost\\x00.example.com`` answers 127.0.0.1). Other bytes no host name has (a space, a
tab, ``/``, ``@``) were judged the same way. Now a host is only a name of letters, digits,
dots, hyphens and underscores, or an address, before any rule is read. The resolver is stood
in for by one that records each name it is asked for (no network here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sandbox_proxy_kit import ask, egress_proxy, stand_in_resolver, wait_for_record

from mcpward.sandbox.interface import NetworkRules

_HOSTS = [
    "outside.test\x00.example.com",
    "outside.test\x00.api.example.com",
    "outside.test .example.com",
    "outside.test\t.example.com",
    "outside.test/.example.com",
]


@pytest.mark.parametrize("host", _HOSTS)
def test_rules_do_not_allow_a_host_with_bytes_no_name_has(host: str) -> None:
    assert not NetworkRules(allow=("*.example.com",)).allows(host, 443)


def test_ordinary_names_and_addresses_are_still_judged_by_the_rules() -> None:
    rules = NetworkRules(allow=("*.example.com", "127.0.0.1:8080"))
    assert rules.allows("api.example.com", 443) and rules.allows("API.Example.com.", 80)
    assert rules.allows("127.0.0.1", 8080) and rules.allows("my_site.example.com", 443)
    assert not rules.allows("example.com", 443) and not rules.allows("api.example.com.evil.test", 443)


@pytest.fixture
def proxied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    lookups = stand_in_resolver(monkeypatch, lambda name: name.endswith("example.com"))
    with egress_proxy(tmp_path, NetworkRules(allow=("*.example.com",))) as (proxy, records):
        yield {"port": proxy.port, "records": records, "lookups": lookups}


@pytest.mark.parametrize("host", ["outside.test\x00.example.com", "outside.test\x00.api.example.com"])
def test_a_connect_to_a_name_cut_at_a_nul_is_refused_unresolved(proxied: dict[str, Any], host: str) -> None:
    got = ask(proxied["port"], f"CONNECT {host}:443 HTTP/1.1\r\n\r\n".encode("latin-1"))
    assert got.startswith(b"HTTP/1.1 403")
    wait_for_record(proxied["records"])
    assert proxied["records"][0]["decision"] == "block"
    assert proxied["lookups"] == []


def test_a_plain_request_to_a_name_cut_at_a_nul_is_refused_unresolved(proxied: dict[str, Any]) -> None:
    payload = (
        b"GET http://outside.test\x00.example.com/ HTTP/1.1\r\nHost: outside.test\x00.example.com\r\n\r\n"
    )
    got = ask(proxied["port"], payload)
    assert got.startswith(b"HTTP/1.1 4")
    assert proxied["lookups"] == []
