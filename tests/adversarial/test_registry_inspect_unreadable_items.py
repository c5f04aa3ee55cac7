"""A hostile remote server asks to be approved in the registry (``registry request URL --url
URL``) with a ``tools/list`` page holding, beside a clean tool, one tool the official SDK cannot
read (a schema nested 100 levels deep, a name that is no string, an item that is no object).
``mcpward inspect`` run live makes each such item an ``unreadable-item`` finding of its own
(tests/adversarial/test_inspect_unreadable_items.py), since an SDK-based client refuses the
whole list for it. The registry's inspection of the same server did not ask for them: the
request's evidence had the clean tool's look and one note on the requester's terminal, no
finding, so the entry a reviewer approves said "0 inspect findings" for a server whose list
hides an unreadable item.

Now the registry's inspection reports the same ``unreadable-item`` findings, stored with the
request: shown on the entry (its count and its worst) and counted as every other inspect
finding; a medium one does not refuse the approval by policy (only a critical one does), the
reviewer judges it. The look is still never pinned."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from loopback import handler_serving
from mcpward.registry import DataScope, EntryRequest, Registry, gather_evidence, parse_identity
from mcpward.registry._service import policy_refusals

CLEAN = {"name": "add", "inputSchema": {"type": "object"}, "description": "Adds two numbers."}
DEEP = '{"type": "object", "properties": {"a": ' * 100 + '{"type": "object"}' + "}}" * 100

#: The odd item of the page, and the name its finding gives it.
ODD = {
    "schema-100-deep": (f'{{"name": "deep", "inputSchema": {DEEP}}}', "deep"),
    "name-not-a-string": ('{"name": 5, "inputSchema": {"type": "object"}}', "(no name)"),
    "not-an-object": ('"a tool"', "(not an object)"),
}


@contextlib.contextmanager
def _server(page: str) -> Iterator[str]:
    """A streamable HTTP server on loopback answering every list with ``page``, as JSON."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if "id" not in message:
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if message["method"] == "initialize":
                result = json.dumps({"protocolVersion": message["params"]["protocolVersion"],
                                     "capabilities": {"tools": {}}, "serverInfo": {"name": "h", "version": "1"}})  # fmt: skip
            else:
                result = page
            body = f'{{"jsonrpc": "2.0", "id": {json.dumps(message["id"])}, "result": {result}}}'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # a refused answer's reader hangs up
                self.wfile.write(body)

        def do_GET(self) -> None:
            self.send_response(405)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield f"{base}/mcp"


@pytest.mark.parametrize("case", sorted(ODD))
def test_an_unreadable_item_is_a_finding_the_reviewer_sees(case: str, registry: Registry) -> None:
    odd, odd_name = ODD[case]
    with _server(f'{{"tools": [{json.dumps(CLEAN)}, {odd}]}}') as url:
        identity = parse_identity(url)
        evidence = gather_evidence(identity, urls=(url,), timeout=20)
    (refused,) = [f for f in evidence.inspect_findings if f["rule"] == "unreadable-item"]
    assert refused["tool"] == odd_name and refused["severity"] == "medium"
    assert "cannot read" in str(refused["message"])
    assert not evidence.pins  # a look with an unreadable item is never pinned
    assert any("cannot read" in note for note in evidence.notes)

    request = EntryRequest(
        name="com.example/hostile",
        identity=identity,
        owner="team-platform",
        scope=DataScope(reads=("project files",)),
        pins=evidence.pins,
        inspect_findings=evidence.inspect_findings,
    )
    entry = registry.request(request, "alice")
    # Stored with the request, counted and graded as any other (the review page shows the
    # count and the worst, the queue the worst).
    assert list(entry.inspect_findings) == list(evidence.inspect_findings)
    assert entry.worst_inspect is not None and entry.worst_inspect["severity"] == "medium"
    # Medium: not one of the policy's refusals; the reviewer judges it.
    assert not [check for check, _ in policy_refusals(entry) if check == "inspect-critical"]


def test_a_readable_listing_has_no_such_finding_and_is_pinned() -> None:
    with _server(json.dumps({"tools": [CLEAN]})) as url:
        evidence = gather_evidence(parse_identity(url), urls=(url,), timeout=20)
    assert not evidence.inspect_findings
    assert list(evidence.pins) == ["tool:add"]
    assert not evidence.notes
