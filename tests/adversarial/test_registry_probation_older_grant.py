"""A probation bypassed by an older approval of the same server that had write.

Attack: a remote server's new version (same URL, new tools) is approved and so starts its
read-only period, and the approval of the version before it (write granted) stands for its grace
period. The gateway judged the URL by the first approval it found, the older one, so during the
grace period (14 days by default) every tool of the new version could be called, the new write
tools included, as if write had been granted, until 2026-12-05. The same held for one package
version approved under a second name. Now the approval reviewers made current (not superseded)
is the one a server is judged by, so its probation holds; once the older one's grace period has
ended, the URL is judged by the new one (it was refused as version drift until the next sweep).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mcpward.gateway._interceptors.registry import Registry as RegistryCheck
from mcpward.gateway.interface import Exchange, Refusal, Session
from mcpward.registry import (
    DataScope,
    EntryRequest,
    Identity,
    ObservedServer,
    Registry,
    VetOutcome,
    approval_index,
)

URL = "https://mcp.acme.example/mcp"


@pytest.fixture
def source(tmp_path: Any) -> Iterator[tuple[Registry, str]]:
    database = f"sqlite:///{tmp_path / 'r.db'}"
    registry = Registry.open(database)
    yield registry, database
    registry.database.dispose()


def _approved(registry: Registry, name: str, identity: Identity, *, write: bool) -> int:
    request = EntryRequest(name=name, identity=identity, owner="team", scope=DataScope(),
                           vet=VetOutcome(verdict="pass"))  # fmt: skip
    entry = registry.approve(registry.request(request, "alice").id, "bob", "ok", read_only_tools=[])
    if write:
        registry.grant_write(entry.id, "carol", "a quiet week")
    return entry.id


def _call(check: RegistryCheck, tool: str) -> str:
    session = Session(server="io-github-acme-files", target=URL)
    check.launch(session)
    params = {"name": tool, "arguments": {}}
    exchange = Exchange(id=1, method="tools/call", request={"jsonrpc": "2.0", "id": 1, "params": params})
    try:
        check.request(session, exchange)
    except Refusal as refused:
        return f"refused: {refused}"
    return f"allowed (entry {(session.entry or {}).get('id')})"


def test_a_new_remote_version_on_probation_is_not_run_under_the_old_ones_grant(
    source: tuple[Registry, str],
) -> None:
    registry, database = source
    old = _approved(
        registry, "io.github.acme/files", Identity(kind="remote", url=URL, version="1.0.0"), write=True
    )
    new = _approved(
        registry, "io.github.acme/files", Identity(kind="remote", url=URL, version="1.1.0"), write=False
    )
    assert registry.get(old).superseded_on is not None and registry.get(new).on_probation
    check = RegistryCheck(lambda: approval_index(database), url=URL)
    assert _call(check, "delete_everything").startswith("refused: 'delete_everything' is not one of")
    # was "allowed (entry 1)": the old version's grant


def test_one_package_version_approved_under_a_second_name_keeps_its_probation(
    source: tuple[Registry, str],
) -> None:
    registry, _database = source
    identity = Identity(kind="package", ecosystem="npm", name="@acme/files", version="1.0.0")
    _approved(registry, "io.github.acme/files", identity, write=True)
    second = _approved(registry, "io.github.acme/files-two", identity, write=False)
    observed = registry.approval_index()
    server = ObservedServer(host="gateway", name="files", kind="package", ecosystem="npm",
                            package="@acme/files", version="1.0.0")  # fmt: skip
    judgement = observed.judge(server)
    assert (judgement.status, judgement.entry_id) == ("approved", second)  # was the first, write granted


def test_after_the_old_ones_grace_period_the_new_version_is_judged(source: tuple[Registry, str]) -> None:
    registry, database = source
    _approved(registry, "io.github.acme/files", Identity(kind="remote", url=URL, version="1.0.0"), write=True)
    new = _approved(
        registry, "io.github.acme/files", Identity(kind="remote", url=URL, version="1.1.0"), write=False
    )
    # 20 days on, past the old one's grace period, before a sweep recorded it as superseded.
    later = Registry(registry.database, clock=lambda: datetime.now(UTC) + timedelta(days=20))
    judgement = later.approval_index().judge(
        ObservedServer(host="gateway", name="files", kind="remote", package=URL)
    )
    assert (judgement.status, judgement.entry_id) == ("approved", new)  # was version-drift
    check = RegistryCheck(lambda: approval_index(database), url=URL)
    assert _call(check, "delete_everything").startswith("refused:")
