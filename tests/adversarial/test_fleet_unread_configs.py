"""Attack: a user hides a server from the fleet view by making its config one the scan cannot
use, though the client still reads it. Alice's home was reported with an approved server; she
then configured ``evil-mcp`` in a Cursor config padded past the 32 MiB the scan reads (a client
reads the file whole). The scan named the file as an error, the agent (and `scan --report-to`)
sent the home's report without it, and the fleet view and `report audit` showed her home clean,
and not stale, while evil-mcp ran, until 2026-12-05.

Now each config the scan could not use is in the home's report as a line the registry cannot
tell (a local command, judged unapproved) that names the file and why, so the home shows a
problem to act on."""

from __future__ import annotations

from pathlib import Path

from fleet_kit import agent_reporting_to, configure_cursor

from mcpward.agent import run
from mcpward.registry import Registry, fleet_report
from mcpward.scan import ScanOptions, run_scan

#: Past what the scan reads of a document (32 MiB).
_PADDING = 33 * 1024 * 1024


def _statuses(registry: Registry) -> dict[str | None, str]:
    servers, _total = registry.fleet()
    return {row.server.package or row.server.launch: row.judgement.status for row in servers}


def test_a_config_the_scan_cannot_use_is_not_a_clean_home(
    tmp_path: Path, registry: Registry, live_server: str
) -> None:
    alice = tmp_path / "homes" / "alice"
    configure_cursor(alice, {"files": {"command": "npx", "args": ["-y", "@acme/files@1.0.0"]}})
    config = agent_reporting_to(registry, live_server, tmp_path)
    run(config, jitter=False)
    assert set(_statuses(registry)) == {"@acme/files"}
    padded = configure_cursor(alice, {"evil": {"command": "npx", "args": ["-y", "evil-mcp@6.6.6"]}}, _PADDING)
    run(config, jitter=False)
    servers, _total = registry.fleet()
    # Was empty: the home's record replaced by one with no server and no word of the file.
    unread = [row for row in servers if row.server.config_path == str(padded)]
    assert len(unread) == 1, [row.server for row in servers]
    assert unread[0].server.kind == "local" and unread[0].judgement.status == "unapproved"
    assert "not read" in (unread[0].server.launch or "")


def test_scan_report_to_sends_the_configs_it_could_not_use(tmp_path: Path) -> None:
    """`scan --report-to` builds its report the same way (its errors with its servers)."""
    home = tmp_path / "bob"
    padded = configure_cursor(home, {"evil": {"command": "npx", "args": ["-y", "evil-mcp@6.6.6"]}}, _PADDING)
    report = run_scan(ScanOptions(home=home))
    assert report.errors  # the scan names the file on the terminal
    upload = fleet_report(report.servers, str(home), "machine-1", unread=report.errors)
    assert [server.config_path for server in upload.servers] == [str(padded)]
    assert upload.servers[0].kind == "local"
    # The path, not the parser's message: one may quote the file's text, values and all.
    assert report.errors[0].message not in (upload.servers[0].launch or "")


def test_unread_configs_are_bounded_and_counted(tmp_path: Path) -> None:
    """A home with thousands of unusable files does not make a report the registry refuses."""
    from mcpward.model import ScanError

    errors = tuple(
        ScanError(path=f"/home/x/{n}.json", message="not JSON", host="cursor") for n in range(3000)
    )
    upload = fleet_report([], "/home/x", "machine-1", unread=errors)
    assert len(upload.servers) <= 101
    assert "2900 more" in (upload.servers[-1].launch or "")


def test_an_unread_file_whose_name_is_not_utf8_is_still_reported() -> None:
    """A file name that is not UTF-8 (held as lone surrogates) still makes a report: a line the
    report could not hold would have failed the home's whole report."""
    from mcpward.model import ScanError

    errors = (
        ScanError(path="/home/x/.claude/skills/\udcff/SKILL.md", message="not read", host="claude-code"),
    )
    upload = fleet_report([], "/home/x", "machine-1", unread=errors)
    assert upload.servers[0].config_path == "/home/x/.claude/skills/\\udcff/SKILL.md"
