"""What the user types into a form reaches a 2026-07-28 server in the client's retry of its
call (``inputResponses``, the revision's multi-round-trip requests; ``tasks/update`` for a
task), not as an answer to a request of the server's. ``gateway run`` passes that revision
through (the official SDK's client speaks it by default, over stdio too), and DLP read a call's
``arguments`` only: a token pasted into an ordinary form reached the server as typed and was
not in the audit log at all, where a session client's answer is masked and recorded. The
answers are now judged and masked as a session client's are, and recorded masked."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import anyio
from gateway_attack_kit import SECRET, form_server_through_run

NOTE_FORM = {
    "message": "Anything to add to the report?",
    "requestedSchema": {"type": "object", "properties": {"note": {"type": "string"}}},
}


async def _answered_through_run(tmp_path: Path, mode: str) -> tuple[str, str]:
    """The protocol version spoken and the server's digest of the answer it got."""
    from mcp.client import Client
    from mcp.client.stdio import stdio_client
    from mcp_types import ElicitResult

    params = form_server_through_run(tmp_path)

    async def on_elicit(context: Any, params: Any) -> Any:
        return ElicitResult(action="accept", content={"note": f"see {SECRET}"})  # pasted by mistake

    async with Client(stdio_client(params), mode=mode, elicitation_callback=on_elicit) as client:  # type: ignore[arg-type]
        await client.list_tools()
        result = await client.call_tool("ask", {"form": json.dumps(NOTE_FORM), "digest": True})
        return client.protocol_version, result.content[0].text  # type: ignore[union-attr]


def _as_typed() -> str:
    return "accept: " + hashlib.sha256(json.dumps({"note": f"see {SECRET}"}).encode()).hexdigest()


def test_a_2026_07_28_clients_answer_is_masked_and_recorded_as_a_sessions_is(tmp_path: Path) -> None:
    for mode in ("legacy", "2026-07-28"):
        folder = tmp_path / mode
        folder.mkdir()
        version, got = anyio.run(_answered_through_run, folder, mode)
        assert version != "2026-07-28" if mode == "legacy" else version == mode
        assert got.startswith("accept: ") and got != _as_typed(), (mode, got)  # masked on the way
        log = (folder / "audit.jsonl").read_text()
        assert SECRET not in log and "see ghp_****" in log, (mode, log[-2000:])
