"""Attack: a requester stops enforcement for the whole organisation. The registry's readers
(``enforce --registry URL``, ``scan --registry URL``, every gateway whose ``[registry] source``
is a URL) read every entry of ``/api/entries``, requests waiting for review included, and refuse
an answer past their bounds (50,000 entries, 128 MiB a page), which guard them from a hostile
server. A requester alone fills both: 2,000 requests a minute are allowed (50,000 in 25
minutes), and each may carry pins up to the 2 MiB body limit (some 75 of them make a page of 500
larger than 128 MiB, in under a minute). From then on no enforce ran (no revocation reached the
clients' files) and no gateway read its approvals, until the reviewers deleted rows by hand.

Now the readers ask for decided entries only (``/api/entries?decided=true``): what a requester
sends reaches them only once a reviewer decides on it, and a rejected or revoked entry, which
nothing runs again, comes without its pins and ``server.json`` (matched and denied by its
identity), so a reviewer rejecting the flood does not bring it back. The bounds are lowered
here so that a few requests show what tens of thousands did."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mcpward.enforce import Decision, compile_policy
from mcpward.inspect import pin_record, signature
from mcpward.registry import Registry, Role, Status, _remote, all_entries, approval_index
from mcpward.registry.interface import ObservedServer


def _pins(size: int) -> dict[str, dict[str, str]]:
    tool = {"name": "search", "description": "x" * size, "inputSchema": {"type": "object"}}
    return pin_record([signature("", "tool", tool)])


def _remote_request(name: str, size: int = 100) -> dict[str, Any]:
    return {
        "name": f"io.github.acme/{name}",
        "identity": {"kind": "remote", "url": f"https://{name}.example.com/mcp"},
        "owner": "team",
        "pins": _pins(size),
    }


@pytest.fixture
def readers(registry: Registry, live_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    """A requester's client of the live registry; the readers hold a viewer token. An approved
    entry and a revoked one are what the readers must keep reading."""
    monkeypatch.setenv("MCPWARD_REGISTRY_TOKEN", registry.create_token("gateway", Role.VIEWER, "setup"))
    mallory = registry.create_token("mallory", Role.REQUESTER, "setup")
    alice = registry.create_token("alice", Role.REQUESTER, "setup")
    with httpx.Client(base_url=live_server, timeout=60) as client:
        for name in ("files", "old"):
            answer = client.post(
                "/api/entries", json=_remote_request(name), headers={"Authorization": f"Bearer {alice}"}
            )
            assert answer.status_code == 201, answer.text
            registry.approve(answer.json()["id"], "bob", "reviewed")
        registry.revoke(registry.find("io.github.acme/old")[0].id, "bob", "withdrawn")
        client.headers["Authorization"] = f"Bearer {mallory}"
        yield client


def _still_read(live_server: str) -> None:
    entries, today = all_entries(live_server)  # enforce's read
    by_name = {entry.name: entry for entry in entries}
    assert by_name["io.github.acme/files"].status is Status.APPROVED
    assert by_name["io.github.acme/files"].pins  # the gateway enforces them
    policy = compile_policy(entries, today)
    assert "https://old.example.com/mcp" in {s.url for s in policy.servers if s.decision is Decision.DENY}
    assert [s.url for s in policy.allowed] == ["https://files.example.com/mcp"]
    index = approval_index(live_server)  # scan's and the gateways' read
    served = ObservedServer(
        host="claude-code", name="files", kind="remote", package="https://files.example.com/mcp"
    )
    assert index.judge(served).status == "approved"


def test_a_flood_of_requests_does_not_stop_the_readers(
    registry: Registry, live_server: str, readers: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_remote, "MAX_ENTRIES", 10)  # 50,000: 25 minutes of a requester's rate
    for index in range(12):
        assert readers.post("/api/entries", json=_remote_request(f"flood{index}")).status_code == 201
    _still_read(live_server)
    # A reviewer's page still lists them all for review.
    assert registry.count(status=Status.REQUESTED) == 12


def test_requests_as_large_as_a_body_may_be_do_not_stop_the_readers(
    registry: Registry, live_server: str, readers: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_remote, "MAX_PAGE_BYTES", 2 * 1024 * 1024)  # 128 MiB: some 75 such requests
    ids = []
    for index in range(3):
        answer = readers.post("/api/entries", json=_remote_request(f"big{index}", 900_000))
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    _still_read(live_server)
    # The reviewers reject the flood: rejected, nothing runs them, and they are denied by what
    # they are, not by their pins.
    for entry_id in ids:
        registry.reject(entry_id, "bob", "spam")
    _still_read(live_server)
    entries, _today = all_entries(live_server)
    rejected = [entry for entry in entries if entry.status is Status.REJECTED]
    assert len(rejected) == 3 and all(not entry.pins and entry.server_json is None for entry in rejected)
    denied = {s.url for s in compile_policy(entries, _today).denied}
    assert denied == {"https://old.example.com/mcp", *(f"https://big{i}.example.com/mcp" for i in range(3))}


def test_the_api_still_answers_every_entry_whole_without_decided(
    registry: Registry, live_server: str, readers: httpx.Client
) -> None:
    assert readers.post("/api/entries", json=_remote_request("pending")).status_code == 201
    viewer = {"Authorization": f"Bearer {registry.create_token('carol', Role.VIEWER, 'setup')}"}
    every = httpx.get(f"{live_server}/api/entries", headers=viewer, timeout=30).json()
    assert {entry["status"] for entry in every["entries"]} == {"approved", "revoked", "requested"}
    assert every["total"] == 3
    assert all(entry["pins"] for entry in every["entries"])  # answered whole, as before
    decided = httpx.get(f"{live_server}/api/entries?decided=true", headers=viewer, timeout=30).json()
    assert {entry["status"] for entry in decided["entries"]} == {"approved", "revoked"}
    assert decided["total"] == 2


def test_an_identity_is_no_larger_than_a_reader_takes(
    registry: Registry, live_server: str, readers: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a rejected entry still brings its readers is its identity: a remote URL as long as
    the body limit allowed (no client's file holds one past 2,000 characters) made the same
    flood, once the reviewers rejected it."""
    long_url = {
        **_remote_request("long"),
        "identity": {"kind": "remote", "url": "https://long.example.com/" + "a" * 900_000},
    }
    refused = readers.post("/api/entries", json=long_url)
    assert refused.status_code == 422 and "a" * 100 not in refused.text
    long_name = {
        **_remote_request("npm"),
        "identity": {"kind": "package", "ecosystem": "npm", "name": "n" * 600, "version": "1.0.0"},
    }
    assert readers.post("/api/entries", json=long_name).status_code == 422
    # Past what the entries' columns hold (500 characters without the query): a 500 on
    # PostgreSQL, an internal error, before.
    deep = {
        **_remote_request("deep"),
        "identity": {"kind": "remote", "url": "https://deep.example.com/" + "p" * 600},
    }
    answer = readers.post("/api/entries", json=deep)
    assert answer.status_code == 422 and "longer than the registry holds" in answer.text
    # A URL as long as a real one still is a request.
    ordinary = "https://mcp.example.com/v1/servers/" + "s" * 200 + "/mcp?tenant=acme"
    fits = {**_remote_request("fits"), "identity": {"kind": "remote", "url": ordinary}}
    assert readers.post("/api/entries", json=fits).status_code == 201
    _still_read(live_server)
