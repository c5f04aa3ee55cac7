"""A SARIF log that hostile input makes too large for GitHub code scanning. GitHub refuses a
file over 10 MB once gzip'd and a run of more than 25,000 results, and shows the 5,000 most
severe (docs.github.com, "SARIF support for code scanning" and "SARIF results exceed limit").
Until 2026-12-04 every name and text was written whole and every finding was a result: a
cloned repository's config of 30 servers named with 200 KB each made an 18 MB (gzip'd) log,
refused whole with every alert of the scan in it, and a server's tool-changed diffs were each
written in full. The log now holds the 5,000 most severe results within 7 MiB, names and texts
cut with a marker, a diff at a whole line, and a notification says what was left out."""

from __future__ import annotations

import base64
import gzip
import io
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
from cli_kit import mcpward

from mcpward.model import Category, Finding, Report, Severity
from mcpward.output.sarif import SarifFormat

DATA = Path(__file__).parents[1] / "data"
GITHUB_GZIP_BYTES = 10 * 1024 * 1024
GITHUB_RESULTS = 25_000
MARK = "more characters not in SARIF; `--format json` has them"


def _random_text(seed: int, characters: int) -> str:
    """Text gzip cannot shrink much (a hostile name need not be repetitive): base64 of noise."""
    return base64.b64encode(random.Random(seed).randbytes(characters)).decode()[:characters]  # noqa: S311


def _sarif(findings: list[Finding]) -> str:
    """The SARIF log of a scan report holding ``findings``."""
    report = Report(
        tool_version="0",
        command="scan",
        generated_at=datetime.now(UTC),
        subject="x",
        findings=tuple(findings),
    )
    out = io.StringIO()
    SarifFormat().write(report, out)
    return out.getvalue()


def test_long_server_names_in_a_config_keep_the_sarif_under_githubs_size_limit(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / ".cursor").mkdir(parents=True)
    names = [_random_text(index, 200_000) for index in range(30)]
    # Four findings each (a shell, no version, two secrets by their names), each quoting the name.
    launch = {"command": "sh", "args": ["-c", "npx -y some-mcp | tee x"]}
    servers = {
        name: {**launch, "env": {"API_TOKEN": "t0k3n-v4lu3-0001", "DB_PASSWORD": "pa55-w0rd-v4lu3"}}
        for name in names
    }
    (tree / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    out = tmp_path / "scan.sarif"
    done = mcpward("scan", "--only-paths", "--path", str(tree), "--format", "sarif", "-o", str(out))
    assert done.returncode == 0, done.stderr[-500:]
    data = out.read_bytes()
    assert len(gzip.compress(data)) < GITHUB_GZIP_BYTES, f"{len(data)} bytes, refused by GitHub"
    results = json.loads(data)["runs"][0]["results"]
    # Every finding is still a result, the server's name cut where it says so.
    assert len(results) == 4 * len(names)
    for result in results:
        text = result["message"]["text"]
        name = next(name for name in names if name[:200] in text)
        assert name not in text and f"[... {len(name) - 200} more characters]" in text


def test_a_tool_changed_diff_is_cut_at_a_whole_line_with_a_marker(tmp_path: Path) -> None:
    def text(seed: int) -> str:
        noise = _random_text(seed, 60_000)
        return "\n".join(noise[at : at + 60] for at in range(0, len(noise), 60))

    def save(seed: int) -> None:
        tools = [
            {"name": f"t{i}", "description": text(seed + i), "inputSchema": {"type": "object"}}
            for i in range(20)
        ]
        (tmp_path / "tools.json").write_text(json.dumps({"serverInfo": {"name": "big"}, "tools": tools}))

    pins = str(tmp_path / "pins.json")
    save(0)
    assert (
        mcpward("inspect", "--tools-file", str(tmp_path / "tools.json"), "--pin", "--pins", pins).returncode
        == 0
    )
    save(100)  # every description changed: twenty diffs of about 40 KB each
    for fmt in ("json", "sarif"):
        done = mcpward(
            "inspect", "--tools-file", str(tmp_path / "tools.json"), "--pins", pins,
            "--format", fmt, "-o", str(tmp_path / f"report.{fmt}"),
        )  # fmt: skip
        assert "Traceback" not in done.stderr, done.stderr[-500:]
    whole = {
        f["tool"]: f["evidence"]
        for f in json.loads((tmp_path / "report.json").read_text())["findings"]
        if f["rule"] == "tool-changed"
    }
    results = json.loads((tmp_path / "report.sarif").read_text())["runs"][0]["results"]
    changed = [r for r in results if r["properties"].get("detectorRule") == "tool-changed"]
    assert len(changed) == len(whole) == 20
    for result in changed:
        message = result["message"]["text"]
        assert len(message) < 8_200, len(message)
        shown, _, mark = message.partition(" Evidence: ")[2].rpartition("\n")
        assert MARK in mark  # said, on a line of its own
        diff = whole[result["properties"]["tool"]]
        # The diff's head as it is, in whole lines: readable, not cut mid-line.
        assert diff.startswith(shown + "\n") and shown.count("\n") > 20


def test_more_findings_than_github_takes_keep_the_most_severe_and_say_so() -> None:
    findings = [
        Finding(
            rule="npm-unpinned" if index % 300 else "secret-known-format",
            category=Category.UNPINNED_PACKAGE if index % 300 else Category.PLAINTEXT_SECRET,
            severity=Severity.MEDIUM if index % 300 else Severity.CRITICAL,
            message=f"finding {index}",
            remediation="pin it",
            host="cursor",
            server=f"s{index}",
            config_path="/x/.cursor/mcp.json",
        )
        for index in range(30_000)
    ]
    written = _sarif(findings)
    run = json.loads(written)["runs"][0]
    results = run["results"]
    assert len(results) <= 5_000 < GITHUB_RESULTS
    assert sum(r["ruleId"] == "secret-known-format" for r in results) == 100  # every critical kept
    for result in results:  # each result's rule index still names its rule
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes and notes[0].startswith("25000 of 30000 findings not in SARIF")
    # Still a valid SARIF log, cut: a consumer that validates takes it.
    schema = json.loads((DATA / "sarif-2.1.0-rtm.5.json").read_text())
    document = json.loads(written)
    document["runs"][0]["results"] = results[:50]
    jsonschema.validate(document, schema, cls=jsonschema.Draft4Validator)


def test_results_past_the_byte_budget_are_left_out_the_most_severe_kept_and_counted() -> None:
    # 3,000 findings, each with 7,000 characters of evidence gzip cannot shrink much (21 MB):
    # under the count cap, over what GitHub takes.
    noise = _random_text(7, 3_000 * 7_000)
    findings = [
        Finding(
            rule="secret-known-format",
            category=Category.PLAINTEXT_SECRET,
            severity=Severity.HIGH if index % 10 else Severity.CRITICAL,
            message=f"finding {index}",
            remediation="rotate it",
            host="cursor",
            server=f"s{index}",
            config_path="/x/.cursor/mcp.json",
            evidence=noise[index * 7_000 : (index + 1) * 7_000],
        )
        for index in range(3_000)
    ]
    data = _sarif(findings).encode()
    assert len(gzip.compress(data)) < GITHUB_GZIP_BYTES
    run = json.loads(data)["runs"][0]
    kept = {r["message"]["text"].split(": ", 1)[1].split(" Evidence: ", 1)[0] for r in run["results"]}
    assert {f"finding {index}" for index in range(0, 3_000, 10)} <= kept  # every critical one
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes[0].startswith(f"{3_000 - len(kept)} of 3000 findings not in SARIF")
