"""Attack: a requester makes ``registry serve`` hold hundreds of megabytes with one reviewer's
look at the queue, and gigabytes with one page of the API. The review queue (``GET /queue``, 200 entries) and a page of ``GET /api/entries`` (up to
1,000) built every entry whole: its pins, ``server.json``, vet claim, inspect findings and scope,
each up to the 2 MiB body limit a request may be. A requester files requests near that limit
(2,000 a minute are allowed), and every reviewer opening the queue, every viewer reading a page,
made the server hold more than was filed: 24 requests of 1.5 MB (36 MB) were 57 MB more for one
queue view and 73 MB more for one page (200 at the limit, some 650 MB for the queue; 1,000,
gigabytes for a page).

Now the queue reads what it shows (no pins, ``server.json``, claims or scope; the worst inspect
finding worked out one entry at a time), and a page of ``/api/entries`` ends once its entries
pass a size budget (at least one entry a page; ``total`` says how many there are, and the
readers follow the offsets to the end). Here 24 requests of 1.5 MB stand for the 200."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_attack_kit import memory_kb

from loopback import free_port, wait_for
from mcpward.inspect import pin_record, signature
from mcpward.output.entries import advisories_text, change_text, worst_text
from mcpward.registry import Identity, Registry, Role, Status, all_entries
from mcpward.registry.interface import ObservedServer
from mcpward.registry.web import _api
from test_registry import package_request

_REQUESTS = 24
_SIZE = 1_500_000


def _request(name: str, size: int) -> dict[str, Any]:
    tool = {"name": "search", "description": "x" * size, "inputSchema": {"type": "object"}}
    return {
        "name": f"io.github.acme/{name}",
        "identity": {"kind": "remote", "url": f"https://{name}.example.com/mcp"},
        "owner": "team",
        "pins": pin_record([signature("", "tool", tool)]),
    }


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, int, dict[str, str]]]:
    """``registry serve`` as its own process on loopback, its database holding the flood; the
    address, the process id and the tokens (a requester's, a reviewer's)."""
    registry = Registry.open(database_url)
    tokens = {
        "mallory": registry.create_token("mallory", Role.REQUESTER, "setup"),
        "bob": registry.create_token("bob", Role.REVIEWER, "setup"),
    }
    registry.database.dispose()
    port = free_port()
    command = [sys.executable, "-m", "mcpward", "registry", "serve", "--port", str(port),
               "--database", database_url]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, process)
        yield f"http://127.0.0.1:{port}", process.pid, tokens
    finally:
        process.terminate()
        process.wait(timeout=30)


def _grown_mb(pid: int, read: Any) -> float:
    """How far the server's peak rose over what it held before ``read()``."""
    before = memory_kb(pid, "VmHWM")
    read()
    return (memory_kb(pid, "VmHWM") - before) / 1024


def test_the_queue_and_an_api_page_do_not_hold_what_a_requester_filed(
    served: tuple[str, int, dict[str, str]],
) -> None:
    base, pid, tokens = served
    mallory = {"Authorization": f"Bearer {tokens['mallory']}"}
    with httpx.Client(base_url=base, timeout=120) as client:
        for index in range(_REQUESTS):
            answer = client.post("/api/entries", json=_request(f"big{index}", _SIZE), headers=mallory)
            assert answer.status_code == 201, answer.text
        filed_mb = _REQUESTS * _SIZE / 1e6
        # A reviewer signs in and opens the queue.
        signed_in = client.post("/login", data={"token": tokens["bob"]}, follow_redirects=False)
        assert signed_in.status_code == 303

        def queue() -> None:
            page = client.get("/queue")
            assert page.status_code == 200 and page.text.count("/entries/") == _REQUESTS

        queue_mb = _grown_mb(pid, queue)
        assert queue_mb < filed_mb / 4, f"one queue view held {queue_mb:.0f} MB ({filed_mb:.0f} MB filed)"

        # The fleet's page and API judge each reported server against every entry: they built
        # every entry whole, requests waiting included (twice for one view of /fleet).
        def fleet() -> None:
            assert client.get("/fleet").status_code == 200
            assert client.get("/api/fleet/servers", headers=mallory).status_code == 200

        fleet_mb = _grown_mb(pid, fleet)
        assert fleet_mb < filed_mb / 4, f"the fleet's views held {fleet_mb:.0f} MB ({filed_mb:.0f} MB filed)"

        def api_page() -> None:
            answer = client.get("/api/entries", params={"limit": 1000}, headers=mallory)
            assert answer.status_code == 200 and answer.json()["total"] == _REQUESTS

        api_mb = _grown_mb(pid, api_page)
        assert api_mb < filed_mb, f"one page of /api/entries held {api_mb:.0f} MB ({filed_mb:.0f} MB filed)"


def test_a_reader_following_offsets_reads_every_entry_of_short_pages(
    served: tuple[str, int, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages end early past the budget: enforce's and the gateways' read still gets every entry
    (it stopped at the first page shorter than it asked for)."""
    base, _pid, tokens = served
    mallory = {"Authorization": f"Bearer {tokens['mallory']}"}
    registry_ids = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for index in range(8):
            answer = client.post("/api/entries", json=_request(f"big{index}", _SIZE), headers=mallory)
            assert answer.status_code == 201, answer.text
            registry_ids.append(answer.json()["id"])
        # The reviewers approve them all (their pins are what gateways enforce: read whole).
        bob = {"Authorization": f"Bearer {tokens['bob']}"}
        for entry_id in registry_ids:
            decided = client.post(
                f"/api/entries/{entry_id}/approve", json={"rationale": "reviewed"}, headers=bob
            )
            assert decided.status_code == 200, decided.text
        first = client.get("/api/entries", params={"limit": 500, "decided": "true"}, headers=mallory).json()
        assert first["total"] == 8 and 0 < len(first["entries"]) < 8  # a short page
    monkeypatch.setenv("MCPWARD_REGISTRY_TOKEN", tokens["mallory"])
    entries, _today = all_entries(base)
    assert sorted(entry.id for entry in entries) == sorted(registry_ids)
    assert all(entry.status is Status.APPROVED and entry.pins for entry in entries)


def test_the_queue_shows_of_ordinary_entries_what_it_showed(registry: Registry) -> None:
    """Clean: each queue line read from a summary says what it said from the entry whole."""
    critical = {"severity": "critical", "rule": "conceal-from-user", "message": "hides a step"}
    low = {"severity": "low", "rule": "long-description", "message": "long"}
    pins = _request("pinned", 100)["pins"]
    approved = registry.request(package_request(name="memory", version="2.0.0"), "alice")
    registry.approve(approved.id, "bob", "ok")
    registry.request(
        package_request(name="memory", version="1.0.0", inspect_findings=(low, critical)), "alice"
    )
    registry.request(package_request(name="memory", version="3.0.0", pins=pins), "alice")
    registry.request(package_request(name="clean", pins=pins, inspect_findings=(low,)), "alice")
    registry.request(package_request(name="unpinned", vet=None), "alice")
    registry.request(
        package_request(
            name="postmark",
            identity=Identity(kind="package", ecosystem="npm", name="postmark-mcp", version="1.0.16"),
        ),
        "alice",
    )
    sensitive = registry.request(package_request(name="sensitive", tier=0, pins=pins), "alice")
    registry.approve(sensitive.id, "bob", "one of two")
    gone = registry.request(package_request(name="gone", pins=pins), "alice")
    registry.approve(gone.id, "bob", "ok")
    registry.revoke(gone.id, "bob", "withdrawn")
    queued = (Status.REQUESTED, Status.EXPIRED)
    summaries, inspected = registry.summaries(status=queued, limit=200)
    whole = registry.entries(status=queued, limit=200)
    assert [s.id for s in summaries] == [w.id for w in whole] and len(whole) == 6

    def shown(entry: Any, pinned: bool | None = None) -> tuple[Any, ...]:
        return (
            entry.id, entry.name, entry.identity.display, entry.change, change_text(entry), entry.tier,
            entry.vet.verdict if entry.vet else None, worst_text(entry, pinned), entry.worst_inspect,
            advisories_text(entry), entry.owner, entry.status, entry.approvals, entry.approvals_needed,
            entry.superseded_on, entry.requested_at, entry.requested_by,
        )  # fmt: skip

    assert [shown(s, s.id in inspected) for s in summaries] == [shown(w) for w in whole]
    texts = {f"{w.name.rpartition('/')[2]}{w.identity.version}": worst_text(w) for w in whole}
    assert texts["memory1.0.0"] == "critical conceal-from-user" and texts["unpinned1.2.3"] == "not run"
    assert texts["memory3.0.0"] == "clean" and texts["clean1.2.3"] == "low long-description"
    # The fleet judges servers by the entries' summaries as it did by the entries whole.
    observed = [
        ObservedServer(
            host="claude-code", name="s", kind="package", ecosystem="npm", package=package, version=v
        )
        for package in (
            "@acme/memory",
            "@acme/gone",
            "@acme/clean",
            "@acme/sensitive",
            "postmark-mcp",
            "@acme/none",
        )
        for v in ("1.0.0", "2.0.0", "3.0.0", "1.2.3", "1.0.16", None)
    ]
    whole_index, summary_index = registry.approval_index(), registry.judging_index()
    assert [summary_index.judge(o) for o in observed] == [whole_index.judge(o) for o in observed]
    assert {whole_index.judge(o).status for o in observed} >= {
        "approved",
        "unapproved",
        "version-drift",
        "revoked",
    }


def test_ordinary_pages_are_whole_and_short_pages_lose_nothing(
    registry: Registry, live_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clean: a registry's ordinary entries come in whole pages, as before; under a small budget
    the pages are short and a reader following the offsets reads the same entries."""
    pins = _request("pinned", 2000)["pins"]
    for index in range(12):
        entry = registry.request(package_request(name=f"s{index}", pins=pins), "alice")
        if index % 3:
            registry.approve(entry.id, "bob", "ok")
        if index % 3 == 2:
            registry.revoke(entry.id, "bob", "withdrawn")
    viewer = {"Authorization": f"Bearer {registry.create_token('carol', Role.VIEWER, 'setup')}"}

    def read(decided: bool, limit: int) -> list[dict[str, Any]]:
        read_so_far: list[dict[str, Any]] = []
        while True:
            params = {"limit": limit, "offset": len(read_so_far), "decided": str(decided).lower()}
            page = httpx.get(f"{live_server}/api/entries", params=params, headers=viewer, timeout=30).json()
            read_so_far += page["entries"]
            if not page["entries"] or len(read_so_far) >= page["total"]:
                return read_so_far

    whole = {decided: read(decided, 1000) for decided in (False, True)}
    first = httpx.get(f"{live_server}/api/entries", params={"limit": 1000}, headers=viewer, timeout=30).json()
    assert len(first["entries"]) == first["total"] == 12  # one whole page
    revoked = [e for e in whole[True] if e["status"] == "revoked"]
    assert len(revoked) == 4 and all(not e["pins"] and e["server_json"] is None for e in revoked)
    assert all(e["pins"] for e in whole[True] if e["status"] == "approved")
    monkeypatch.setattr(_api, "PAGE_CHARS", 10_000)
    short = httpx.get(f"{live_server}/api/entries", params={"limit": 1000}, headers=viewer, timeout=30).json()
    assert 0 < len(short["entries"]) < 12 and short["total"] == 12
    for decided in (False, True):
        assert read(decided, 1000) == whole[decided]


def test_the_quarterly_report_does_not_hold_what_requesters_filed(database_url: str) -> None:
    """``report audit`` read every entry whole (requests waiting included) for its registry
    section, and again for the index that judges this machine's servers and the packages the
    gateway ran: 24 requests of 1.5 MB made one report hold more than twice what was filed.
    Now only approved entries are read whole (their findings and the questionnaire's answers
    are the report's); the rest, and both indexes, are summaries."""
    import tracemalloc
    from datetime import timedelta

    from mcpward.report.audit import build_audit

    registry = Registry.open(database_url)
    try:
        for index in range(_REQUESTS):
            registry.request(package_request(f"big{index}", pins=_request("x", _SIZE)["pins"]), "mallory")
        approved = registry.request(package_request("files"), "alice")
        registry.approve(approved.id, "bob", "read the code")
        local = [("laptop", ObservedServer(host="claude", name="files", kind="package", ecosystem="npm",
                                           package="@acme/files", version="1.2.3"))]  # fmt: skip
        tracemalloc.start()
        try:
            document = build_audit(registry, since=timedelta(days=90), local=local)
            peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        finally:
            tracemalloc.stop()
    finally:
        registry.database.dispose()
    filed_mb = _REQUESTS * _SIZE / 1e6
    assert document["registry"] == {"requested": _REQUESTS, "approved": 1}
    assert document["fleet_by_status"] == {"approved": 1}
    assert peak_mb < filed_mb / 4, f"one report held {peak_mb:.0f} MB ({filed_mb:.0f} MB filed)"
