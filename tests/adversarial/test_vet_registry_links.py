"""A registry document's links (npm's ``dist.tarball`` and attestations, PyPI's file URLs) are
where vet downloads next, as a redirect is: a registry on loopback whose package named an
archive over plain http on the network, or one naming a link-local (cloud metadata) address,
had vet fetch it,
where the same move by a redirect was refused. Whoever writes a plain-http registry's answer
(anyone on its path) chose them. Real servers: the registry on loopback, the linked archive on
this machine's own non-loopback address (found without sending a packet), so nothing leaves
the machine; the link-local address is one that cannot be connected to (no interface)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from loopback import answering, handler_serving, own_address
from mcpward.vet import VetError, VetOptions, run_vet
from vet_fixtures import FakeRegistry, npm_tarball, serve

TARBALL = "/tarballs/relay-mcp-1.0.0.tgz"


def _archive_on(address: str, data: bytes, hits: list[str]) -> contextlib.AbstractContextManager[str]:
    """The archive served at ``TARBALL`` on ``address``; its base URL."""
    return handler_serving(answering(data, hits), address)


@pytest.mark.parametrize("where", ["off loopback to plain http", "to a link-local or cloud metadata address"])
def test_a_registry_link_is_judged_as_a_redirect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    manifest = json.dumps({"name": "relay-mcp", "version": "1.0.0"})
    tarball = npm_tarball({"package.json": manifest, "index.js": "module.exports = 1\n"})
    hits: list[str] = []
    registry = FakeRegistry()
    with _archive_on(own_address(), tarball, hits) as network, serve(registry) as base:
        monkeypatch.setenv("MCPWARD_NPM_REGISTRY", base)
        registry.add_npm("relay-mcp", {"1.0.0": tarball}, base)
        document = json.loads(registry.routes["/relay-mcp"])
        linked = network if where.startswith("off loopback") else "http://[fe80::1]:9"
        document["versions"]["1.0.0"]["dist"]["tarball"] = linked + TARBALL
        registry.routes["/relay-mcp"] = json.dumps(document).encode()
        with pytest.raises(VetError) as refused:
            run_vet(VetOptions(target="npm:relay-mcp@1.0.0", cache_dir=tmp_path / "cache"))
    assert str(refused.value).endswith(f"{where}; refused"), refused.value
    assert hits == []


def test_a_registry_link_on_the_registrys_own_side_is_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = json.dumps({"name": "relay-mcp", "version": "1.0.0"})
    tarball = npm_tarball({"package.json": manifest, "index.js": "module.exports = 1\n"})
    hits: list[str] = []
    registry = FakeRegistry()
    with _archive_on("127.0.0.1", tarball, hits) as elsewhere, serve(registry) as base:
        monkeypatch.setenv("MCPWARD_NPM_REGISTRY", base.replace("127.0.0.1", "localhost"))
        registry.add_npm("relay-mcp", {"1.0.0": tarball}, base)
        document = json.loads(registry.routes["/relay-mcp"])
        document["versions"]["1.0.0"]["dist"]["tarball"] = elsewhere + TARBALL
        registry.routes["/relay-mcp"] = json.dumps(document).encode()
        run_vet(VetOptions(target="npm:relay-mcp@1.0.0", cache_dir=tmp_path / "cache"))
    assert hits == [TARBALL]
