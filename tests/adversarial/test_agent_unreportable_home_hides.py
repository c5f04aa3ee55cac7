"""Attack: a user hides a new server from the fleet view by making their home's report one the
agent cannot build. Alice's home was reported clean; she then configured ``evil-mcp`` beside a
server whose command line is longer than a fleet report takes (2,000 characters). The agent
named her home in its log and skipped it (so that the other homes were still reported,
test_agent_unreportable_home.py), and the registry kept her last report: clean, and not stale
for 30 days, while evil-mcp ran, until 2026-12-05.

Now the agent reports such a home as far as it can: each server that fits as it is, each that
does not as a local command the registry cannot tell (judged unapproved), so her record is
replaced and evil-mcp is in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fleet_kit import agent_reporting_to, configure_cursor

from loopback import serving
from mcpward.agent import _run, run
from mcpward.registry import Registry
from mcpward.registry.web import create_app


def _packages(registry: Registry) -> set[str | None]:
    servers, _total = registry.fleet()
    return {row.server.package for row in servers}


def test_an_unreportable_server_does_not_keep_the_homes_last_report(
    tmp_path: Path, registry: Registry, live_server: str
) -> None:
    alice = tmp_path / "homes" / "alice"
    configure_cursor(alice, {"files": {"command": "npx", "args": ["-y", "@acme/files@1.0.0"]}})
    config = agent_reporting_to(registry, live_server, tmp_path)
    run(config, jitter=False)
    assert _packages(registry) == {"@acme/files"}
    configure_cursor(
        alice,
        {
            "files": {"command": "npx", "args": ["-y", "@acme/files@1.0.0"]},
            "evil": {"command": "npx", "args": ["-y", "evil-mcp@6.6.6"]},
            "cover": {"command": "node", "args": ["x" * 3000]},
        },
    )
    second = run(config, jitter=False)
    assert any("alice" in problem for problem in second.problems), second.problems  # still named
    # Was {"@acme/files"}: the clean report kept while evil-mcp ran.
    assert {"@acme/files", "evil-mcp"} <= _packages(registry)
    servers, _total = registry.fleet()
    cover = [row for row in servers if row.server.name == "cover"]
    assert len(cover) == 1 and cover[0].server.kind == "local" and cover[0].judgement.status == "unapproved"


def test_a_report_over_the_registrys_body_limit_does_not_keep_the_homes_last_report(
    tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with a report the registry refuses as too large (over its body limit: 2 MiB,
    here 64 KiB as the registry and the agent are told, so that the scan stays short): refused
    (413), the home was named and its last, clean, report kept. Now the report is cut to what
    the registry takes, and a line of it says how many servers were left out (unapproved)."""
    limit = 64 * 1024
    monkeypatch.setattr(_run, "_MOST_BYTES", limit, raising=False)
    alice = tmp_path / "homes" / "alice"
    configure_cursor(alice, {"files": {"command": "npx", "args": ["-y", "@acme/files@1.0.0"]}})
    with serving(lambda _port: create_app(registry, max_body=limit)) as base:
        config = agent_reporting_to(registry, base, tmp_path)
        run(config, jitter=False)
        padding = {f"pad-{n:02}": {"command": f"/opt/{n:02}/" + "a" * 1990} for n in range(40)}
        configure_cursor(alice, {"evil": {"command": "npx", "args": ["-y", "evil-mcp@6.6.6"]}, **padding})
        second = run(config, jitter=False)
    assert any("alice" in problem for problem in second.problems), second.problems  # still named
    packages = _packages(registry)
    assert "@acme/files" not in packages and "evil-mcp" in packages  # was the clean report kept
    servers, _total = registry.fleet()
    assert any("not reported" in (row.server.launch or "") for row in servers)
