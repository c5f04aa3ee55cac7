"""What an organisation's own DLP rule finds (a code name, an internal id), under an ``alert``
action, in the arguments of a request other than a tool call (a prompt's arguments) or in a
2026-07-28 client's answers (``inputResponses``): the request passes, as the policy says, and
its audit record must mask the match, as a tool call's record does.

Before (2026-12-06): DLP judged these by the policy, but the audit record was masked again by
the default rules alone, which do not know the organisation's: the code name was written to
the log (and its sinks) in clear, while the same words as a tool call's argument were masked.

Now the record keeps the policy's masked copy for them too. Words no rule knows are recorded as
they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from mcpward.gateway import AuditLog, GatewayConfig, Relay, Session, build_interceptors

POLICY = '[[rules]]\nid = "code-names"\nkeywords = ["Project Falcon"]\naction = "alert"\n'


def _records(tmp_path: Path, said: str) -> list[dict[str, Any]]:
    """The request records of a session that sends ``said`` as a prompt's argument, a tool
    call's argument and a 2026-07-28 client's answer, under ``POLICY``."""
    (tmp_path / "dlp.toml").write_text(POLICY, encoding="utf-8")
    config = GatewayConfig.model_validate(
        {
            "pins": {"enabled": False},
            "baseline": {"enabled": False},
            "dlp": {"policy": str(tmp_path / "dlp.toml")},
        }
    )
    audit = AuditLog(tmp_path / "audit.jsonl")
    relay = Relay(
        Session(server="docs", target="t"), build_interceptors(config, audit_log=audit), max_message=1 << 20
    )
    requests = [
        {"method": "prompts/get", "params": {"name": "review", "arguments": {"code": said}}},
        {"method": "tools/call", "params": {"name": "lookup", "arguments": {"q": said}}},
        {"method": "tools/call",
         "params": {"name": "lookup", "arguments": {}, "inputResponses": {"r0": {"content": {"q": said}}}}},
    ]  # fmt: skip
    for number, request in enumerate(requests):
        outs = relay.client_message(orjson.dumps({"jsonrpc": "2.0", "id": number, **request}))
        assert outs[0].to == "server", outs
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    return [record for record in map(json.loads, lines) if record["stage"] == "request"]


def test_the_policys_matches_are_masked_in_every_request_record(tmp_path: Path) -> None:
    records = _records(tmp_path, "the Project Falcon budget")
    assert [r["decision"] for r in records] == ["alert"] * 3, records
    assert "Project Falcon" not in json.dumps(records), records
    assert records[0]["arguments"]["code"].startswith("the "), records


def test_words_no_rule_knows_are_recorded_as_they_were(tmp_path: Path) -> None:
    records = _records(tmp_path, "the Project Heron budget")
    assert [r["decision"] for r in records] == ["allow"] * 3, records
    assert [r["arguments"] for r in records[:2]] == [{"code": "the Project Heron budget"},
                                                     {"q": "the Project Heron budget"}]  # fmt: skip
    assert records[2]["input_responses"] == {"r0": {"content": {"q": "the Project Heron budget"}}}
