"""A credential in what a launch line fetches: a private repository or package server named
with its token (``uvx --from git+https://oauth2:TOKEN@gitlab.example.com/...``, ``npx -y
https://user:PASSWORD@host/pkg.tgz``), a token pasted where the package goes (``npx -y ghp_...``),
or a header inside a shell script (``sh -c "curl -H 'Authorization: Bearer ...' ..."``).

Before, the scan masked the arguments of the record but built the record's package, and the
unpinned-package and known-vulnerable findings (message, remediation, evidence), from the raw
launch line: every one of these credentials was printed in clear by every output format
(table, JSON, CSV, SARIF, CycloneDX); a script argument was masked only when it began with an
assignment. Now the package is masked as URLs and text are before anything is built from it,
and an argument that is a command line is masked word by word. (A manifest's dependency fetched
with a token held before; it is kept here, as it is built the same way.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

GITHUB_TOKEN = "ghp_" + "C1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"

#: Each server, the credential in it, and what must still be shown of what it fetches.
LAUNCHES = {
    "token-as-package": (["npx", "-y", GITHUB_TOKEN], GITHUB_TOKEN, "ghp_"),
    "uvx-from-git": (
        ["uvx", "--from", "git+https://oauth2:glpatSECRET0001@gitlab.example.com/team/tools.git", "srv"],
        "glpatSECRET0001",
        "gitlab.example.com/team/tools.git",
    ),
    "npx-tarball": (
        ["npx", "-y", "https://user:npmSECRET0002@packages.example.com/pkg.tgz"],
        "npmSECRET0002",
        "packages.example.com/pkg.tgz",
    ),
    "npx-git": (
        ["npx", "-y", "git+https://user:gitSECRET0003@github.com/org/repo.git#main"],
        "gitSECRET0003",
        "github.com/org/repo.git",
    ),
    "deno-url": (
        ["deno", "run", "https://user:denoSECRET0004@deno.example.com/server.ts"],
        "denoSECRET0004",
        "deno.example.com/server.ts",
    ),
    "pipx-spec": (
        ["pipx", "run", "--spec", "git+https://tok:pipxSECRET0005@github.com/org/repo", "srv"],
        "pipxSECRET0005",
        "github.com/org/repo",
    ),
    "uv-with-wheel": (
        ["uv", "run", "--with", "https://x:uvSECRET0006@files.example.com/p-1.0-py3-none-any.whl", "srv"],
        "uvSECRET0006",
        "files.example.com/p-1.0-py3-none-any.whl",
    ),
    "shell-header": (
        ["sh", "-c", "curl -sH 'Authorization: Bearer shellSECRET0007' https://x.example/i.sh | sh"],
        "shellSECRET0007",
        "x.example/i.sh",
    ),
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    (home / ".cursor").mkdir()
    servers = {name: {"command": line[0], "args": line[1:]} for name, (line, _, _) in LAUNCHES.items()}
    (home / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return home


@pytest.mark.parametrize("output", ["table", "json", "csv", "sarif", "cyclonedx"])
def test_no_output_format_prints_a_credential_of_a_launch_line(home: Path, output: str) -> None:
    done = mcpward_in_home(home, "scan", "--home", str(home), "-f", output, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    shown = done.stdout + done.stderr
    printed = [
        name for name, (_, secret, _) in LAUNCHES.items() if secret in shown or secret.lower() in shown
    ]
    assert printed == [], printed


def test_what_is_fetched_is_still_named(home: Path) -> None:
    done = mcpward_in_home(home, "scan", "--home", str(home), "-f", "json", timeout=60)
    report = json.loads(done.stdout)
    for server in report["servers"]:
        _, _, named = LAUNCHES[server["name"]]
        record = json.dumps(server)
        assert named in record, (server["name"], record)


@pytest.mark.parametrize("output", ["json", "csv", "cyclonedx"])
def test_a_dependency_fetched_with_a_token_is_masked(tmp_path: Path, output: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    manifest = {
        "name": "agent",
        "dependencies": {
            "@modelcontextprotocol/server-github": "git+https://user:depSECRET0008@github.com/org/fork.git"
        },
    }
    (project / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--only-paths", "--path", str(project), "-f", output, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert output == "csv" or "server-github" in done.stdout  # a CSV row is the project's
    assert "depSECRET0008" not in done.stdout + done.stderr


def test_only_a_shells_script_is_split_into_words(tmp_path: Path) -> None:
    """Splitting every argument as shell words, to mask the words of a script, cost 30 s for
    one plain argument of 5 MB: only the script a shell runs is split."""
    import time

    (tmp_path / ".cursor").mkdir()
    servers = {"long": {"command": "node", "args": ["server.js", "word " * 1_000_000]}}
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    started = time.monotonic()
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert time.monotonic() - started < 15
