"""Attacks on the gateway's audit log: a record too large for the writer's tail read, writers
killed mid-record, and an attacker who can rewrite the log file (delete its newest records,
recompute the whole chain, empty it)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
from gateway_attack_kit import MCPWARD

#: A server with two tools: echo answers, hang never does (its call stays in flight).
_SERVER = """
import json, sys
tools = [{"name": n, "description": n, "inputSchema": {"type": "object"}} for n in ("echo", "hang")]
for line in sys.stdin:
    m = json.loads(line)
    if "id" not in m or m.get("params", {}).get("name") == "hang":
        continue
    result = {"tools": tools} if m["method"] == "tools/list" else {"content": [{"type": "text", "text": "ok"}]}
    print(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": result}), flush=True)
"""


def _gateway(tmp_path: Path, log: Path) -> list[str]:
    config = tmp_path / "gateway.toml"
    if not config.exists():
        config.write_text(
            f'[pins]\nstore = "{tmp_path / "pins.json"}"\n[baseline]\nenabled = false\n', encoding="utf-8"
        )
    return [*MCPWARD, "gateway", "run", "--server", "echo", "--config", str(config), "--audit-log", str(log),
            "--", sys.executable, "-c", _SERVER]  # fmt: skip


def _message(number: int, method: str, params: dict[str, Any]) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": number, "method": method, "params": params}) + b"\n"


def _open(tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    """A client through ``gateway run`` that has initialized and listed the tools."""
    process = subprocess.Popen(
        _gateway(tmp_path, log), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(_message(0, "initialize", {}) + _message(1, "tools/list", {}))
    process.stdin.flush()
    for _ in range(2):  # the calls follow the listing, as a client's do
        process.stdout.readline()
    return process


def _session(tmp_path: Path, log: Path, texts: list[str], tool: str = "echo") -> list[dict[str, Any]]:
    """One client: initialize, list, then one call per text; the answers to the calls."""
    process = _open(tmp_path, log)
    calls = (
        _message(n + 2, "tools/call", {"name": tool, "arguments": {"text": t}}) for n, t in enumerate(texts)
    )
    out, _ = process.communicate(b"".join(calls), timeout=120)
    return [json.loads(line) for line in out.splitlines()]


def _big_call_in_flight(tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    """A gateway whose last record is a 200 KB call the server has not answered."""
    process = _open(tmp_path, log)
    assert process.stdin is not None
    process.stdin.write(_message(2, "tools/call", {"name": "hang", "arguments": {"text": "x" * 200_000}}))
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while b'"hang"' not in log.read_bytes()[-300_000:] and time.monotonic() < deadline:
        time.sleep(0.05)
    return process


def _verify(log: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MCPWARD, "audit", "verify", str(log)], capture_output=True, text=True, timeout=60)


def _ok(answers: list[dict[str, Any]], count: int) -> bool:
    return len(answers) == count and all("result" in a for a in answers)


def test_a_record_larger_than_the_tail_read_does_not_stop_the_other_gateways(tmp_path: Path) -> None:
    """One gateway's last record is a 200 KB call still in flight: another gateway on the same
    log must still work (it refused every call: the last 64 KB of the file were not a whole
    record), and so must every gateway started after the first one is killed."""
    log = tmp_path / "logs" / "audit.jsonl"
    first = _big_call_in_flight(tmp_path, log)
    try:
        assert _ok(_session(tmp_path, log, ["while it writes"]), 1)
        _big_call_in_flight(tmp_path, log).kill()  # dies with its big record last in the file
    finally:
        first.kill()
        first.wait(timeout=30)
    assert _ok(_session(tmp_path, log, ["after it died"]), 1)
    checked = _verify(log)
    assert checked.returncode == 0, checked.stderr


def test_concurrent_gateways_with_large_records_keep_one_chain(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "audit.jsonl"
    results: dict[str, list[dict[str, Any]]] = {}

    def run(name: str, texts: list[str]) -> None:
        results[name] = _session(tmp_path, log, texts)

    threads = [threading.Thread(target=run, args=("big", [c * 150_000 for c in "abcdefghij"])),
               threading.Thread(target=run, args=("small", [f"small {n}" for n in range(30)]))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert _ok(results["big"], 10) and _ok(results["small"], 30)
    checked = _verify(log)
    assert checked.returncode == 0, checked.stderr
    calls = [r for r in map(json.loads, log.read_text().splitlines()) if r.get("method") == "tools/call"]
    assert len(calls) == 2 * 40


def test_a_record_cut_by_a_killed_writer_is_handled_alike_by_writers_and_verify(tmp_path: Path) -> None:
    """A writer killed in the middle of a 200 KB record leaves a line without its end (its call
    was never forwarded: the record is written first). The next gateway carries on and the
    chain continues from the last whole record; verify says the same and names the line."""
    log = tmp_path / "logs" / "audit.jsonl"
    assert _ok(_session(tmp_path, log, ["before"]), 1)
    whole = log.read_bytes().splitlines()[-1]
    record = json.loads(whole)
    record["arguments"] = {"text": "y" * 200_000}
    with log.open("ab") as handle:  # what the killed writer left: 100 KB of a 200 KB line
        handle.write(orjson.dumps(record)[:100_000])
    assert _ok(_session(tmp_path, log, ["after"]), 1)
    checked = _verify(log)
    assert checked.returncode == 0, checked.stderr
    assert "incomplete" in checked.stdout


def _tampered(original: Path, tmp_path: Path, name: str) -> Path:
    """A copy of the log's folder (the log and whatever the gateway keeps beside it)."""
    folder = tmp_path / name
    shutil.copytree(original.parent, folder)
    return folder / original.name


def _rechain(lines: list[bytes]) -> list[bytes]:
    """What an attacker who knows the format does: recompute every hash from the genesis."""
    previous, out = "0" * 64, []
    for line in lines:
        record = json.loads(line)
        record.pop("hash", None)
        record.pop("mac", None)
        record["prev"] = previous
        previous = hashlib.sha256(
            previous.encode() + orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        ).hexdigest()
        out.append(orjson.dumps({**record, "hash": previous}, option=orjson.OPT_SORT_KEYS))
    return out


def test_removing_recomputing_or_emptying_the_log_is_detected(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "audit.jsonl"
    assert _ok(_session(tmp_path, log, [f"call {n}" for n in range(5)]), 5)
    intact = _verify(log)
    assert intact.returncode == 0 and "anchored" in intact.stdout, intact.stdout + intact.stderr
    lines = log.read_bytes().splitlines()

    truncated = _tampered(log, tmp_path, "truncated")
    truncated.write_bytes(b"\n".join(lines[:-2]) + b"\n")
    assert _verify(truncated).returncode == 1

    rewritten = _tampered(log, tmp_path, "rewritten")
    altered = [line.replace(b"call 2", b"call X") for line in lines]
    rewritten.write_bytes(b"\n".join(_rechain(altered)) + b"\n")
    assert _verify(rewritten).returncode == 1

    emptied = _tampered(log, tmp_path, "emptied")
    emptied.write_bytes(b"")
    assert _verify(emptied).returncode == 1

    # Deleted beside its key and head: a break. A path with nothing there is a typo: exit 2.
    deleted = _tampered(log, tmp_path, "deleted")
    deleted.unlink()
    assert _verify(deleted).returncode == 1
    typo = _verify(tmp_path / "logs" / "audti.jsonl")
    assert (typo.returncode, typo.stderr) == (
        2,
        f"mcpward: {tmp_path / 'logs' / 'audti.jsonl'}: no such audit log\n",
    )

    # A gateway started on the truncated log must not make the loss disappear by writing on.
    refused = _session(tmp_path, truncated, ["later"])
    assert (
        refused and "the audit log is broken: it no longer reaches its head" in refused[0]["error"]["message"]
    )
    assert _verify(truncated).returncode == 1
