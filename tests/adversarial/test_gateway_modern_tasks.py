"""``gateway serve`` and the tasks extension (``io.modelcontextprotocol/tasks``) for MCP
2026-07-28 clients, tested with a client of our own that follows the extension's text (the
official SDK does not speak it yet). The attacks: a task's later result used to carry what a
direct result may not (a credential, past DLP); another client reading, answering or
cancelling a task whose id it learnt; task requests whose routing header disagrees with the
body; tasks asked for by a client that never declared the extension."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loopback import clients_toml, free_port, gateway_serving
from mcpward.gateway import verify

SERVER = Path(__file__).parents[1] / "servers" / "slow_server.py"
TOKENS = {"laptop": "mcpg_tasks-laptop-0123456789abcdef0123", "desk": "mcpg_tasks-desk-0123456789abcdef01234"}
MODERN = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"


def _meta(*, tasks: bool = True, elicitation: bool = False) -> dict[str, Any]:
    capabilities: dict[str, Any] = {}
    if tasks:
        capabilities["extensions"] = {TASKS: {}}
    if elicitation:
        capabilities["elicitation"] = {}
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "tasks-test-client", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    }


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    folder = tmp_path_factory.mktemp("tasks")
    port = free_port()
    clients = clients_toml(TOKENS)
    config = folder / "gateway.toml"
    config.write_text(
        f"call_timeout = 20\n[serve]\nport = {port}\ntask_after_seconds = 0.3\n{clients}"
        f'[pins]\nstore = "{folder / "pins.json"}"\n[baseline]\npath = "{folder / "baseline.json"}"\n'
        f'[servers.slow]\ncommand = ["{sys.executable}", "{SERVER}"]\n',
        encoding="utf-8",
    )
    log = folder / "audit.jsonl"
    with gateway_serving(config, log, port):
        yield port, log


def _post(
    port: int,
    method: str,
    params: dict[str, Any],
    *,
    client: str = "laptop",
    name: str | None = None,
    meta: dict[str, Any] | None = None,
) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": {**params, "_meta": meta or _meta()}}
    headers = {
        "Authorization": f"Bearer {TOKENS[client]}",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": method,
    }
    subject = name if name is not None else params.get("taskId", params.get("name"))
    if subject is not None:
        headers["Mcp-Name"] = str(subject)
    return httpx.post(f"http://127.0.0.1:{port}/servers/slow/mcp", json=body, headers=headers, timeout=60)


def _result(answer: httpx.Response) -> dict[str, Any]:
    body = answer.json()
    assert "result" in body, body
    return body["result"]  # type: ignore[no-any-return]


def _poll(port: int, task_id: str, until: set[str], client: str = "laptop") -> dict[str, Any]:
    for _ in range(80):  # 20 s at most
        task = _result(_post(port, "tasks/get", {"taskId": task_id}, client=client))
        if task["status"] in until:
            return task
        time.sleep(0.25)
    raise AssertionError(f"task {task_id} never reached {until}: {task}")


def _build(port: int, seconds: float, **kw: Any) -> httpx.Response:
    return _post(port, "tools/call", {"name": "build", "arguments": {"seconds": seconds}}, **kw)


def test_a_long_call_becomes_a_task_whose_result_passes_the_same_checks(gateway: tuple[int, Path]) -> None:
    port, log = gateway
    described = _result(_post(port, "server/discover", {}))
    assert TASKS in described["capabilities"]["extensions"]
    created = _result(_build(port, 0.9))
    assert created["resultType"] == "task" and created["status"] == "working", created
    assert created["ttlMs"] > 0 and created["pollIntervalMs"] > 0
    task_id = created["taskId"]
    done = _poll(port, task_id, {"completed", "failed"})
    assert done["status"] == "completed" and done["resultType"] == "complete", done
    text = json.dumps(done["result"])
    assert "build ok" in text
    # Redacted in the task's result as in a direct one (the server's token is ghp_ + 36 letters).
    assert "ghp_" in text and not any(len(word) >= 40 and word.startswith("ghp_") for word in text.split()), (
        text
    )
    # One story in the audit log: the call and its answer under the id the task's id begins with.
    records = [json.loads(line) for line in log.read_text().splitlines()]
    story = [r for r in records if r.get("id") == task_id.split(".", 1)[0]]
    assert [r["stage"] for r in story] == ["request", "response"], story
    assert any(e["kind"].startswith("dlp") or "secret" in e["kind"] for e in story[1].get("events", [])), (
        story
    )
    assert verify(log)[1] is None
    # A quick call is answered directly; a long one of a client that did not declare tasks too.
    assert _result(_build(port, 0))["resultType"] == "complete"
    direct = _result(_build(port, 0.6, meta=_meta(tasks=False)))
    assert direct.get("resultType") == "complete" and "build ok" in json.dumps(direct)


def test_another_client_cannot_read_answer_or_cancel_a_task(gateway: tuple[int, Path]) -> None:
    port, _ = gateway
    task_id = _result(_build(port, 0.9))["taskId"]
    for method, params in (
        ("tasks/get", {"taskId": task_id}),
        ("tasks/update", {"taskId": task_id, "inputResponses": {"q0": {"action": "decline"}}}),
        ("tasks/cancel", {"taskId": task_id}),
    ):
        answer = _post(port, method, params, client="desk").json()
        assert answer["error"]["code"] == -32602, answer  # as if it did not exist: no oracle
    guessed = _post(port, "tasks/get", {"taskId": task_id.split(".", 1)[0] + ".x"}).json()
    assert guessed["error"]["code"] == -32602
    undeclared = _post(port, "tasks/get", {"taskId": task_id}, meta=_meta(tasks=False)).json()
    assert undeclared["error"]["code"] == -32021
    assert TASKS in json.dumps(undeclared["error"]["data"])
    misrouted = _post(port, "tasks/get", {"taskId": task_id}, name="mcpward-1.other")
    assert misrouted.status_code == 400 and misrouted.json()["error"]["code"] == -32020
    done = _poll(port, task_id, {"completed", "failed", "cancelled"})
    assert done["status"] == "completed", done  # the other client's cancel did nothing


def test_a_task_whose_server_asks_the_user_carries_the_question_and_the_answer(
    gateway: tuple[int, Path],
) -> None:
    port, log = gateway
    meta = _meta(elicitation=True)
    created = _result(
        _post(port, "tools/call", {"name": "deploy", "arguments": {"target": "prod"}}, meta=meta)
    )
    assert created["resultType"] == "task", created
    task_id = created["taskId"]
    asking = _poll(port, task_id, {"input_required", "completed", "failed"})
    assert asking["status"] == "input_required", asking
    (key, question), *_ = asking["inputRequests"].items()
    assert question["method"] == "elicitation/create" and "prod" in json.dumps(question)
    answer = {"action": "accept", "content": {"approve": True}}
    updated = _post(port, "tasks/update", {"taskId": task_id, "inputResponses": {key: answer}}, meta=meta)
    assert _result(updated) == {"resultType": "complete"}
    done = _poll(port, task_id, {"completed", "failed"})
    assert "deployed to prod" in json.dumps(done.get("result")), done
    stages = [
        r["stage"]
        for r in map(json.loads, log.read_text().splitlines())
        if r.get("tool") == "deploy" or r["stage"].startswith(("server-", "client-"))
    ]
    assert "server-request" in stages and "client-response" in stages, stages


def test_a_cancelled_task_stays_cancelled(gateway: tuple[int, Path]) -> None:
    port, _ = gateway
    task_id = _result(_build(port, 0.8))["taskId"]
    assert _result(_post(port, "tasks/cancel", {"taskId": task_id})) == {"resultType": "complete"}
    time.sleep(1.0)  # the call itself has ended by now
    assert _result(_post(port, "tasks/get", {"taskId": task_id}))["status"] == "cancelled"
