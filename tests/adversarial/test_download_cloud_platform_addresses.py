"""A cloud's platform services outside the link-local range: Azure's WireServer,
168.63.129.16, a globally reachable address that only the cloud's own machines reach (it hands
a VM its goal state, extension settings and their protected settings), was judged "on the
network", so a public registry's document, its redirect or a name's DNS could send vet's
download there from an Azure machine. It is now refused as the metadata addresses are; those
(AWS's over IPv6, Alibaba's, Oracle's) are checked here too, as no test named them.

Judged only: nothing is connected to."""

from __future__ import annotations

import pytest

from mcpward._http import refused_redirect


@pytest.mark.parametrize(
    "target", ["168.63.129.16", "[::ffff:168.63.129.16]", "[fd00:ec2::254]", "100.100.100.200", "192.0.0.192"]
)
def test_a_clouds_platform_address_is_refused_from_anywhere(target: str) -> None:
    for source in ("https://11.0.0.7/index.json", "http://10.0.0.5/mirror", "http://127.0.0.1/advisories"):
        assert (
            refused_redirect(source, f"https://{target}/machine")
            == "to a link-local or cloud metadata address"
        )
