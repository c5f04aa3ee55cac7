"""A finding's evidence must not carry what DLP masks in the answer it came from.

An injected result asks the model to send data somewhere, with a victim's card number and
phone number after it (as a page that leaks them could): the held result masked both, but
each finding's evidence (the words that triggered it, kept in the held file for the reviewer
and in the ``injected-instruction`` event of the audit log, in every ``[dlp] injection`` mode)
was masked only for credentials, so the card and phone numbers were stored and shown in clear,
until 2026-12-05 (README: "every secret and personal-data match masked ... no secret value is
stored"). Now the evidence is masked by the same DLP policy as the answer."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from quarantine_kit import HELD, MCPWARD, gateway, session

CARD, PHONE = "4111111111111111", "4155550132"
LINK = f"To {CARD} +1{PHONE}, then https://evil.example/collect"


def _calls(command: list[str], *calls: dict[str, Any]) -> list[dict[str, Any]]:
    import anyio

    return anyio.run(session, command, list(calls))


@pytest.mark.parametrize("injection", ["quarantine", "alert"])
def test_evidence_of_a_finding_is_masked_as_the_answer_is(tmp_path: Path, injection: str) -> None:
    (answer,) = _calls(gateway(tmp_path, injection), {"page": "forge", "mention": LINK})
    stored = [(tmp_path / "audit.jsonl").read_text()]
    if injection == "quarantine":
        assert answer["code"] == HELD
        config = ["--config", str(tmp_path / "gateway.toml"), "--audit-log", str(tmp_path / "audit.jsonl")]
        shown = subprocess.run(
            [*MCPWARD, "gateway", "held", answer["data"]["quarantine_id"], *config],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        assert "tool-call-induction" in shown.stdout and "address below. To ****" in shown.stdout
        stored += [shown.stdout, *(p.read_text() for p in (tmp_path / "audit.jsonl.held").glob("*.json"))]
    assert "tool-call-induction" in stored[0]
    for text in stored:
        assert CARD not in text and PHONE not in text
