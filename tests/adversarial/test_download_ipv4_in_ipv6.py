"""IPv6 addresses that stand for an IPv4 one were judged as IPv6 addresses, which Python calls
globally reachable: NAT64's well-known prefix (``64:ff9b::10.0.0.5``, what DNS64 answers on an
IPv6-only network, and the translator then connects to 10.0.0.5), its local-use prefix
``64:ff9b:1::/48``, 6to4 (``2002:0a00:0005::``) and the deprecated IPv4-compatible form
(``::10.0.0.5``). A public registry's document, a redirect or a name's DNS answer naming one
sent the download, or an identity provider's key fetch, into the network behind the machine
or to a cloud's metadata service through the translator, judged "on the network". Now such an
address is judged by the IPv4 address it carries (the local-use NAT64 prefix as private).

Judged only: nothing is connected to."""

from __future__ import annotations

import pytest

from mcpward._http import refused_redirect

PUBLIC = "https://11.0.0.7/index.json"


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("[64:ff9b::a00:5]", "from the network to a private address"),
        ("[64:ff9b::c0a8:101]", "from the network to a private address"),
        ("[64:ff9b::a9fe:a9fe]", "to a link-local or cloud metadata address"),
        ("[64:ff9b::7f00:1]", "onto loopback"),
        ("[64:ff9b:1::a00:5]", "from the network to a private address"),
        ("[2002:a00:5::]", "from the network to a private address"),
        ("[2002:a9fe:a9fe::1]", "to a link-local or cloud metadata address"),
        ("[::a00:5]", "from the network to a private address"),
        ("[::a9fe:a9fe]", "to a link-local or cloud metadata address"),
    ],
)
def test_an_ipv6_address_carrying_an_internal_ipv4_one_is_judged_by_it(target: str, why: str) -> None:
    assert refused_redirect(PUBLIC, f"https://{target}/pkg.tgz") == why


def test_ipv6_addresses_carrying_public_ipv4_ones_are_still_followed() -> None:
    # DNS64 on an IPv6-only network answers every public host so: it must still be reachable.
    assert refused_redirect(PUBLIC, "https://[64:ff9b::b00:9]/pkg.tgz") is None  # 11.0.0.9
    assert refused_redirect(PUBLIC, "https://[2002:b00:9::1]/pkg.tgz") is None
    assert refused_redirect(PUBLIC, "https://[2606:4700::1111]/pkg.tgz") is None
    assert refused_redirect("http://[::1]/a", "http://[::1]/b") is None  # loopback, not ::0.0.0.1
