"""``mcpward report audit --local`` scans this machine and judges its servers as the fleet's.
A server it found that the registry's model cannot hold as it is (a launch line over 2,000
characters, a NUL or a lone surrogate in its name: any config the scan reads may say so, a
plugin's or an extension's too) made the whole report an internal error, so the audit was not
written at all. Each such server is now listed as a local command the registry cannot tell,
judged unapproved, as the fleet agent reports it; the others as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mcpward.registry import Registry
from test_registry import package_request

UNFIT = {
    "long-launch": {"command": "node", "args": ["/opt/" + "a" * 3000 + ".js"]},
    "nul\u0000name": {"command": "npx", "args": ["-y", "nul-mcp@1.0.0"]},
    "\ud800": {"command": "npx", "args": ["-y", "surrogate-mcp@1.0.0"]},
}


def test_a_local_server_the_model_cannot_hold_leaves_the_report_whole(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    servers = {**UNFIT, "files": {"command": "npx", "args": ["-y", "@acme/files@1.2.3"]}}
    (home / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), "utf-8")
    monkeypatch.setenv("HOME", str(home))
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    entry = registry.request(package_request(), "alice")
    registry.approve(entry.id, "bob", "ok")
    registry.database.dispose()
    for output_format in ("json", "md", "html"):
        result = cli("report", "audit", "--local", "--database", database, "--format", output_format)
        assert result.exit_code == 0, result.stderr
    result = cli("report", "audit", "--local", "--database", database, "--format", "json")
    fleet = json.loads(result.stdout)["fleet"]
    statuses = {row["server"]: row["status"] for row in fleet}
    assert len(statuses) == len(servers), statuses
    assert statuses.pop("files") == "approved"  # the clean case: judged as before
    assert set(statuses.values()) == {"unapproved"}
