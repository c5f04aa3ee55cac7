"""A client that uses a request id again once its answer came (JSON-RPC asks ids to be unique
only among requests in flight; simple clients number every request 1), through ``mcpward
gateway run``.

Before (2026-12-05): the stdio front end armed each request's timeout under ``repr`` of its id
(``1``) and, when the answer came, looked for it under the relay's key read back (``'1.0'``):
a number's timer was never cancelled. It fired ``call_timeout`` after the first request, found
the second in flight under the same id, expired it (the client got "did not answer in time" for
a call the server was still working on, well within its own timeout) and the server's answer
was dropped; and every request's timer stayed in a table for the session's life.

Now timers are kept by the relay's key of the id, and an answer cancels its request's timer."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
from gateway_attack_kit import MCPWARD

#: Answers ``ping`` at once and a call after 1.5 s.
_SERVER = (
    "import json, sys, time\n"
    "for line in sys.stdin:\n"
    "    m = json.loads(line)\n"
    "    if m.get('method') == 'tools/call':\n"
    "        time.sleep(1.5)\n"
    "    print(json.dumps({'jsonrpc': '2.0', 'id': m['id'], 'result': {'content': [{'type': 'text', 'text': m['method']}]}}), flush=True)\n"
)


def _answers(tmp_path: Path, first_id: object, second_id: object) -> tuple[dict[str, object], float]:
    """A ping as ``first_id``, then 0.8 s after its answer a call of 1.5 s as ``second_id``,
    with a call timeout of 2 s: the call's answer and how long after the ping's answer it came."""
    config = tmp_path / "gateway.toml"
    config.write_text(
        "call_timeout = 2\n[pins]\nenabled = false\n[baseline]\nenabled = false\n", encoding="utf-8"
    )
    command = [*MCPWARD, "gateway", "run", "--server", "slow", "--config", str(config),
               "--audit-log", str(tmp_path / "audit.jsonl"), "--", sys.executable, "-c", _SERVER]  # fmt: skip
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        for ping_id in ("warm", "warm again", first_id):  # the checks' first use may take seconds
            process.stdin.write(orjson.dumps({"jsonrpc": "2.0", "id": ping_id, "method": "ping"}) + b"\n")
            process.stdin.flush()
            assert orjson.loads(process.stdout.readline())["id"] == ping_id
        started = time.monotonic()  # the ping's timer fires 2 s after about now
        time.sleep(0.8)
        call = {
            "jsonrpc": "2.0",
            "id": second_id,
            "method": "tools/call",
            "params": {"name": "slow", "arguments": {}},
        }
        process.stdin.write(orjson.dumps(call) + b"\n")
        process.stdin.flush()
        answer = orjson.loads(process.stdout.readline())
        return answer, time.monotonic() - started
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def test_a_number_id_used_again_gets_the_servers_answer_not_the_first_requests_timeout(
    tmp_path: Path,
) -> None:
    answer, after = _answers(tmp_path, 1, 1)
    assert "result" in answer, (answer, after)
    assert after > 2.0, after


def test_a_string_id_used_again_as_before(tmp_path: Path) -> None:
    answer, _ = _answers(tmp_path, "a", "a")
    assert "result" in answer, answer


def test_another_id_gets_its_answer_as_before(tmp_path: Path) -> None:
    answer, _ = _answers(tmp_path, 1, 2)
    assert "result" in answer, answer
