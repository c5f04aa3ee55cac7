"""Attack: publish another package under a server name the registry already approved.

Any requester could ask for ``io.github.acme/files`` version 2.0.0 naming ``@mallory/files``
(or ``io.github.Acme/files``, which clients show alike): a reviewer approving it in one click
(it reads as the next version of a known server) made it the name's ``isLatest``, so every client
installing ``io.github.acme/files`` from ``/v0.1/servers/…/versions/latest`` got mallory's
package, beside the approved ``@acme/files`` still active, until 2026-12-05. Now approving a
server under a name (compared case-insensitively) that is approved for another package, image
or endpoint needs an explicit, recorded override (an admin's on a registry server), as a
downgrade does; another version of the same package does not.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mcpward.registry import DataScope, EntryRequest, Identity, PolicyRefusal, Registry, VetOutcome
from mcpward.registry.web import create_app


def _request(registry: Registry, name: str, package: str, version: str, who: str = "alice") -> int:
    identity = Identity(kind="package", ecosystem="npm", name=package, version=version)
    request = EntryRequest(name=name, identity=identity, owner="team", scope=DataScope(),
                           vet=VetOutcome(verdict="pass"))  # fmt: skip
    return registry.request(request, who).id


@pytest.mark.parametrize("name", ["io.github.acme/files", "io.github.Acme/files"])
def test_a_name_approved_for_another_package_needs_an_override(registry: Registry, name: str) -> None:
    registry.approve(_request(registry, "io.github.acme/files", "@acme/files", "1.0.0"), "bob", "reviewed")
    hijack = _request(registry, name, "@mallory/files", "2.0.0", who="mallory")
    assert any(code == "name" for code, _text in registry.refusals(registry.get(hijack)))
    with pytest.raises(PolicyRefusal, match="approved for @acme/files"):
        registry.approve(hijack, "bob", "looks like the next version")  # was approved
    client = TestClient(create_app(registry))
    latest = client.get("/v0.1/servers/io.github.acme%2Ffiles/versions/latest").json()
    assert latest["server"]["packages"][0]["identifier"] == "@acme/files"
    # An explicit, recorded override still may.
    entry = registry.approve(hijack, "bob", "the project moved to this package", override=True)
    assert entry.status.value == "approved"
    assert registry.audit(hijack)[0].detail["overridden"] == ["name"]


def test_another_version_of_the_same_package_needs_none(registry: Registry) -> None:
    registry.approve(_request(registry, "io.github.acme/files", "@acme/files", "1.0.0"), "bob", "reviewed")
    newer = _request(registry, "io.github.acme/files", "@acme/files", "1.1.0")
    assert registry.refusals(registry.get(newer)) == []
    assert registry.approve(newer, "bob", "reviewed").status.value == "approved"
