"""Attack: a fleet machine runs a package every release of which is malicious, unpinned
(``npx -y evil-mcp``, as most configs are written). ``scan`` reports it (an advisory that affects
every version affects whatever is installed), but the fleet's advisories (the audit report's
``fleet_advisories``, its critical count) looked up only servers with a version, so the same
machine read clean in the fleet view before 2026-12-05. Now a server without a version is
looked up too, for the advisories that affect every version."""

from __future__ import annotations

import json
import os

from mcpward.advisories import user_snapshot_path
from mcpward.registry import ObservedServer, fleet_advisories

_MALICIOUS = {
    "id": "MAL-2026-9999",
    "modified": "2026-12-01T00:00:00Z",
    "summary": "Malicious code in evil-mcp (npm)",
    "affected": [
        {
            "package": {"ecosystem": "npm", "name": "evil-mcp"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
        }
    ],
}


def _snapshot() -> None:
    path = user_snapshot_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"vulns": [_MALICIOUS]}), "utf-8")
    os.chmod(path, 0o600)


def _server(version: str | None) -> ObservedServer:
    return ObservedServer(
        host="claude-desktop", name="evil", kind="package", ecosystem="npm", package="evil-mcp",
        version=version, launch="npx -y evil-mcp",
    )  # fmt: skip


def test_an_unpinned_malicious_package_is_in_the_fleet_advisories() -> None:
    _snapshot()
    found = fleet_advisories([_server(None), _server("1.0.0")])
    assert [a.id for a in found[_server(None)]] == ["MAL-2026-9999"]
    assert found[_server(None)][0].malicious
    assert [a.id for a in found[_server("1.0.0")]] == ["MAL-2026-9999"]
