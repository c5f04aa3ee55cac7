"""Attack: one approval stops every later enforce. ``enforce`` refuses to write a policy holding
an approved identity it cannot write safely into the clients' files (a remote URL with
``${TENANT}``, which clients fill in from each user's environment and send to the server; a
package name or version a launcher reads as another source, ``ok@npm:evil-mcp``; a name like an
option; a direction override), and refuses it whole, named by entry, so that nothing unsafe is
written. The registry took such identities from any requester: a remote needs no vetting, so one
reviewer's click on ``https://mcp.example.com/${TENANT}/mcp`` (the way clients' own configs
spell a variable) made every later ``enforce --registry`` fail, and no approval or revocation reached
the clients' files until an admin found and revoked it (until 2026-12-06).

Now a request whose identity enforce could not write is refused when it is made (422, saying
why), so it never waits for a click; the identities clients run are requested as before."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from enforce_kit import approved_entry

from mcpward.enforce import EnforceError, compile_policy
from mcpward.registry import Entry, Registry, Role


def _request(name: str, identity: dict[str, str]) -> dict[str, Any]:
    return {"name": f"io.github.acme/{name}", "identity": identity, "owner": "team"}


UNWRITABLE = [
    {"kind": "remote", "url": "https://mcp.example.com/${TENANT}/mcp"},
    {"kind": "remote", "url": "https://mcp.example.com/$TENANT/mcp"},
    {"kind": "package", "ecosystem": "npm", "name": "ok@npm:evil-mcp", "version": "1.0.0"},
    {"kind": "package", "ecosystem": "npm", "name": "ok", "version": "npm:evil-mcp@1.0.0"},
    {"kind": "package", "ecosystem": "pypi", "name": "ok@https://evil.example/x.whl?", "version": "1.0.0"},
    {"kind": "package", "ecosystem": "npm", "name": "--call=calc", "version": "1.0.0"},
    {"kind": "oci", "name": "--privileged", "digest": "sha256:" + "a" * 64},
]


@pytest.mark.parametrize("identity", UNWRITABLE)
def test_an_identity_enforce_cannot_write_is_not_requested(
    registry: Registry, live_server: str, identity: dict[str, str]
) -> None:
    mallory = registry.create_token("mallory", Role.REQUESTER, "setup")
    answer = httpx.post(
        f"{live_server}/api/entries",
        json=_request("x", identity),
        headers={"Authorization": f"Bearer {mallory}"},
        timeout=30,
    )
    assert answer.status_code == 422, answer.text
    assert registry.count() == 0
    # What such an approval did to every enforce (with the same identity as an entry).
    approved = Entry.model_validate({**approved_entry(1, "io.github.acme/x", "x"), "identity": identity})
    with pytest.raises(EnforceError, match="entry 1"):
        compile_policy([approved], approved.updated_at.date())


WRITABLE = [
    {"kind": "remote", "url": "https://mcp.example.com/v1/mcp?tenant=acme&region=eu"},
    {"kind": "remote", "url": "https://mcp.example.com/$(not-a-variable)/mcp"},
    {
        "kind": "package",
        "ecosystem": "npm",
        "name": "@modelcontextprotocol/server-memory",
        "version": "2025.4.25",
    },
    {"kind": "package", "ecosystem": "npm", "name": "Legacy_Name.js", "version": "1.0.0-beta.2+build.7"},
    {"kind": "package", "ecosystem": "pypi", "name": "mcp-server-git", "version": "1!2.0.post1"},
    {"kind": "oci", "name": "ghcr.io/acme/mcp-server", "digest": "sha256:" + "b" * 64},
]


def test_the_identities_clients_run_are_requested(registry: Registry, live_server: str) -> None:
    alice = registry.create_token("alice", Role.REQUESTER, "setup")
    for index, identity in enumerate(WRITABLE):
        answer = httpx.post(
            f"{live_server}/api/entries",
            json=_request(f"ok{index}", identity),
            headers={"Authorization": f"Bearer {alice}"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
    for entry in registry.entries():
        registry.approve(entry.id, "bob", "reviewed", override=True)
    policy = compile_policy(registry.entries(), registry.now().date())
    assert len(policy.allowed) == len(WRITABLE)
