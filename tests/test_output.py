"""Every output format: its structure, its validity against the published schema, and that no
secret value reaches it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import scan_home
from fake_home import write, write_json
from mcpward.model import Report
from mcpward.output import format_names, write_report

DATA = Path(__file__).parent / "data"
SECRETS = {
    "github": "ghp_" + "Wq8Lm2Vb9RtN4pZs1TyW8cUf3HjD6gAe0K5o",
    "slack": "xoxb-" + "2468013579-1357924680-Zk8Lm2Vb9RtN4pZs1TyW8cUf",
    "aws": "AKIA" + "Q3EGRKL5M7ZXN2TB",
    "keyed": "a8F3kq92LmZx71PqR",
    "password": "Tr0ub4dor&3",
    "bearer": "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
}


@pytest.fixture
def risky_report(tmp_path: Path) -> Report:
    home = tmp_path / "home"
    write_json(
        home / ".cursor" / "mcp.json",
        {
            "mcpServers": {
                "github": {
                    "command": "npx",
                    "args": ["-y", "@modelcontextprotocol/server-github"],
                    "env": {
                        "GITHUB_PERSONAL_ACCESS_TOKEN": SECRETS["github"],
                        "SLACK_BOT_TOKEN": SECRETS["slack"],
                    },
                },
                "aws": {
                    "command": "docker",
                    "args": [
                        "run",
                        "-i",
                        "--rm",
                        "-e",
                        f"AWS_ACCESS_KEY_ID={SECRETS['aws']}",
                        "--privileged",
                        "mcp/aws",
                    ],
                },
                "crm": {
                    "command": "bash",
                    "args": ["-c", f"CRM_API_KEY={SECRETS['keyed']} npx -y crm-mcp | tee /tmp/log"],
                },
                "db": {
                    "command": "npx",
                    "args": [
                        "-y",
                        "@modelcontextprotocol/server-postgres@0.6.2",
                        f"postgresql://admin:{SECRETS['password']}@db.example.com/prod",
                    ],
                },
                "remote": {
                    "url": "http://mcp.example.com/mcp",
                    "headers": {"Authorization": f"Bearer {SECRETS['bearer']}"},
                },
                "vuln": {
                    "command": "npx",
                    "args": ["-y", "mcp-remote@0.1.15", "https://mcp.example.com/mcp"],
                },
                "=cmd|' /C calc'!A0": {"command": "node", "args": ["/opt/x.js"]},
                "\x1b[31mred\x1b]8;;http://evil\x07": {"command": "node", "args": ["/opt/y.js"]},
            }
        },
    )
    write(home / ".codex" / "config.toml", f'[mcp_servers.broken]\nenv = {{ TOKEN = "{SECRETS["github"]}" \n')
    return scan_home(home)


def render(report: Report, fmt: str, terminal: bool = False) -> str:
    buffer = io.StringIO()
    write_report(report, fmt, buffer, terminal=terminal)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "sarif", "cyclonedx"])
@pytest.mark.parametrize("terminal", [False, True])
def test_no_secret_value_in_any_format(risky_report: Report, fmt: str, terminal: bool) -> None:
    text = render(risky_report, fmt, terminal)
    assert len(risky_report.servers) == 8 and risky_report.errors
    for name, secret in SECRETS.items():
        assert secret not in text, f"{name} secret leaked into {fmt}"


def test_formats_are_the_five_documented() -> None:
    assert format_names() == ("csv", "cyclonedx", "json", "sarif", "table")


def test_json_has_servers_findings_errors_with_the_documented_fields(risky_report: Report) -> None:
    data = json.loads(render(risky_report, "json"))
    assert {"servers", "findings", "errors", "summary"} <= set(data)
    server = next(s for s in data["servers"] if s["name"] == "vuln")
    for field in (
        "host",
        "name",
        "config_path",
        "transport",
        "command",
        "args",
        "url",
        "package",
        "env_names",
        "scope",
        "owner",
    ):
        assert field in server
    assert server["package"] == {
        "ecosystem": "npm",
        "name": "mcp-remote",
        "version": "0.1.15",
        "pinned": True,
        "digest": None,
    }
    finding = data["findings"][0]
    for field in ("rule", "category", "severity", "host", "server", "message", "remediation", "evidence"):
        assert field in finding
    assert data["errors"][0]["path"].endswith("config.toml")
    assert data["summary"]["servers"] == 8
    github = next(s for s in data["servers"] if s["name"] == "github")
    assert github["env_names"] == ["GITHUB_PERSONAL_ACCESS_TOKEN", "SLACK_BOT_TOKEN"]


def test_csv_is_one_row_per_server_and_neutralises_formulas(risky_report: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(render(risky_report, "csv"))))
    assert len(rows) == 8
    names = {r["name"] for r in rows}
    assert "'=cmd|' /C calc'!A0" in names
    vuln = next(r for r in rows if r["name"] == "vuln")
    assert vuln["max_severity"] == "critical" and "known-vulnerable" in vuln["finding_rules"]
    assert vuln["package_name"] == "mcp-remote" and vuln["package_version"] == "0.1.15"


def test_sarif_validates_against_the_sarif_2_1_0_schema(risky_report: Report) -> None:
    document = json.loads(render(risky_report, "sarif"))
    schema = json.loads((DATA / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.validate(document, schema, cls=jsonschema.Draft4Validator)


def test_sarif_meets_github_code_scanning_requirements(
    risky_report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    document = json.loads(render(risky_report, "sarif"))
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "mcpward"
    rule_ids = [r["id"] for r in rules]
    assert len(rule_ids) == len(set(rule_ids))
    for rule in rules:
        float(rule["properties"]["security-severity"])  # GitHub's severity ranking reads this
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
    assert len(run["results"]) == len(risky_report.findings)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert not uri.startswith("/") and location["region"]["startLine"] >= 1
        assert result["partialFingerprints"]
    # Inside the working directory, paths are repository-relative as code scanning expects.
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith(
        "home/"
    )


def test_cyclonedx_validates_against_the_1_6_schema(risky_report: Report) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = render(risky_report, "cyclonedx")
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert errors is None, errors
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    purls = {c.get("purl") for c in bom["components"]}
    assert "pkg:npm/mcp-remote@0.1.15" in purls
    assert "pkg:npm/%40modelcontextprotocol/server-github" in purls  # unpinned: no version
    assert [s["name"] for s in bom["services"]] == ["remote"]
    vulns = bom["vulnerabilities"]
    assert {v["id"] for v in vulns} == {"GHSA-6xpm-ggf7-wc3p"}
    assert vulns[0]["affects"][0]["ref"].startswith("mcp-server:")


def test_table_groups_by_host_and_neutralises_terminal_escapes(risky_report: Report) -> None:
    text = render(risky_report, "table", terminal=True)
    assert "cursor (8)" in text
    assert "\x1b]8;;http://evil" not in text and "\x1b[31mred" not in text
    assert "\\x1b[31mr" in text  # shown escaped
    plain = render(risky_report, "table")
    assert "\x1b" not in plain
    assert "Files that could not be read" in plain
    assert "8 servers" in plain
    # each rule's fix once, under the table, not on every row
    fixes = [f.remediation for f in risky_report.findings if f.remediation]
    assert fixes and "How to fix" in plain
    for fix in set(fixes):
        assert plain.replace("\n", " ").count(fix[:40]) == 1, fix


def test_findings_without_host_or_server_get_no_empty_columns() -> None:
    from datetime import UTC, datetime

    from mcpward.model import Category, Finding, Severity

    finding = Finding(
        rule="dlp-secret",
        category=Category.PLAINTEXT_SECRET,
        severity=Severity.HIGH,
        message="A GitHub token in the text.",
        remediation="Rotate it.",
    )
    report = Report(
        tool_version="0", command="dlp", generated_at=datetime.now(UTC), subject="x", findings=(finding,)
    )
    text = render(report, "table")
    assert "host" not in text and "server" not in text and "dlp-secret" in text


def test_empty_report_renders_in_every_format(tmp_path: Path) -> None:
    report = scan_home(tmp_path)
    for fmt in format_names():
        assert render(report, fmt)
    assert "No MCP servers found" in render(report, "table")


MULTITOOL = Path(
    os.environ.get(
        "MCPWARD_SARIF_MULTITOOL",
        Path(__file__).parents[1] / ".cache" / "sarif-multitool" / "package" / "Sarif.Multitool",
    )
)


def test_sarif_passes_microsofts_validator_with_github_ingestion_rules(
    risky_report: Report, tmp_path: Path
) -> None:
    """Microsoft's SARIF Multitool with its GitHub code scanning rule set (GH10xx) and the SARIF
    rules: no error and no warning."""
    if not MULTITOOL.is_file():
        from needs import missing

        missing("sarif-multitool", "not fetched; .ci/run fetches it from the npm registry")
    log = tmp_path / "scan.sarif"
    log.write_text(render(risky_report, "sarif"))
    out = tmp_path / "validation.sarif"
    done = subprocess.run(
        [
            str(MULTITOOL),
            "validate",
            "--rule-kind",
            "Gh;Sarif",
            "--level",
            "Error;Warning;Note",
            "-o",
            str(out),
            str(log),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())["runs"][0]["results"]
    problems = [
        (r["ruleId"], r["message"].get("text", ""))
        for r in results
        if r.get("level", "warning") in ("error", "warning")
    ]
    assert problems == []


def test_counts_and_articles_read_as_english() -> None:
    from mcpward.output.words import counted, with_article

    assert [counted(n, "finding") for n in (0, 1, 2)] == ["0 findings", "1 finding", "2 findings"]
    assert counted(1, "machine") == "1 machine" and counted(3, "entry") == "3 entries"
    assert with_article("openai-project-key credential") == "an openai-project-key credential"
    assert with_article("GitHub token") == "a GitHub token"
    assert with_article("SSH key") == "an SSH key" and with_article("user") == "a user"


def test_each_format_says_which_reports_it_renders() -> None:
    from mcpward.output import format_names

    assert format_names("scan") == ("csv", "cyclonedx", "json", "sarif", "table")
    for command in ("vet", "inspect", "dlp"):  # an inventory's formats do not fit a verdict
        assert format_names(command) == ("json", "sarif", "table")
    assert format_names() == format_names("scan")
