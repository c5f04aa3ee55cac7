"""``gateway serve`` kept something for every caller it ever saw, for good.

A caller is (issuer, subject, client): an identity provider that registers any client (dynamic
client registration, as MCP clients use it) mints a new caller with each registration, and one
account can register without end. Each caller that made one request left, for the life of the
gateway: its request-rate bucket, its recent session starts, a zero in the count of its requests
under way, its judging budget and turn, and for a 2026-07-28 request a pool holding its ended
server session, with an event and a lock. Memory grew with every new client id, until
2026-12-05.

Now the per-caller bookkeeping keeps the most recent callers' (``MAX_CALLERS``, 10,000; the
least recently seen forgotten first, which only gives it a fresh allowance), a caller's count
and turn are dropped when nothing of its is under way, and the pools whose servers are all gone
are dropped once they outnumber ``_POOLS_KEPT``. Made-up or refused tokens leave nothing. The
tests lower the bounds and send many more callers; a caller that keeps calling keeps its limits
and is served throughout."""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loopback import serving
from mcpward.gateway import (
    AuditLog,
    GatewayConfig,
    Upstream,
    _http,
    _http_session,
    _modern_serve,
    build_interceptors,
    create_app,
    resource_server_from,
)
from mcpward.gateway._http import ClientLimits, _Admission, _SessionTable
from mcpward.gateway._http_session import Caller, HttpSession, Judge
from mcpward.gateway._modern import UpstreamView
from oauth_kit import AuthServer, ec_key

CAP = 50


@pytest.fixture(autouse=True)
def _small_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_http_session, "MAX_CALLERS", CAP)
    monkeypatch.setattr(_http, "MAX_CALLERS", CAP)  # the admission's buckets, the session starts
    monkeypatch.setattr(_modern_serve, "_POOLS_KEPT", 8)


def _caller(n: int | str) -> Caller:
    return Caller(f"client-{n}", f"oauth:{n}")


def test_rate_buckets_stay_bounded_and_a_busy_caller_keeps_its_limit() -> None:
    admission = _Admission({}, (), ClientLimits(request_burst=60), time.monotonic)
    answered = []
    for n in range(10 * CAP):
        assert admission._within_rate(_caller(n)) is None
        if n % 5 == 0:  # the busy caller, among the flood
            answered.append(admission._within_rate(_caller("busy")) is None)
    assert len(admission._buckets) <= CAP
    # its burst of 60 was counted throughout: the rest refused (429), as without the flood
    assert answered.count(True) == 60 and not any(answered[60:])


def test_session_starts_and_judging_turns_stay_bounded() -> None:
    table = _SessionTable({}, lambda _n, _u: [], max_message=65536, call_timeout=5, idle_timeout=60,
                          clock=time.monotonic, limits=ClientLimits(), judge=Judge())  # fmt: skip
    for n in range(10 * CAP):
        assert table._too_many(_caller(n)) is None
    assert len(table._opened) <= CAP
    judge = Judge(inline_bytes=100)

    async def judged() -> None:
        for n in range(10 * CAP):
            assert await judge.run(f"oauth:{n}", 10, lambda: 1) == 1  # judged at once
        # past the inline size: in a worker, each client in its turn
        await asyncio.gather(*(judge.run(f"oauth:{n}", 1000, lambda: 2) for n in range(3 * CAP)))

    try:
        asyncio.run(judged())
    finally:
        judge.close()
    assert len(judge._budgets) <= CAP and not judge._slots


@pytest.fixture
def idp() -> Iterator[AuthServer]:
    server = AuthServer(keys=[ec_key("ec-1")])
    with serving(lambda port: server.app(f"http://127.0.0.1:{port}")):
        yield server


def test_many_distinct_clients_of_one_account_leave_bounded_state(idp: AuthServer, tmp_path: Path) -> None:
    """Through ``gateway serve`` itself: each request a new registered client of one account
    (its own azp), admitted (a DELETE of no session is answered 204 once the caller is); made-up
    tokens refused; one client keeps calling and keeps its rate."""
    settings = GatewayConfig.model_validate(
        {
            "auth": {"resource": "https://gateway.example", "issuers": [{"issuer": idp.issuer}]},
            "pins": {"enabled": False},
            "baseline": {"enabled": False},
            "dlp": {"enabled": False},
        }
    )
    servers = {"ledger": Upstream(command=(sys.executable, "-c", "pass"))}
    log = AuditLog(tmp_path / "audit.jsonl")
    before = {id(o) for o in gc.get_objects() if type(o) is _Admission}
    limits = ClientLimits(request_burst=2 * CAP, requests_per_second=0.01)

    def app_for(port: int) -> Any:
        return create_app(
            servers,
            lambda _name, up: build_interceptors(settings, audit_log=log, command=up.command, url=up.url),
            token_hashes={}, allowed_hosts=(f"127.0.0.1:{port}",), max_message=65536, call_timeout=30,
            limits=limits, resource_server=resource_server_from(settings, resource=f"http://127.0.0.1:{port}"),
        )  # fmt: skip

    def delete(client: httpx.Client, token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return client.delete(f"{client.base_url}/servers/ledger/mcp", headers=headers).status_code

    try:
        with serving(app_for) as base, httpx.Client(base_url=base, timeout=30) as client:
            (admission,) = [o for o in gc.get_objects() if type(o) is _Admission and id(o) not in before]
            busy = idp.token(aud=base, azp="busy-agent")
            served = []
            for n in range(4 * CAP):
                assert delete(client, f"made-up-{n}") == 401  # refused at the door: nothing kept
                assert delete(client, idp.token(aud=base, azp=f"agent-{n}")) == 204
                served.append(delete(client, busy))
            assert len(admission._buckets) <= CAP
            # the busy agent's burst (2 * CAP) was counted throughout the flood, the rest 429
            assert served[: 2 * CAP] == [204] * (2 * CAP) and set(served[2 * CAP :]) == {429}
    finally:
        log.close()


def test_pools_whose_servers_are_gone_are_dropped() -> None:
    """2026-07-28 requests: a pool per client and server, each holding its ended session."""
    servers = {"ledger": Upstream(command=(sys.executable, "-c", "pass"))}
    table = _SessionTable(servers, lambda _n, _u: [], max_message=65536, call_timeout=5, idle_timeout=60,
                          clock=time.monotonic, limits=ClientLimits(), judge=Judge())  # fmt: skip
    modern = _modern_serve._ModernSessions(table, call_timeout=5)

    def member(owner: str, alive: bool = False) -> Any:
        session = HttpSession(
            "ledger",
            [sys.executable, "-c", "pass"],
            [],
            max_message=65536,
            call_timeout=5,
            judge=table._judge,
        )
        if alive:
            table._sessions[session.id] = session
        return _modern_serve._Member(session, UpstreamView())

    async def run() -> None:
        for n in range(10 * 8):  # ended sessions of callers that never came back
            key = (f"oauth:{n}", "ledger")
            modern._pools[key] = [member(key[0])]
            modern._freed[key] = asyncio.Event()
            modern._opening[key] = asyncio.Lock()
        kept = [("oauth:live", "ledger"), ("oauth:calling", "ledger")]
        modern._pools[kept[0]] = [member("oauth:live", alive=True)]
        calling = member("oauth:calling")
        await calling.busy.acquire()  # a call in flight on a server that just exited
        modern._pools[kept[1]] = [calling]
        orphan = ("oauth:listened", "ledger")  # a listen refused before any server was asked for
        modern._freed[orphan], modern._listeners[orphan] = asyncio.Event(), set()
        await modern._prune()
        assert sorted(modern._pools) == sorted(kept)
        assert set(modern._freed) <= set(kept) and set(modern._opening) <= set(kept)
        assert set(modern._listeners) <= set(kept)

    try:
        asyncio.run(run())
    finally:
        table._sessions.clear()
