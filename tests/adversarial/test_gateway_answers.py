"""Both sides of judging every answer: with the injection check on ``alert`` (the default) a
resource read or a prompt with a secret still reaches the client, the secret masked, and the
audit records the answer masked too."""

from __future__ import annotations

import json
from pathlib import Path

from gateway_attack_kit import SECRET
from test_review_attack1 import _gateway, _read, _send

from loopback import end_by_closing_input


def test_a_resource_and_a_prompt_reach_the_client_masked(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path)
    try:
        _send(
            gateway,
            {"jsonrpc": "2.0", "id": 2, "method": "resources/read", "params": {"uri": "file:///notes"}},
        )
        resource = _read(gateway)
        _send(gateway, {"jsonrpc": "2.0", "id": 3, "method": "prompts/get", "params": {"name": "p"}})
        prompt = _read(gateway)
    finally:
        end_by_closing_input(gateway)
    assert resource["result"]["contents"][0]["text"].startswith("token: ")
    assert prompt["result"]["messages"][0]["content"]["text"].startswith("use ")
    for answer in (resource, prompt):
        assert SECRET not in json.dumps(answer)
    log = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert SECRET not in log
    records = [json.loads(line) for line in log.splitlines() if line]
    answered = {r["method"]: r for r in records if r.get("stage") == "response"}
    for method in ("resources/read", "prompts/get"):
        assert answered[method]["decision"] == "redact", answered[method]
        kinds = {event["kind"] for event in answered[method].get("events", [])}
        assert {"dlp-result", "injected-instruction"} <= kinds, kinds
