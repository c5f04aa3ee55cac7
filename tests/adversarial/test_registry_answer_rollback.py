"""Attack: a registry server's answer to ``GET /api/entries`` served again after the registry has
changed: a stale replica or cache in front of it, a mirror, or whoever holds an old answer and
can answer for the registry. A server approved then, revoked since, is approved again for the
gateway (its registry check, ``source = URL``) and for ``enforce --registry URL``, which writes it
into every client's managed files. Before 2026-12-05 an answer carried nothing that said how new
it was, so each consumer took the older answer as it took the newest.

Now each answer says the registry's generation (its newest audit event) it is as new as; the
consumer keeps the newest it has seen of each registry server (in this account's data folder,
and in the process) and refuses an answer older than that, or one that says none after one did,
with one line that says why and what to do."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_kit import mcpward

from loopback import handler_serving
from mcpward.registry import Registry, RegistryError, Role, approval_index

PACKAGE = "@acme/files"


def _entry(status: str) -> dict[str, Any]:
    return {
        "id": 1,
        "name": "io.github.acme/files",
        "identity": {"kind": "package", "ecosystem": "npm", "name": PACKAGE, "version": "1.0.0"},
        "scope": {},
        "owner": "team",
        "tier": 2,
        "derived_tier": 2,
        "status": status,
        "revision": 3 if status == "revoked" else 2,
        "requested_by": "alice",
        "requested_at": "2026-12-01T00:00:00Z",
        "updated_at": "2026-12-01T00:00:00Z",
        "review_due": "2099-01-01",
    }


def _answer(status: str, generation: int | None) -> bytes:
    page: dict[str, Any] = {"entries": [_entry(status)], "total": 1}
    if generation is not None:
        page["generation"] = generation
    return json.dumps(page).encode()


@contextlib.contextmanager
def _serving(answers: list[bytes]) -> Iterator[str]:
    """A registry on loopback answering each read with the next of ``answers`` (the last again)."""
    served = iter(answers)
    last = [answers[0]]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            last[0] = next(served, last[0])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(last[0])))
            self.end_headers()
            self.wfile.write(last[0])

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield base


def _status(read: Callable[[], Any]) -> str:
    from mcpward.registry import ObservedServer

    server = ObservedServer(host="gateway", name="files", kind="package", ecosystem="npm", package=PACKAGE,
                            version="1.0.0")  # fmt: skip
    return str(read().judge(server).status)


def test_an_older_answer_does_not_bring_back_a_revoked_server() -> None:
    revoked_now, approved_then = _answer("revoked", 12), _answer("approved", 9)
    with _serving([revoked_now, approved_then]) as url:
        assert _status(lambda: approval_index(url)) == "revoked"
        with pytest.raises(RegistryError) as refused:
            approval_index(url)  # was: "approved", the revocation undone
    message = str(refused.value)
    assert "generation 9" in message and "12" in message and "older" in message
    assert "registry-generations.json" in message  # what to remove after restoring a backup


def test_an_answer_that_no_longer_says_its_generation_is_refused() -> None:
    with _serving([_answer("revoked", 12), _answer("approved", None)]) as url:
        assert _status(lambda: approval_index(url)) == "revoked"
        with pytest.raises(RegistryError, match="says no generation"):
            approval_index(url)


def test_newer_and_equal_answers_are_taken_and_other_registries_are_apart() -> None:
    with _serving([_answer("approved", 5), _answer("approved", 5), _answer("revoked", 6)]) as url:
        assert _status(lambda: approval_index(url)) == "approved"
        assert _status(lambda: approval_index(url)) == "approved"
        assert _status(lambda: approval_index(url)) == "revoked"
    # Another registry server's generations are its own.
    with _serving([_answer("approved", 1)]) as other:
        assert _status(lambda: approval_index(other)) == "approved"
    # A registry from before generations (no field) is read as before, until it says one.
    with _serving([_answer("approved", None)]) as old:
        assert _status(lambda: approval_index(old)) == "approved"


def test_enforce_remembers_across_runs_and_refuses_in_one_line(tmp_path: Path) -> None:
    with _serving([_answer("revoked", 12), _answer("approved", 9)]) as url:
        first = mcpward("enforce", "--root", str(tmp_path / "a"), "--registry", url)
        assert first.returncode == 0, first.stderr
        replayed = mcpward("enforce", "--root", str(tmp_path / "b"), "--registry", url)
    assert replayed.returncode == 2, replayed.stderr
    assert "Traceback" not in replayed.stderr and "older" in replayed.stderr
    assert not (tmp_path / "b").exists()


def test_the_registry_says_its_generation(registry: Registry, live_server: str) -> None:
    from mcpward.registry import DataScope, EntryRequest, Identity, VetOutcome

    viewer = registry.create_token("viewer", Role.VIEWER, "setup")
    headers = {"Authorization": f"Bearer {viewer}"}

    def generation() -> int:
        answer = httpx.get(f"{live_server}/api/entries", headers=headers, timeout=20)
        value = answer.json()["generation"]
        assert isinstance(value, int)
        return value

    before = generation()
    request = EntryRequest(name="io.github.acme/files", identity=Identity(kind="package", ecosystem="npm",
                           name=PACKAGE, version="1.0.0"), owner="team", scope=DataScope(),
                           vet=VetOutcome(verdict="pass"))  # fmt: skip
    entry = registry.request(request, "alice")
    approved = registry.approve(entry.id, "bob", "fine")
    after_approval = generation()
    registry.revoke(approved.id, "bob", "withdrawn")
    assert before < after_approval < generation()
