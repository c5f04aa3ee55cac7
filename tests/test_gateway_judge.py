"""Where ``gateway serve`` judges messages (``Judge``): small ones on the event loop while their
client is within its share of the loop's time, the rest in threads, one per client at a time;
and the shared pieces those threads write through (the audit log) stay whole."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from mcpward.gateway import AuditLog, verify
from mcpward.gateway._http_session import Judge


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _where() -> str:
    return threading.current_thread().name


def test_small_messages_stay_on_the_loop_until_their_client_overspends_its_share() -> None:
    clock = _Clock()
    judge = Judge(workers=2, inline_bytes=1000, inline_share=0.1, clock=clock)
    loop_thread = threading.current_thread().name

    def costly() -> str:
        clock.now += 0.3  # this judging took 0.3 s of the loop: three times the share
        return _where()

    async def scenario() -> list[str]:
        return [
            await judge.run("alice", 500, _where),
            await judge.run("alice", 500, costly),
            await judge.run("alice", 500, _where),  # overspent: judged in a thread
            await judge.run("bob", 500, _where),  # another client is not charged for it
            await judge.run("alice", 5000, _where),  # large: always a thread
        ]

    try:
        first, costly_one, overspent, other, large = asyncio.run(scenario())
    finally:
        judge.close()
    assert first == costly_one == other == loop_thread
    assert overspent.startswith("mcpward-judge")
    assert large.startswith("mcpward-judge")


def test_the_share_refills_with_time() -> None:
    clock = _Clock()
    judge = Judge(workers=1, inline_bytes=1000, inline_share=0.1, clock=clock)

    def costly() -> str:
        clock.now += 0.2
        return _where()

    async def scenario() -> tuple[str, str]:
        await judge.run("alice", 10, costly)
        overspent = await judge.run("alice", 10, _where)
        clock.now += 3.0  # 0.1 s of share per second: full again
        return overspent, await judge.run("alice", 10, _where)

    try:
        overspent, refilled = asyncio.run(scenario())
    finally:
        judge.close()
    assert overspent.startswith("mcpward-judge")
    assert refilled == threading.current_thread().name


def test_one_client_holds_one_judging_thread_and_another_client_is_not_queued_behind_it() -> None:
    judge = Judge(workers=2, inline_bytes=0)
    release = threading.Event()
    running: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> str:
        with lock:
            running.append(name)
        assert release.wait(30)
        return name

    async def scenario() -> list[str]:
        first = asyncio.create_task(judge.run("alice", 10, lambda: work("alice-1")))
        second = asyncio.create_task(judge.run("alice", 10, lambda: work("alice-2")))
        other = asyncio.create_task(judge.run("bob", 10, lambda: work("bob-1")))
        for _ in range(3000):  # bounded: 30 s
            with lock:
                if len(running) >= 2:
                    break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # alice's second would have started by now if it could
        with lock:
            seen = list(running)
        release.set()
        await asyncio.gather(first, second, other)
        return seen

    try:
        seen = asyncio.run(scenario())
    finally:
        judge.close()
    assert sorted(seen) == ["alice-1", "bob-1"], seen


def test_a_cancelled_wait_keeps_the_clients_thread_until_its_judging_ends() -> None:
    """The relay a thread is judging for must not be judged again (or closed) while it runs."""
    judge = Judge(workers=2, inline_bytes=0)
    release = threading.Event()
    order: list[str] = []

    def slow() -> None:
        assert release.wait(30)
        order.append("first ended")

    def after() -> None:
        order.append("second ran")

    async def scenario() -> None:
        first = asyncio.create_task(judge.run("alice", 10, slow))
        await asyncio.sleep(0.2)
        first.cancel()
        second = asyncio.create_task(judge.run("alice", 10, after))
        await asyncio.sleep(0.2)
        release.set()
        await asyncio.gather(first, second, return_exceptions=True)

    try:
        asyncio.run(scenario())
    finally:
        judge.close()
    assert order == ["first ended", "second ran"]


def test_threads_appending_to_one_audit_log_keep_its_chain_whole(tmp_path: Path) -> None:
    """flock excludes other processes, not threads sharing the descriptor: the judging threads
    of ``gateway serve`` write through one AuditLog."""
    log = AuditLog(tmp_path / "audit.jsonl")
    start = threading.Barrier(8)

    def write(worker: int) -> None:
        start.wait(30)
        for number in range(150):
            log.append({"worker": worker, "n": number, "pad": "x" * (number * 7 % 3000)})

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    log.close()
    count, problem = verify(tmp_path / "audit.jsonl")
    assert problem is None, problem
    assert count == 8 * 150
