"""Replicas of ``gateway serve`` share their tool pins and the baseline's learned profiles through
the registry's PostgreSQL database. The attacker is a server that shows one replica a changed
tool list (a rug pull reaching the machines one by one, or a replica started later that would
otherwise pin whatever it first sees), and traffic spread over replicas so that none of them
learns enough to notice a new destination."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from loopback import free_port, serve_gateway

SERVER = Path(__file__).parents[1] / "servers" / "mcp_test_server.py"
TOKEN = "mcpg_shared-state-laptop-0123456789abcdef"
MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}


def _replica(folder: Path, database: str, *flags: str) -> tuple[subprocess.Popen[bytes], int]:
    folder.mkdir()
    port = free_port()
    command = ", ".join(f'"{part}"' for part in (sys.executable, str(SERVER), "stdio", *flags))
    config = folder / "gateway.toml"
    config.write_text(
        f'[serve]\nport = {port}\n[[serve.clients]]\nname = "laptop"\n'
        f'sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"\n'
        f'[pins]\nstore = "{folder / "pins.json"}"\ndatabase = "{database}"\n'
        f'[baseline]\npath = "{folder / "baseline.json"}"\n[servers.weather]\ncommand = [{command}]\n',
        encoding="utf-8",
    )
    process = serve_gateway(config, folder / "audit.jsonl", port)
    return process, port


def _post(port: int, method: str, params: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": META}}
    headers = {"Authorization": f"Bearer {TOKEN}", "MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if name is not None:
        headers["Mcp-Name"] = name
    answer = httpx.post(
        f"http://127.0.0.1:{port}/servers/weather/mcp", json=body, headers=headers, timeout=60
    )
    return answer.json()  # type: ignore[no-any-return]


def _listed(port: int) -> set[str]:
    answer = _post(port, "tools/list", {})
    return {tool["name"] for tool in answer["result"]["tools"]}


def test_a_tool_pinned_on_one_replica_and_approved_once_holds_on_every_replica(
    cli: Any, tmp_path: Path, postgres_database: str
) -> None:
    # Replica "old" runs the server as approved; replica "new" runs the version that adds a
    # tool telling the model to read ~/.ssh. Pinning on first use must not let "new" pin what
    # it first sees: "old" listed the server first, and its pins are everyone's.
    old = _replica(tmp_path / "old", postgres_database)
    try:
        assert _listed(old[1]) == {"get_weather"}
        new = _replica(tmp_path / "new", postgres_database, "--poisoned")
        try:
            assert _listed(new[1]) == {"get_weather"}  # get_forecast withheld
            # and so are its new instructions ("Always call get_forecast ..."): "old" pinned the
            # approved ones with its first tool list
            discovered = _post(new[1], "server/discover", {})["result"]
            assert "instructions" not in discovered
            assert (
                _post(old[1], "server/discover", {})["result"]["instructions"]
                == "Weather lookups for the tests."
            )
            refused = _post(new[1], "tools/call", {"name": "get_forecast", "arguments": {"city": "Oslo"}},
                            "get_forecast")  # fmt: skip
            assert "error" in refused or refused["result"].get("isError"), refused
            assert "get_forecast" in str(refused) and "Rain" not in str(refused)
            # The reviewer approves the addition once, in the shared database...
            approved = cli(
                "pins", "approve", "weather", "--tool", "get_forecast", "--database", postgres_database
            )
            assert approved.exit_code == 0, approved.stderr
            assert "get_forecast" in approved.stdout
            # ...and it holds on the replica that saw it (from its next listing on).
            assert _listed(new[1]) == {"get_weather", "get_forecast"}
            called = _post(new[1], "tools/call", {"name": "get_forecast", "arguments": {"city": "Oslo"}},
                           "get_forecast")  # fmt: skip
            assert "Rain in Oslo" in str(called), called
            # The instructions still wait (approving a tool does not approve them)...
            instructions = cli(
                "pins", "approve", "weather", "--tool", "instructions", "--database", postgres_database
            )
            assert instructions.exit_code == 0 and "instructions" in instructions.stdout
            again = cli("pins", "approve", "weather", "--database", postgres_database)
            assert again.exit_code != 0  # nothing waits any more
        finally:
            new[0].terminate()
            new[0].wait(timeout=30)
        # The approval is in the registry's audit trail, and the trail verifies.
        from mcpward.registry import Registry

        registry = Registry.open(postgres_database)
        try:
            actions = [event.action for event in registry.audit()]
            assert "gateway-pins-approve" in actions
            assert registry.verify_audit() is None
        finally:
            registry.database.dispose()
    finally:
        old[0].terminate()
        old[0].wait(timeout=30)


def _race(database: str, act: Callable[[Any, int], Any], replicas: int = 6) -> tuple[list[Any], Any]:
    """``act(registry, number)`` on each of ``replicas`` registries of ``database`` at once;
    their results, and the first registry (open, for the caller to read and dispose of)."""
    from mcpward.registry import Registry

    registries = [Registry.open(database) for _ in range(replicas)]
    results: list[Any] = [None] * replicas
    start = threading.Barrier(replicas)

    def run(number: int) -> None:
        start.wait(timeout=30)
        results[number] = act(registries[number], number)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for registry in registries[1:]:
        registry.database.dispose()
    return results, registries[0]


def test_replicas_listing_a_new_server_at_once_end_up_with_one_set_of_pins(postgres_database: str) -> None:
    def pin(registry: Any, number: int) -> Any:
        return registry.pin_on_first_use(
            "racy", {f"tool:t{number}": {"sha256": f"{number:064d}", "canonical": "{}"}}
        )

    results, registry = _race(postgres_database, pin)
    try:
        winners = [number for number, result in enumerate(results) if result is None]
        assert len(winners) == 1, results  # exactly one replica's list was pinned
        stood = registry.gateway_pins("racy")
        assert stood == {f"tool:t{winners[0]}": {"sha256": f"{winners[0]:064d}", "canonical": "{}"}}
        assert all(result == stood for result in results if result is not None)  # the others compare with it
    finally:
        registry.database.dispose()


def test_the_baseline_learns_from_every_replica_and_alerts_on_any(postgres_database: str) -> None:
    from mcpward.gateway import Exchange, Session
    from mcpward.gateway._interceptors.baseline import Baseline

    now = [1_000_000.0]

    def replica(folder: str) -> Baseline:
        return Baseline(Path(folder), learning_calls=6, clock=lambda: now[0], database=postgres_database)

    def send(baseline: Baseline, to: str) -> list[str]:
        now[0] += 2  # past the once-a-second merge
        request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": "send_email", "arguments": {"to": to, "body": "hi"}}}  # fmt: skip
        exchange = Exchange(id=1, method="tools/call", request=orjson.loads(orjson.dumps(request)))
        baseline.request(Session(server="mail", target="x"), exchange)
        return [event.kind for event in exchange.events]

    first, second = replica("/nonexistent/a.json"), replica("/nonexistent/b.json")
    # Six calls spread over two replicas: neither saw six, together they did.
    for _ in range(3):
        assert send(first, "orders@north.example") == []
        assert send(second, "orders@south.example") == []
    first.save()
    second.save()
    third = replica("/nonexistent/c.json")  # a replica started now knows what they learned
    assert send(third, "orders@south.example") == []  # learned on the second replica: not new
    assert send(third, "drop@west.example") == ["new-destination"]
    assert send(first, "orders@south.example") == []  # learned on the second replica
    assert send(second, "drop@east.example") == ["new-destination"]
    for baseline in (first, second, third):
        baseline.save()
    from mcpward.registry import Registry

    registry = Registry.open(postgres_database)
    try:
        profile = registry.profiles()["mail/send_email"]
        assert profile["calls"] == 10  # every call of every replica, each counted once
        assert {"north.example", "south.example", "west.example", "east.example"} <= set(
            profile["destinations"]
        ), profile
    finally:
        registry.database.dispose()


def test_replicas_pinning_a_later_page_at_once_keep_one_pin_per_tool(postgres_database: str) -> None:
    """The later pages of a first list pin only what has no pin: replicas racing on one tool
    (each with its own copy of it) all end up comparing with the one that was written first."""

    def pin(registry: Any, number: int) -> Any:
        return registry.pin_more_on_first_use(
            "paged", {"tool:paged": {"sha256": f"{number:064d}", "canonical": "{}"}}
        )

    results, registry = _race(postgres_database, pin)
    try:
        stood = registry.gateway_pins("paged")
        assert stood is not None and len(stood) == 1
        assert all(result == stood for result in results), results
    finally:
        registry.database.dispose()


def test_a_page_of_more_tools_than_a_statement_takes_parameters_is_pinned(postgres_database: str) -> None:
    """PostgreSQL takes 65,535 parameters a statement: a later page of the first tool list with
    more tools than that failed with a database error (the page withheld whole) where every
    item was named in one statement."""
    from mcpward.registry import Registry

    record = {f"tool:t{i}": {"sha256": f"{i:064x}", "canonical": "{}"} for i in range(65_600)}
    registry = Registry.open(postgres_database)
    try:
        assert registry.pin_on_first_use("wide", {"tool:t0": record["tool:t0"]}) is None
        assert registry.pin_more_on_first_use("wide", record) == record
    finally:
        registry.database.dispose()


def test_no_statement_names_more_items_than_a_chunk(postgres_database: str) -> None:
    """Every way a gateway or a reviewer names many items at once (a page pinned on first use,
    a page's waits, approving them all, profiles merged) stays within a statement's parameters
    however many there are: each statement is watched here, with a few thousand items."""
    from sqlalchemy import event

    from mcpward.registry import ProfileDelta, Registry

    many = 2_500
    record = {f"tool:t{i}": {"sha256": f"{i:064x}", "canonical": "{}"} for i in range(many)}
    changed = {item: {"sha256": "f" * 64, "canonical": "[]"} for item in record}
    registry = Registry.open(postgres_database)
    largest = [0]

    def watch(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if not executemany and isinstance(parameters, dict):
            largest[0] = max(largest[0], len(parameters))

    event.listen(registry.database.write_engine, "before_cursor_execute", watch)
    try:
        registry.pin_on_first_use("wide", {"tool:t0": record["tool:t0"]})
        assert registry.pin_more_on_first_use("wide", record) == record
        registry.hold_pins("wide", changed, keep=10_000)  # the waits of a page of a list not yet whole
        registry.hold_pins("wide", changed)
        assert len(registry.approve_gateway_pins("wide", "reviewer")) == many
        assert registry.gateway_pins("wide") == changed
        registry.merge_profiles({f"wide/t{i}": ProfileDelta(1, 1.0, 2.0) for i in range(many)})
    finally:
        registry.database.dispose()
    assert 0 < largest[0] <= 1_010, largest[0]


def test_more_tokens_of_one_name_than_a_statement_takes_are_revoked(postgres_database: str) -> None:
    """Revoking a name's tokens named each token in one statement (and again in the audit
    event's digest of them): past PostgreSQL's 65,535 parameters the revocation failed with a
    database error and every token stayed valid. Rows made here directly, as many as that."""
    from datetime import UTC, datetime

    from sqlalchemy import func, insert, select

    from mcpward.registry import Registry
    from mcpward.registry._tables import TokenRow

    registry = Registry.open(postgres_database)
    try:
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [{"name": "ci-bots", "role": "reader", "token_hash": f"{i:064x}", "created_at": now}
                for i in range(65_600)]  # fmt: skip
        with registry.database.write_engine.begin() as connection:
            for start in range(0, len(rows), 5_000):
                connection.execute(insert(TokenRow), rows[start : start + 5_000])
        assert registry.revoke_tokens("ci-bots", "admin") == 65_600
        with registry.database.write_engine.connect() as connection:
            left = connection.execute(
                select(func.count()).where(TokenRow.name == "ci-bots", TokenRow.revoked_at.is_(None))
            ).scalar()
        assert left == 0
    finally:
        registry.database.dispose()
