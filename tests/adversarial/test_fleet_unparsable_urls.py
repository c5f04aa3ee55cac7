"""One enrolled machine (a requester token, as every fleet agent has) reported a remote server
whose URL Python's parser refuses: a port out of range (``https://x.example:99999/``), a
broken IPv6 host (``http://[::1``). Judging it against the registry raised, so the fleet view
(``/fleet``, ``GET /api/fleet/servers``), ``report audit`` and ``questionnaire --answer`` each
failed for the whole fleet: one upload hid every machine's servers. The same URL in a client
config made ``scan --report-to`` and the agent fail before sending. Such a server is judged
unapproved (it is no approved endpoint). A real registry server on loopback, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from cli_kit import mcpward

from mcpward.registry import Registry, Role

BROKEN = ("https://x.example:99999/mcp", "http://[::1/mcp", "https://x.example:port/mcp")


def _upload(base: str, token: str, machine: str, servers: list[dict[str, Any]]) -> httpx.Response:
    body = {"machine_id": machine, "hostname": machine, "servers": servers}
    return httpx.post(f"{base}/api/fleet/reports", json=body, headers={"Authorization": f"Bearer {token}"},
                      timeout=20)  # fmt: skip


def test_an_unparsable_url_in_one_report_does_not_take_down_the_fleet_view(
    registry: Registry, live_server: str, database_url: str, tmp_path: Path
) -> None:
    agent = registry.create_token("agent", Role.REQUESTER, "setup")
    viewer = registry.create_token("auditor", Role.VIEWER, "setup")
    victim = {"host": "cursor", "name": "files", "kind": "package", "ecosystem": "npm",
              "package": "evil-files-mcp", "version": "1.0.0"}  # fmt: skip
    assert _upload(live_server, agent, "victim", [victim]).status_code == 201
    attacker = [
        {"host": "cursor", "name": f"r{i}", "kind": "remote", "package": url} for i, url in enumerate(BROKEN)
    ]
    assert _upload(live_server, agent, "attacker", attacker).status_code == 201
    listed = httpx.get(
        f"{live_server}/api/fleet/servers", headers={"Authorization": f"Bearer {viewer}"}, timeout=20
    )
    assert listed.status_code == 200, listed.status_code
    statuses = {row["server"]["name"]: row["status"] for row in listed.json()}
    assert statuses == {"files": "unapproved", "r0": "unapproved", "r1": "unapproved", "r2": "unapproved"}
    if database_url.startswith("sqlite"):
        report = mcpward("report", "audit", "--format", "json", "--database", database_url,
                         MCPWARD_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
        assert report.returncode == 0, report.stderr
        assert json.loads(report.stdout)["summary"]["unapproved"] == 4


def test_an_unparsable_url_in_a_config_is_still_reported(
    registry: Registry, live_server: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"mcpServers": {"odd": {"url": BROKEN[0]}}}))
    token = registry.create_token("agent", Role.REQUESTER, "setup")
    done = mcpward("scan", "--home", str(home), "--report-to", live_server, MCPWARD_REGISTRY_TOKEN=token,
                   MCPWARD_MACHINE_ID="laptop", MCPWARD_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    assert "internal error" not in done.stderr, done.stderr
    assert [m.servers for m in registry.machines()] == [1], done.stderr
