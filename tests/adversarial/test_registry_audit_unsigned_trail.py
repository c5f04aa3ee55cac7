"""Attack: someone who can write the registry database (a shared PostgreSQL, say), not any host's
files, strips every event of its MAC and recomputes the chain from the first event with what
they changed (an approval's rationale, here), so that the trail looks like one written before
the trail was signed.

Only a host that recorded a head for this database saw it: its head names a signed event.
Before (2026-12-05) every other host verifying the same database with the registry's key (a
second writer, a reviewer's machine with a copy of the key file, a host whose heads file was
lost) heard that the trail held: a trail with no signed event was taken as one from before
anchoring, and neither its chain's rewriting nor the rows it binds were looked at. A host that
holds the key now says the trail is not signed, which is either an old trail no change has
anchored yet (any change does) or one stripped of its signatures."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from test_registry_audit_anchor import _around_the_triggers, _history, _rationale, _recompute_chain, _url

from mcpward.registry import Registry


def test_a_trail_stripped_of_its_signatures_does_not_verify_on_another_host(
    registry: Registry, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(registry)
    other_host = tmp_path / "other-host" / "registry-audit.key"
    other_host.parent.mkdir(mode=0o700)
    shutil.copy2(registry.anchor.key_file, other_host)  # the shared key, no head for this database
    other = Registry(registry.database, key_file=other_host)
    assert other.verify_audit() is None

    _around_the_triggers(
        registry, lambda c: _recompute_chain(c, alter=lambda row: (_rationale(row), row.update(mac=None)))
    )
    assert registry.verify_audit() is not None  # the host that wrote it has its head
    other = Registry(registry.database, key_file=other_host)
    problem = other.verify_audit()
    assert problem is not None and "no event of the trail is signed" in problem, problem
    monkeypatch.setenv("MCPWARD_REGISTRY_KEY", str(other_host))
    result = cli("registry", "audit", "--verify", "--database", _url(registry))
    assert result.exit_code == 1 and "no event of the trail is signed" in result.stderr, (
        result.stdout + result.stderr
    )
