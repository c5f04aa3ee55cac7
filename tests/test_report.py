"""Reports built from a registry with known content, checked against it."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from mcpward.registry import DataScope, Identity, Registry, VetOutcome
from test_registry import package_request


def test_the_sbom_lists_exactly_the_approved_servers_and_validates(cli: Any, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    sri = "sha512-" + base64.b64encode(hashlib.sha512(b"tarball").digest()).decode()
    npm = registry.request(
        package_request(
            identity=Identity(
                kind="package", ecosystem="npm", name="@acme/files", version="1.2.3", integrity=sri
            ),
            repository="https://github.com/acme/files",
            scope=DataScope(reads=("project files",), credentials=("ACME_TOKEN",), network=("api.acme.com",)),
        ),
        "alice",
    )
    image = registry.request(
        package_request(
            name="img",
            identity=Identity(
                kind="oci", name="ghcr.io/acme/img", version="1.0", digest="sha256:" + "c" * 64
            ),
        ),
        "alice",
    )
    remote = registry.request(
        package_request(
            name="remote", identity=Identity(kind="remote", url="https://mcp.acme.com/mcp"), vet=None
        ),
        "alice",
    )
    pending = registry.request(package_request(name="pending"), "alice")
    rejected = registry.request(package_request(name="nope", vet=VetOutcome(verdict="pass")), "alice")
    for entry in (npm, image, remote):
        registry.approve(entry.id, "bob", "ok")
    registry.reject(rejected.id, "bob", "no")
    result = cli("report", "sbom", "--database", database)
    assert result.exit_code == 0, result.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.stdout) is None
    bom = json.loads(result.stdout)
    components = {c["name"]: c for c in bom["components"]}
    assert set(components) == {"@acme/files", "ghcr.io/acme/img"}
    files = components["@acme/files"]
    assert files["purl"] == "pkg:npm/%40acme/files@1.2.3"
    assert files["hashes"] == [{"alg": "SHA-512", "content": hashlib.sha512(b"tarball").hexdigest()}]
    properties = {p["name"]: p["value"] for p in files["properties"]}
    assert (
        properties["mcpward:owner"] == "team-platform" and properties["mcpward:credentials"] == "ACME_TOKEN"
    )
    assert files["externalReferences"] == [{"type": "vcs", "url": "https://github.com/acme/files"}]
    assert components["ghcr.io/acme/img"]["purl"].startswith("pkg:oci/img@sha256:")
    assert [s["endpoints"] for s in bom["services"]] == [["https://mcp.acme.com/mcp"]]
    assert pending.name not in result.stdout and rejected.name not in result.stdout


def known_content(tmp_path: Path) -> tuple[str, Path]:
    """A registry, a fleet report and an audit log with known content."""
    from datetime import UTC, datetime, timedelta

    from mcpward.gateway import AuditLog
    from mcpward.registry import InventoryUpload, ObservedServer

    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    files = registry.request(package_request(name="files"), "alice")
    idle = registry.request(package_request(name="idle"), "alice")
    remote_old = registry.request(
        package_request(
            name="mcp-remote",
            identity=Identity(kind="package", ecosystem="npm", name="mcp-remote", version="0.1.15"),
        ),
        "alice",
    )
    gone = registry.request(package_request(name="gone"), "alice")
    for entry in (files, idle, gone):
        registry.approve(entry.id, "bob", "ok")
    # A version with a known advisory is approved only with a recorded override.
    registry.approve(remote_old.id, "bob", "no other version works with the proxy yet", override=True)
    registry.revoke(gone.id, "carol", "compromised")
    past = Registry(registry.database, clock=lambda: datetime.now(UTC) - timedelta(days=100))
    stale = past.request(package_request(name="stale"), "alice")
    past.approve(stale.id, "bob", "then")
    soon = Registry(registry.database, clock=lambda: datetime.now(UTC) - timedelta(days=75))
    due = soon.request(package_request(name="due"), "alice")
    soon.approve(due.id, "bob", "then")

    def server(name: str, package: str, version: str | None) -> ObservedServer:
        return ObservedServer(
            host="cursor", name=name, kind="package", ecosystem="npm", package=package, version=version
        )

    registry.record_inventory(InventoryUpload(machine_id="m1", hostname="laptop-1", servers=(
        server("files", "@acme/files", "1.2.3"),
        server("files-new", "@acme/files", "9.9.9"),
        server("gone", "@acme/gone", "1.2.3"),
        server("stranger", "stranger-mcp", None),
    )), "agent")  # fmt: skip

    log_path = tmp_path / "audit.jsonl"
    log = AuditLog(log_path)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    old = (datetime.now(UTC) - timedelta(days=200)).isoformat().replace("+00:00", "Z")
    for _ in range(3):
        log.append(
            {
                "at": now,
                "server": "files",
                "stage": "request",
                "method": "tools/call",
                "tool": "read",
                "decision": "allow",
            }
        )
    log.append({"at": now, "server": "files", "stage": "request", "method": "tools/call", "tool": "read", "decision": "redact",
                "events": [{"kind": "dlp-argument", "severity": "high", "message": "1 match", "tool": "read"}]})  # fmt: skip
    log.append({"at": now, "server": "files", "stage": "response", "method": "tools/list", "decision": "alert",
                "events": [{"kind": "tool-changed", "severity": "high", "message": "tool 'read' withheld", "tool": "read"}]})  # fmt: skip
    log.append(
        {
            "at": now,
            "server": "files",
            "stage": "egress",
            "method": "CONNECT",
            "host": "exfil.example",
            "port": 443,
            "decision": "block",
        }
    )
    log.append(
        {
            "at": old,
            "server": "idle",
            "stage": "request",
            "method": "tools/call",
            "tool": "x",
            "decision": "allow",
        }
    )
    return database, log_path


def test_the_audit_report_matches_the_registry_fleet_and_log_it_was_built_from(
    cli: Any, tmp_path: Path
) -> None:
    database, log_path = known_content(tmp_path)
    result = cli(
        "report",
        "audit",
        "--format",
        "json",
        "--since",
        "90d",
        "--audit-log",
        str(log_path),
        "--database",
        database,
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["machines"] == 1 and summary["servers"] == 4
    assert [r["server"] for r in report["unapproved"]] == ["stranger"]
    assert [r["server"] for r in report["unpinned"]] == ["stranger"]
    assert [r["server"] for r in report["drifted"]] == ["files-new"]
    assert [r["server"] for r in report["revoked"]] == ["gone"]
    assert [e["name"] for e in report["reviews_expired"]] == ["io.github.acme/stale"]
    assert [e["name"] for e in report["reviews_due"]] == ["io.github.acme/due"]
    assert {a["identity"] for a in report["advisories"]} == {"npm:mcp-remote@0.1.15"}
    assert any(a["advisory"].startswith(("GHSA", "CVE")) for a in report["advisories"])
    assert summary["calls"] == 4 and report["calls"]["by_server"] == {"files": 4}
    # The calls of "files" name no package (the records here are made by hand, with none): the
    # name alone is not what ran, so the approved files entry is not counted as used.
    assert report["calls"]["unidentified"] == 4
    assert {e["name"] for e in report["unused"]} == {
        "io.github.acme/files",
        "io.github.acme/idle",
        "io.github.acme/mcp-remote",
        "io.github.acme/due",
    }
    assert [e["kind"] for e in report["calls"]["dlp_events"]] == ["dlp-argument"]
    assert [e["tool"] for e in report["calls"]["tool_changes"]] == ["read"]
    assert [d["host"] for d in report["calls"]["egress_denials"]] == ["exfil.example"]
    assert all(
        isinstance(d["seq"], int) for d in report["calls"]["egress_denials"]
    )  # evidence: the log's records

    (tmp_path / "previous.json").write_text(json.dumps({"summary": {**summary, "unapproved": 3}}))
    markdown = cli(
        "report",
        "audit",
        "--audit-log",
        str(log_path),
        "--database",
        database,
        "--previous",
        str(tmp_path / "previous.json"),
    )
    assert "## Unapproved servers (1)" in markdown.stdout and "| unapproved | 1 | 3 | -2 |" in markdown.stdout
    assert "## Egress denials (1)" in markdown.stdout and "exfil.example" in markdown.stdout
    bad = cli("report", "audit", "--since", "ninety", "--database", database)
    assert bad.exit_code == 2 and "--since 'ninety'" in bad.stderr


def test_the_html_audit_renders_in_chromium_without_errors(cli: Any, tmp_path: Path) -> None:
    import os

    from test_registry_browser import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        from needs import missing

        missing("browser", f"{CHROMIUM} is missing (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    database, log_path = known_content(tmp_path)
    page_file = tmp_path / "audit.html"
    result = cli(
        "report",
        "audit",
        "--format",
        "html",
        "--audit-log",
        str(log_path),
        "--database",
        database,
        "-o",
        str(page_file),
    )
    assert result.exit_code == 0, result.stderr
    html = page_file.read_text()
    assert "<script" not in html and 'href="#unapproved"' in html and 'id="unapproved"' in html
    default = Path(__file__).resolve().parents[1] / ".cache" / "test-artifacts"
    artifacts = Path(os.environ.get("MCPWARD_TEST_ARTIFACTS", default))
    artifacts.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on(
            "console",
            lambda message: problems.append(message.text) if message.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(page_file.as_uri())
        assert page.locator("h2#egress_denials").inner_text() == "Egress denials (1)"
        assert page.locator("svg[role=img]").count() >= 3
        page.screenshot(path=str(artifacts / "report-audit.png"), full_page=True)
        browser.close()
    assert problems == []
    assert (artifacts / "report-audit.png").stat().st_size > 10_000


def test_the_questionnaire_blank_and_answered_in_every_format(cli: Any, tmp_path: Path) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    blank = cli("report", "questionnaire", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(blank.stdout)))
    assert [r["id"] for r in rows] == [f"MCP-{n}" for n in range(1, 9)] and all(
        r["answer"] == "" for r in rows
    )

    database, _ = known_content(tmp_path)
    answered = cli("report", "questionnaire", "--answer", "--format", "csv", "--database", database)
    answers = {r["id"]: r for r in csv.DictReader(io.StringIO(answered.stdout))}
    # approved: files, idle, mcp-remote, due (gone is revoked, stale expired)
    assert answers["MCP-1"]["answer"].startswith("4 approved servers:")
    assert "io.github.acme/files (npm:@acme/files@1.2.3)" in answers["MCP-1"]["answer"]
    assert "4 npm" in answers["MCP-2"]["answer"]
    assert "Tier-2 (read-only): 4" in answers["MCP-3"]["answer"]
    assert "1 drifted" in answers["MCP-4"]["evidence"]
    assert "1 approvals are past their re-review date" in answers["MCP-7"]["answer"]
    assert (  # every status of the fleet, the drifted server too
        "4 servers reported from 1 machine (1 home, 0 stale); 1 approved, 1 version-drift, 1 revoked, "
        "1 unapproved; 0 with a known advisory (0 malicious)." in answers["MCP-8"]["answer"]
    )
    # An approved version with an advisory is said to be one, not to have been revoked.
    assert answers["MCP-5"]["answer"].startswith(
        "1 approved version currently has a known advisory and is still approved: "
        "npm:mcp-remote@0.1.15: GHSA-6xpm-ggf7-wc3p (critical)."
    )
    markdown = cli("report", "questionnaire", "--answer", "--database", database)
    assert (
        "## MCP-6. Do you detect changes" in markdown.stdout
        and "Evidence: registry entries' pins" in markdown.stdout
    )

    sheet_path = tmp_path / "mcp.xlsx"
    assert (
        cli(
            "report",
            "questionnaire",
            "--answer",
            "--format",
            "xlsx",
            "-o",
            str(sheet_path),
            "--database",
            database,
        ).exit_code
        == 0
    )
    sheet = load_workbook(sheet_path).active
    assert [cell.value for cell in sheet[1]] == ["id", "question", "answer", "evidence"]
    assert sheet["A9"].value == "MCP-8" and sheet["C9"].value == answers["MCP-8"]["answer"]
    assert cli("report", "questionnaire", "--format", "xlsx").exit_code == 2


def test_the_audit_lists_review_findings_and_can_include_this_machine(
    cli: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from fake_home import npx, write_json

    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    flagged = registry.request(
        package_request(
            vet=VetOutcome(verdict="review", findings=({"rule": "new-destination", "severity": "medium"},))
        ),
        "alice",
    )
    clean = registry.request(package_request(name="clean"), "alice")
    for entry in (flagged, clean):
        registry.approve(entry.id, "bob", "ok")
    home = tmp_path / "home"
    write_json(
        home / ".cursor" / "mcp.json",
        {"mcpServers": {"files": npx("@acme/files@1.2.3"), "other": npx("other-mcp@2.0.0")}},
    )
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "none.jsonl").write_text("")  # no calls (a log named but missing is an error)
    result = cli(
        "report",
        "audit",
        "--format",
        "json",
        "--local",
        "--database",
        database,
        "--audit-log",
        str(tmp_path / "none.jsonl"),
    )
    report = json.loads(result.stdout)
    assert [(r["name"], r["vet"], r["worst"]) for r in report["review_findings"]] == [
        ("io.github.acme/files", "review", "medium")
    ]
    assert {(r["server"], r["status"]) for r in report["fleet"]} == {
        ("files", "approved"),
        ("other", "unapproved"),
    }
    assert report["summary"]["approved_with_review_findings"] == 1


def test_every_section_has_the_same_count_in_every_format(cli: Any, tmp_path: Path) -> None:
    import re

    from mcpward.report.audit import sections

    database, log_path = known_content(tmp_path)
    common = ["--audit-log", str(log_path), "--database", database]
    report = json.loads(cli("report", "audit", "--format", "json", *common).stdout)
    markdown = cli("report", "audit", "--format", "md", *common).stdout
    html = cli("report", "audit", "--format", "html", *common).stdout
    listed = sections(report)
    assert (
        len(listed) == 20
    )  # with the fleet's advisories, its machines and homes, calls by user and team, the two chains
    for anchor, title, rows, _columns in listed:
        assert f"## {title} ({len(rows)})" in markdown, title
        assert re.search(rf'<h2 id="{anchor}">{re.escape(title)} \({len(rows)}\)</h2>', html), title
    for key, value in report["summary"].items():
        assert f"| {key.replace('_', ' ')} | {value} |" in markdown


def test_without_a_previous_report_the_summary_has_no_empty_before_and_change_columns(
    cli: Any, tmp_path: Path
) -> None:
    database, log_path = known_content(tmp_path)
    common = ["--audit-log", str(log_path), "--database", database]
    markdown = cli("report", "audit", "--format", "md", *common).stdout
    assert "| | count |" in markdown and "before" not in markdown.split("## ", 2)[1]
    assert "| unapproved | 1 |\n" in markdown
    html = cli("report", "audit", "--format", "html", *common).stdout
    summary = html.split('<table class="summary">', 1)[1].split("</table>", 1)[0]
    assert "<th>before</th>" not in summary and "<th>count</th>" in summary
    (tmp_path / "previous.json").write_text(json.dumps({"summary": {"unapproved": 3}}))
    compared = cli(
        "report", "audit", "--format", "html", *common, "--previous", str(tmp_path / "previous.json")
    )
    assert "<th>before</th><th>change</th>" in compared.stdout


def test_an_audit_log_named_but_missing_or_a_folder_is_an_error_not_an_empty_usage_section(
    tmp_path: Path,
) -> None:
    # A misspelt --audit-log made a report of no calls, tool changes or egress denials, exit 0;
    # a folder was an internal error (exit 70).
    database, _ = known_content(tmp_path)
    (tmp_path / "logs").mkdir()
    for given, problem in (("gateway-audt.jsonl", "no such file"), ("logs", "not a file")):
        result = subprocess.run(
            [sys.executable, "-m", "mcpward", "report", "audit", "--database", database,
             "--audit-log", str(tmp_path / given)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr == f"mcpward: --audit-log {tmp_path / given}: {problem}\n"


def test_a_previous_report_that_is_missing_or_not_an_audit_report_is_one_line(tmp_path: Path) -> None:
    # A JSON list was an internal error (exit 70); a missing file was "not a JSON audit report".
    database, log_path = known_content(tmp_path)
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "scan.json").write_text('{"servers": []}')
    for given, problem in (
        ("gone.json", "cannot read: No such file or directory"),
        ("list.json", "not a JSON audit report (no summary)"),
        ("scan.json", "not a JSON audit report (no summary)"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "mcpward", "report", "audit", "--database", database,
             "--audit-log", str(log_path), "--previous", str(tmp_path / given)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr == f"mcpward: --previous {tmp_path / given}: {problem}\n"


def test_act_on_names_the_drifted_and_unpinned_servers_as_it_names_the_others(tmp_path: Path) -> None:
    # "Move 1 server to the approved version." and "Pin 1 server to an exact version." named
    # none: the README promises each line its first items.
    database, log_path = known_content(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "mcpward", "report", "audit", "--format", "json", "--database", database,
         "--audit-log", str(log_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = {line["section"]: line["text"] for line in json.loads(result.stdout)["act_on"]}
    assert (
        lines["drifted"]
        == 'Move 1 server to the approved version: "@acme/files" on "laptop-1", reported by "agent".'
    )
    assert (
        lines["unpinned"]
        == 'Pin 1 server to an exact version: "stranger-mcp" on "laptop-1", reported by "agent".'
    )


def test_an_egress_denial_of_a_file_names_its_path_and_a_connection_its_host(
    cli: Any, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from mcpward.gateway import AuditLog

    database, log_path = known_content(tmp_path)
    now = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    AuditLog(log_path).append(
        {
            "at": now,
            "server": "files",
            "stage": "egress",
            "method": "FILE",
            "operation": "write",
            "path": "/etc/hosts",
            "call": "openat",
            "decision": "block",
            "reason": "outside the writable mounts (read-only)",
        }
    )
    common = ["--audit-log", str(log_path), "--database", database]
    report = json.loads(cli("report", "audit", "--format", "json", *common).stdout)
    assert [d["target"] for d in report["calls"]["egress_denials"]] == [
        "exfil.example:443",
        "write /etc/hosts",
    ]
    markdown = cli("report", "audit", "--format", "md", *common).stdout
    section = markdown.split("## Egress denials (2)", 1)[1].split("## ", 1)[0]
    assert "| at | server | target | reason | seq |" in section
    assert "| write /etc/hosts | outside the writable mounts (read-only) |" in section
    assert "| exfil.example:443 |" in section


def test_calls_through_the_gateway_count_for_the_registry_entry_they_ran_under(
    cli: Any, tmp_path: Path
) -> None:
    """`gateway run --server memory -- npx ... pkg@version` names the server "memory", which is
    not the entry's name: the record's entry id is what the report matches."""
    from mcpward.gateway import AuditLog
    from mcpward.gateway._interceptors.audit import Audit
    from mcpward.gateway.interface import Exchange, Session

    database, log_path = known_content(tmp_path)
    registry = Registry.open(database)
    idle = registry.find("io.github.acme/idle")[0]
    registry.database.dispose()
    before = json.loads(cli("report", "audit", "--format", "json", "--audit-log", str(log_path),
                            "--database", database).stdout)  # fmt: skip
    assert "io.github.acme/idle" in {e["name"] for e in before["unused"]}
    session = Session(server="memory", target="npx -y @acme/idle@1.2.3", entry=idle.model_dump(mode="json"))
    call = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "read_graph", "arguments": {}},
    }
    exchange = Exchange(id=7, method="tools/call", request=call)
    Audit(AuditLog(log_path)).forwarded(session, exchange, "request")
    from mcpward.gateway import records

    written = list(records(log_path))[-1]
    assert written["entry"] == {"id": idle.id, "name": "io.github.acme/idle", "release": "1.2.3"}
    after = json.loads(cli("report", "audit", "--format", "json", "--audit-log", str(log_path),
                           "--database", database).stdout)  # fmt: skip
    assert "io.github.acme/idle" not in {e["name"] for e in after["unused"]}
    assert after["calls"]["by_entry"] == {str(idle.id): 1} and after["calls"]["by_server"]["memory"] == 1


def test_the_audit_shows_every_home_and_the_fleet_servers_with_advisories_malicious_first(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    from mcpward.registry import STALE_DAYS, InventoryUpload, ObservedServer
    from mcpward.report.audit import build_audit, render_html, render_markdown

    def npm(name: str, package: str, version: str) -> ObservedServer:
        return ObservedServer(
            host="cursor", name=name, kind="package", ecosystem="npm", package=package, version=version
        )

    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    reports = [
        ("m1", "/home/alice", (npm("remote", "mcp-remote", "0.1.15"), npm("files", "@acme/files", "1.2.3"))),
        ("m1", "/home/bob", (npm("mail", "postmark-mcp", "1.0.16"),)),
        ("m1", "/mnt/image/home/carol", ()),
    ]
    for machine, home, servers in reports:
        registry.record_inventory(
            InventoryUpload(machine_id=machine, hostname="laptop-1", home=home, servers=servers), "agent"
        )
    silent = Registry(registry.database, clock=lambda: datetime.now(UTC) - timedelta(days=STALE_DAYS + 5))
    silent.record_inventory(InventoryUpload(machine_id="m2", hostname="laptop-2", home="/home/dan"), "agent")

    document = build_audit(registry, since=timedelta(days=90))
    summary = document["summary"]
    assert (summary["machines"], summary["homes"], summary["stale_homes"], summary["servers"]) == (2, 4, 1, 3)
    assert summary["fleet_servers_with_advisories"] == 2
    advised = document["fleet_advisories"]
    assert [(row["server"], row["worst"], row["home"]) for row in advised] == [
        ("mail", "malicious", "/home/bob"),
        ("remote", "critical", "/home/alice"),
    ]
    assert advised[1]["fixed"] == "0.1.16" and advised[0]["fixed"] == "no fixed version"
    homes = {row["home"]: row for row in document["machines"]}
    assert homes["/mnt/image/home/carol"]["servers"] == 0 and homes["/home/dan"]["stale"]
    markdown = render_markdown(document)
    assert "## Fleet servers with known advisories (malicious first) (2)" in markdown
    assert markdown.index("MCPWARD-MAL-2025-0001") < markdown.index("GHSA-6xpm-ggf7-wc3p")
    assert "/home/dan" in markdown and "| homes | 4 |" in markdown
    # The top says what to act on, worst first, each pointing at its list.
    assert [(item["severity"], item["section"], item["count"]) for item in document["act_on"]] == [
        ("critical", "fleet_advisories", 1),
        ("high", "fleet_advisories", 1),
        ("medium", "unapproved", 3),
        ("low", "machines", 1),
    ]
    assert (
        document["act_on"][0]["text"]
        == 'Remove 1 malicious package from machines: "postmark-mcp" on "laptop-1" ("/home/bob"), reported by "agent".'
    )
    assert markdown.index("## Act on") < markdown.index("## Summary")
    assert "- **CRITICAL** Remove 1 malicious package" in markdown
    html = render_html(document)
    top = html.split('<h2 id="summary">', 1)[0]
    assert top.index('class="sev-critical"') < top.index('class="sev-high"') < top.index('class="sev-medium"')
    assert (
        'href="#fleet_advisories"' in top
        and "&#34;postmark-mcp&#34; on &#34;laptop-1&#34; (&#34;/home/bob&#34;)" in top
    )
    registry.database.dispose()


def test_the_questionnaire_answers_with_the_audit_reports_numbers(cli: Any, tmp_path: Path) -> None:
    import csv
    import io
    import re

    from mcpward.registry import InventoryUpload, ObservedServer

    database, _ = known_content(tmp_path)
    registry = Registry.open(database)
    mail = ObservedServer(host="cursor", name="mail", kind="package", ecosystem="npm", package="postmark-mcp",
                          version="1.0.16")  # fmt: skip
    upload = InventoryUpload(machine_id="m1", hostname="laptop-1", home="/home/bob", servers=(mail,))
    registry.record_inventory(upload, "agent")
    registry.database.dispose()
    report = json.loads(cli("report", "audit", "--format", "json", "--database", database).stdout)
    answered = cli("report", "questionnaire", "--answer", "--format", "csv", "--database", database)
    answers = {r["id"]: r["answer"] for r in csv.DictReader(io.StringIO(answered.stdout))}
    summary, statuses = report["summary"], report["fleet_by_status"]
    listed = cli("registry", "list", "--status", "approved", "--format", "json", "--database", database)
    assert len(listed.json()) == summary["approved_entries"] == 4
    assert answers["MCP-1"].startswith(f"{summary['approved_entries']} approved servers:")
    expected = (
        f"{summary['servers']} servers reported from {summary['machines']} machine "
        f"({summary['homes']} homes, {summary['stale_homes']} stale); "
        + ", ".join(f"{count} {status}" for status, count in statuses.items())
        + f"; {summary['fleet_servers_with_advisories']} with a known advisory (1 malicious)."
    )
    assert expected in answers["MCP-8"], answers["MCP-8"]
    assert sum(statuses.values()) == summary["servers"] == 5
    assert statuses["unapproved"] == summary["unapproved"] == 2
    assert f"{summary['reviews_expired']} approvals are past" in answers["MCP-7"]
    assert re.search(
        rf"\b{summary['approved_with_advisories']} approved version currently has", answers["MCP-5"]
    )
    assert "Fleet: 1 server with a known advisory (1 malicious)." in answers["MCP-5"]


def test_an_approved_version_with_a_critical_advisory_is_a_critical_line_at_the_top(tmp_path: Path) -> None:
    from datetime import timedelta

    from mcpward.report.audit import build_audit

    database, _ = known_content(tmp_path)  # mcp-remote 0.1.15, approved with an override
    registry = Registry.open(database)
    document = build_audit(registry, since=timedelta(days=90))
    registry.database.dispose()
    levels = [item["severity"] for item in document["act_on"]]
    assert levels == sorted(levels, key=["critical", "high", "medium", "low"].index)
    (line,) = [item for item in document["act_on"] if item["section"] == "advisories"]
    assert line["severity"] == "critical" and "npm:mcp-remote@0.1.15" in line["text"]


def test_calls_with_the_registry_check_off_count_for_the_package_their_server_ran(
    cli: Any, tmp_path: Path
) -> None:
    """With no entry checked at launch the record names the package the launch line runs, and
    the report counts the approved entry of that package as used."""
    from mcpward.gateway import AuditLog, GatewayConfig, build_interceptors, records
    from mcpward.gateway.interface import Exchange, Session

    database, log_path = known_content(tmp_path)
    log = AuditLog(log_path)
    checks = build_interceptors(GatewayConfig(), audit_log=log, command=("npx", "-y", "@acme/idle@1.2.3"))
    audit = checks[-1]
    session = Session(server="memory", target="npx -y @acme/idle@1.2.3")  # no registry entry
    call = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "read_graph", "arguments": {}},
    }
    audit.forwarded(session, Exchange(id=7, method="tools/call", request=call), "request")
    log.close()
    written = list(records(log_path))[-1]
    assert written["package"] == {"ecosystem": "npm", "name": "@acme/idle", "version": "1.2.3"}
    assert "entry" not in written
    after = json.loads(cli("report", "audit", "--format", "json", "--audit-log", str(log_path),
                           "--database", database).stdout)  # fmt: skip
    assert "io.github.acme/idle" not in {e["name"] for e in after["unused"]}
    assert after["calls"]["by_package"] == {"npm:@acme/idle@1.2.3": 1}


def test_the_audit_report_counts_calls_by_user_and_team(cli: Any, tmp_path: Path) -> None:
    """``gateway serve`` records the token's subject and groups: the report groups by them
    (a static token's holder is its ``client``), blocked calls counted apart."""
    from datetime import UTC, datetime

    from mcpward.gateway import AuditLog
    from mcpward.registry import Registry

    database, log_path = f"sqlite:///{tmp_path / 'registry.db'}", tmp_path / "audit.jsonl"
    Registry.open(database).database.dispose()
    log = AuditLog(log_path)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    call = {"at": now, "stage": "request", "method": "tools/call", "tool": "pay", "decision": "allow"}
    log.append({**call, "server": "ledger", "subject": "alice", "groups": ["finance", "staff"]})
    log.append({**call, "server": "ledger", "subject": "alice", "groups": ["finance", "staff"]})
    log.append({**call, "server": "wiki", "subject": "bob", "groups": ["staff"], "decision": "block"})
    log.append({**call, "server": "ledger", "stage": "response", "subject": "bob", "groups": ["staff"]})
    log.close()
    result = cli("report", "audit", "--format", "json", "--audit-log", str(log_path), "--database", database)
    calls = json.loads(result.stdout)["calls"]
    users = {row["user"]: (row["calls"], row["blocked"], row["servers"]) for row in calls["by_user"]}
    assert users["alice"] == (2, 0, "ledger") and users["bob"] == (1, 1, "wiki")
    assert calls["by_team"] == [
        {"team": "staff", "calls": 3, "blocked": 1},
        {"team": "finance", "calls": 2, "blocked": 0},
    ]
    markdown = cli("report", "audit", "--audit-log", str(log_path), "--database", database)
    assert "## Calls by user (2)" in markdown.stdout and "| alice | 2 | 0 | ledger |" in markdown.stdout
    assert "## Calls by team (groups the token names) (2)" in markdown.stdout
