"""The registry check of an open session: a withdrawn approval holds from the next request
past ``recheck_seconds``; a registry that cannot be read refuses that request only."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpward.gateway import Exchange, Refusal, Session
from mcpward.gateway._interceptors.registry import Registry as RegistryCheck
from mcpward.registry import (
    ApprovalIndex,
    DataScope,
    EntryRequest,
    Identity,
    Registry,
    VetOutcome,
    approval_index,
)

URL = "https://mcp.example.com/mcp"


def test_an_outage_refuses_a_request_and_a_revocation_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPWARD_PROBATION_DAYS", "0")  # the call is allowed at once
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    request = EntryRequest(name="com.example/mcp", identity=Identity(kind="remote", url=URL), owner="team",
                           scope=DataScope(), vet=VetOutcome(verdict="pass"))  # fmt: skip
    entry = registry.approve(registry.request(request, "alice").id, "bob", "read the tools")
    now = [0.0]
    reachable = [True]

    def index() -> ApprovalIndex:
        if not reachable[0]:
            raise OSError("the database is down")
        return approval_index(database)

    check = RegistryCheck(index, url=URL, recheck_seconds=5, clock=lambda: now[0])
    session = Session(server="remote", target=URL)
    check.launch(session)
    call = Exchange(id=1, method="tools/call", request={"params": {"name": "x"}})
    check.request(session, call)  # within the interval: not read again

    now[0], reachable[0] = 6.0, False  # past the interval, and the registry is unreachable
    with pytest.raises(Refusal, match="could not be read"):
        check.request(session, call)
    reachable[0] = True  # back: the session is served again
    check.request(session, call)

    registry.revoke(entry.id, "carol", "compromised")
    now[0] = 12.0
    with pytest.raises(Refusal, match="revoked"):
        check.request(session, call)
    now[0] = 13.0  # withdrawn for good, without reading again
    reachable[0] = False
    with pytest.raises(Refusal, match="revoked"):
        check.request(session, call)
    registry.database.dispose()
