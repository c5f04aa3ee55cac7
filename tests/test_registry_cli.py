"""The registry commands end to end, on SQLite and PostgreSQL: requests that vet real packages
(offline, from the saved fixtures) and inspect their tools, decisions, server.json in and out,
and ``scan --registry`` judging what a machine runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fake_home import npx, write_json
from mcpward.registry import Identity, Registry, Status, VetOutcome, parse_server_json
from test_registry import package_request

FIXTURES = Path(__file__).parent / "data" / "packages"
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


@pytest.fixture(scope="module")
def package_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("cache")
    shutil.copytree(FIXTURES, target, dirs_exist_ok=True)
    return target


def tools_file(path: Path) -> Path:
    tools = [
        {
            "name": "read_file",
            "description": "Read a file under the allowed directories.",
            "inputSchema": {"type": "object", "properties": {"path": {"type": "string"}}},
        },
        {
            "name": "write_file",
            "description": "Write a file under the allowed directories.",
            "inputSchema": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
            },
        },
    ]
    return write_json(path, {"tools": tools})


def test_request_vets_a_real_package_and_pins_its_tools(
    cli: Any, database_url: str, package_cache: Path, tmp_path: Path
) -> None:
    result = cli(
        "registry", "request", "npm:@modelcontextprotocol/server-filesystem@2026.8.31",
        "--owner", "team-devtools", "--reads", "project files", "--writes", "project files",
        "--tools-file", str(tools_file(tmp_path / "tools.json")),
        "--offline", "--cache-dir", str(package_cache), "--as", "alice",
        "--database", database_url, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    entry = result.json()
    assert entry["name"] == "npm.modelcontextprotocol/server-filesystem"
    assert entry["identity"]["integrity"].startswith("sha512-")
    assert entry["vet"]["verdict"] in ("pass", "review")
    assert sorted(entry["pins"]) == ["tool:read_file", "tool:write_file"]
    assert (entry["status"], entry["tier"], entry["requested_by"]) == ("requested", 1, "alice")

    refused = cli(
        "registry", "approve", str(entry["id"]), "-m", "mine", "--as", "alice", "--database", database_url
    )
    assert refused.exit_code == 1 and "own request" in refused.stderr
    approved = cli("registry", "approve", str(entry["id"]), "-m", "diff read", "--as", "bob",
                   "--revision", "1", "--database", database_url)  # fmt: skip
    assert approved.exit_code == 0 and "approved" in approved.stdout
    listed = cli("registry", "list", "--status", "approved", "--format", "json", "--database", database_url)
    assert [e["id"] for e in listed.json()] == [entry["id"]]
    audit = cli("registry", "audit", "--verify", "--database", database_url)
    assert audit.exit_code == 0 and "intact" in audit.stdout


def test_a_tools_file_that_cannot_be_read_stores_nothing(package_cache: Path, tmp_path: Path) -> None:
    # A misspelt --tools-file was a warning: the request was stored with no pins (an approval
    # then let the gateway allow no tool) and the version could not be requested again.
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    (tmp_path / "broken.json").write_text("{not json")
    base = [sys.executable, "-m", "mcpward", "registry", "request", "npm:@modelcontextprotocol/server-filesystem@2026.8.31",
            "--owner", "team-devtools", "--offline", "--cache-dir", str(package_cache), "--database", database]  # fmt: skip
    for given in ("tool.json", "broken.json"):
        result = subprocess.run(
            [*base, "--tools-file", str(tmp_path / given)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert f"inspect could not read {tmp_path / given}: " in result.stderr
        assert result.stderr.endswith("(nothing was stored)\n")
    result = subprocess.run(
        [*base, "--tools-file", str(tools_file(tmp_path / "tools.json")), "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (json.loads(result.stdout)["id"], sorted(json.loads(result.stdout)["pins"])) == (
        1,
        ["tool:read_file", "tool:write_file"],
    )


def test_a_server_that_spawns_processes_is_tier0(cli: Any, database_url: str, package_cache: Path) -> None:
    result = cli(
        "registry", "request", "npm:@heroku/mcp-server@1.2.8", "--owner", "team-devtools",
        "--offline", "--cache-dir", str(package_cache), "--database", database_url, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    entry = result.json()
    assert entry["tier"] == 0 and entry["approvals_needed"] == 2
    assert "vet: the code starts processes" in entry["tier_reasons"]
    assert "process-spawn" in entry["vet"]["capabilities"]


def test_export_and_import_round_trip_server_json(cli: Any, database_url: str, tmp_path: Path) -> None:
    registry = Registry.open(database_url)
    entry = registry.request(
        package_request(scope=package_request().scope.model_copy(update={"credentials": ("ACME_TOKEN",)})),
        "alice",
    )
    registry.approve(entry.id, "bob", "fine")
    exported = cli("registry", "export", str(entry.id), "--database", database_url)
    document = json.loads(exported.stdout)
    parsed = parse_server_json(document)  # valid under the official rules
    assert parsed.packages[0].identifier == "@acme/files" and parsed.version == "1.2.3"
    assert document["_meta"]["io.mcpward/registry"]["status"] == "approved"
    write_json(tmp_path / "server.json", document)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    imported = cli("registry", "import", str(tmp_path / "server.json"), "--database", other)
    assert imported.exit_code == 0, imported.stderr
    copy = Registry.open(other).entries()[0]
    assert (copy.identity, copy.owner, copy.scope.credentials) == (
        entry.identity,
        "team-platform",
        ("ACME_TOKEN",),
    )
    assert copy.status is Status.REQUESTED  # an import is a request: it still needs its review
    registry.database.dispose()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "no-slash"}, "name: String should match pattern"),
        ({"version": "^1.2.0"}, "must be a specific version"),
        ({"surprise": True}, "surprise: Extra inputs are not permitted"),
        ({"description": "x" * 101}, "description: String should have at most 100 characters"),
        (
            {
                "packages": [
                    {
                        "registryType": "oci",
                        "identifier": "ghcr.io/acme/files:1.0",
                        "version": "1.0",
                        "transport": {"type": "stdio"},
                    }
                ]
            },
            "names no digest",
        ),
        (
            {
                "packages": [
                    {
                        "registryType": "npm",
                        "identifier": "x",
                        "version": "latest",
                        "transport": {"type": "stdio"},
                    }
                ]
            },
            "must be a specific version",
        ),
    ],
)
def test_import_refuses_invalid_server_json_and_stores_nothing(
    cli: Any, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    good = {"name": "io.github.acme/files", "description": "Files", "version": "1.0.0",
            "packages": [{"registryType": "npm", "identifier": "@acme/files", "version": "1.0.0",
                          "transport": {"type": "stdio"}}]}  # fmt: skip
    database = f"sqlite:///{tmp_path / 'r.db'}"
    write_json(tmp_path / "batch.json", [good | {"name": "io.github.acme/other"}, good | change])
    result = cli(
        "registry", "import", str(tmp_path / "batch.json"), "--owner", "team", "--database", database
    )
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert Registry.open(database).entries() == []
    (tmp_path / "broken.json").write_text('{"name": ', encoding="utf-8")
    broken = cli("registry", "import", str(tmp_path / "broken.json"), "--database", database)
    assert broken.exit_code == 2 and "JSON syntax error" in broken.stderr


def test_import_drops_secret_values(cli: Any, tmp_path: Path) -> None:
    document = {"name": "io.github.acme/files", "description": "Files", "version": "1.0.0",
                "packages": [{"registryType": "npm", "identifier": "@acme/files", "version": "1.0.0",
                              "transport": {"type": "stdio"},
                              "environmentVariables": [{"name": "ACME_KEY", "isSecret": True, "value": "s3cr3t-value-1234"}]}]}  # fmt: skip
    database = f"sqlite:///{tmp_path / 'r.db'}"
    write_json(tmp_path / "server.json", document)
    assert (
        cli(
            "registry", "import", str(tmp_path / "server.json"), "--owner", "team", "--database", database
        ).exit_code
        == 0
    )
    assert b"s3cr3t-value-1234" not in (tmp_path / "r.db").read_bytes()
    assert Registry.open(database).entries()[0].scope.credentials == ("ACME_KEY",)


def test_scan_with_registry_reports_each_kind_of_mismatch(
    cli: Any, database_url: str, tmp_path: Path
) -> None:
    registry = Registry.open(database_url)
    approved = registry.request(package_request(), "alice")
    registry.approve(approved.id, "bob", "fine")
    revoked = registry.request(package_request(name="mail"), "alice")
    registry.approve(revoked.id, "bob", "fine")
    registry.revoke(revoked.id, "carol", "impersonation")
    image = registry.request(
        package_request(
            name="img", identity=Identity(kind="oci", name="ghcr.io/acme/img", version="1.0", digest=DIGEST_A)
        ),
        "alice",
    )
    registry.approve(image.id, "bob", "fine")
    past = Registry(registry.database, clock=lambda: datetime.now(UTC) - timedelta(days=100))
    stale = past.request(package_request(name="old", vet=VetOutcome(verdict="pass")), "alice")
    past.approve(stale.id, "bob", "fine then")
    home = tmp_path / "home"
    write_json(home / ".cursor" / "mcp.json", {"mcpServers": {
        "files": npx("@acme/files@1.2.3"),
        "files-next": npx("@acme/files@1.2.4"),
        "mail": npx("@acme/mail@1.2.3"),
        "stranger": npx("totally-unknown-mcp@0.1.0"),
        "img-ok": {"command": "docker", "args": ["run", "-i", "--rm", f"ghcr.io/acme/img:1.0@{DIGEST_A}"]},
        "img-swapped": {"command": "docker", "args": ["run", "-i", "--rm", f"ghcr.io/acme/img:1.0@{DIGEST_B}"]},
        "old": npx("@acme/old@1.2.3"),
    }})  # fmt: skip
    result = cli(
        "scan", "--home", str(home), "--host", "cursor", "--format", "json", "--registry", database_url
    )
    findings = {f["server"]: f["rule"] for f in result.json()["findings"] if f["category"] == "registry"}
    assert findings == {
        "files-next": "version-drift",
        "mail": "revoked",
        "stranger": "unapproved",
        "img-swapped": "integrity-mismatch",
        "old": "review-expired",
    }
    registry.database.dispose()


def test_scan_registry_errors_are_clear(cli: Any, tmp_path: Path) -> None:
    result = cli("scan", "--home", str(tmp_path), "--registry", "mysql://db/x")
    assert result.exit_code == 2 and "unsupported database 'mysql'" in result.stderr
    result = cli("scan", "--home", str(tmp_path), "--registry", "http://127.0.0.1:9/")
    assert result.exit_code == 2 and "cannot reach the registry" in result.stderr


def test_serve_refuses_a_port_that_does_not_exist(tmp_path: Path) -> None:
    # --port 99999 started, saying "Uvicorn running on http://127.0.0.1:99999", on another port.
    for port in ("99999", "0"):
        result = subprocess.run(
            [sys.executable, "-m", "mcpward", "registry", "serve", "--port", port,
             "--database", f"sqlite:///{tmp_path / 'registry.db'}"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 2 and "not in the range 1<=x<=65535" in result.stderr, result.stderr
        assert "running on" not in result.stderr


def test_a_lock_file_with_another_integrity_is_an_integrity_mismatch(cli: Any, tmp_path: Path) -> None:
    good = "sha512-" + "A" * 86 + "=="
    forged = "sha512-" + "B" * 86 + "=="
    database = f"sqlite:///{tmp_path / 'r.db'}"
    registry = Registry.open(database)
    entry = registry.request(
        package_request(
            name="mcp-files",
            identity=Identity(
                kind="package", ecosystem="npm", name="@acme/mcp-files", version="1.2.3", integrity=good
            ),
        ),
        "alice",
    )
    registry.approve(entry.id, "bob", "ok")
    project = tmp_path / "project"
    write_json(
        project / "package.json",
        {
            "name": "agent",
            "dependencies": {"@acme/mcp-files": "1.2.3", "@modelcontextprotocol/sdk": "^1.0.0"},
        },
    )

    def lock(integrity: str) -> None:
        write_json(project / "package-lock.json", {"name": "agent", "lockfileVersion": 3, "packages": {
            "": {"name": "agent"},
            "node_modules/@acme/mcp-files": {"version": "1.2.3", "integrity": integrity},
            "node_modules/@modelcontextprotocol/sdk": {"version": "1.9.0", "integrity": "sha512-" + "C" * 86 + "=="},
        }})  # fmt: skip

    def registry_rules() -> list[tuple[str, str]]:
        result = cli(
            "scan", "--only-paths", "--path", str(project), "--format", "json", "--registry", database
        )
        return [(f["rule"], f["message"]) for f in result.json()["findings"] if f["category"] == "registry"]

    lock(good)
    assert registry_rules() == []  # the SDK is not the registry's business; the server matches
    lock(forged)
    rules = registry_rules()
    assert [rule for rule, _ in rules] == ["integrity-mismatch"] and "@acme/mcp-files@1.2.3" in rules[0][1]
    registry.database.dispose()


def test_list_and_show_say_what_a_request_is_and_a_downgrade_needs_an_override(
    cli: Any, database_url: str
) -> None:
    registry = Registry.open(database_url)
    newer = registry.request(package_request(name="memory", version="2026.8.31"), "alice")
    registry.approve(newer.id, "bob", "ok")
    critical = {"severity": "critical", "rule": "conceal-from-user", "message": "hides a step"}
    older = registry.request(
        package_request(name="memory", version="2026.7.4", inspect_findings=(critical,)), "alice"
    )
    registry.database.dispose()
    listed = cli("registry", "list", "--status", "requested", "--database", database_url)
    assert listed.exit_code == 0
    row = next(line for line in listed.stdout.splitlines() if line.lstrip().startswith(str(older.id)))
    assert f"downgrade of 2026.8.31 (entry {newer.id})" in " ".join(listed.stdout.split())
    assert "critical conceal-from-user" in row and "pass" in row and "none known" in row
    shown = cli("registry", "show", str(older.id), "--database", database_url).stdout
    assert f"change       downgrade of 2026.8.31 (entry {newer.id})" in shown
    assert "worst: critical conceal-from-user" in shown and "advisories   none" in shown
    assert "approving    needs --override" in shown and "- 2026.7.4 is a downgrade" in shown
    refused = cli("registry", "approve", str(older.id), "-m", "ok", "--as", "bob", "--database", database_url)
    assert refused.exit_code == 1
    assert "is a downgrade" in refused.stderr and "conceal-from-user" in refused.stderr
    done = cli("registry", "approve", str(older.id), "-m", "rollback", "--override", "--grace-days", "0",
               "--as", "bob", "--database", database_url)  # fmt: skip
    assert done.exit_code == 0, done.stderr
    replaced = cli("registry", "show", str(newer.id), "--database", database_url).stdout
    assert f"superseded (superseded by entry {older.id}: approval ended on" in replaced
    approved = cli("registry", "list", "--status", "approved", "--format", "json", "--database", database_url)
    assert [e["identity"]["version"] for e in approved.json()] == ["2026.7.4"]
