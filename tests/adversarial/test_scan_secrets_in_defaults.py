"""A literal secret written as the default of a variable (``${API_KEY:-...}``): Claude Code
expands ``${VAR:-default}`` in ``.mcp.json`` (its documentation of environment variable
expansion), as shells and compose files do, so the default is what runs wherever the variable
is unset, and it is written in the config in clear.

Before 2026-12-06 any value beginning ``${`` was taken for a reference to a secret held
elsewhere, whatever followed its ``:-``: the secret was printed in clear in the record's
arguments and URL by every output format and no plaintext-secret finding was made (nor for an
``env`` value). Now the default is judged as the value itself; an empty, placeholder or
referenced default is still a reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

from mcpward.dlp import assess_value, redact_argv, redact_text, redact_url

SECRET = "Xq7vR2mK9pL4wZ8tQ3"


@pytest.mark.parametrize(
    "argv",
    [
        ("--api-key", f"${{API_KEY:-{SECRET}}}"),
        (f"API_KEY=${{API_KEY:-{SECRET}}}",),
        (f"--token=${{GH_TOKEN-{SECRET}}}",),
        ("--password", "${DB_PASSWORD:=hunter2hunter2}"),
        ("--header", f"Authorization: Bearer ${{TOKEN:-{SECRET}}}"),
    ],
)
def test_a_secret_default_is_masked(argv: tuple[str, ...]) -> None:
    masked, hits = redact_argv(argv)
    assert SECRET not in " ".join(masked) and "hunter2" not in " ".join(masked)
    assert hits


def test_a_secret_default_in_a_url_and_text_is_masked() -> None:
    assert SECRET not in redact_url(f"https://mcp.example.com/mcp?api_key=${{KEY:-{SECRET}}}")
    assert SECRET not in redact_text(json.dumps({"api_key": f"${{API_KEY:-{SECRET}}}"}))


def test_a_secret_default_in_env_is_a_finding() -> None:
    assert assess_value("env:API_KEY", "API_KEY", f"${{API_KEY:-{SECRET}}}")


@pytest.mark.parametrize(
    "argv",
    [
        ("--api-key", "${API_KEY}"),
        ("--api-key", "${API_KEY:-}"),
        ("--api-key", "${API_KEY:-your-api-key-here}"),
        ("--token", "${GH_TOKEN:-${GITHUB_TOKEN}}"),
        ("--port", "${PORT:-8080}"),
        ("--log-level", "${LOG_LEVEL:-debug}"),
        ("--token", "${input:github-token}"),
        ("--password", "${DB_PASSWORD:-changeme}"),
    ],
)
def test_a_reference_with_no_secret_default_is_kept(argv: tuple[str, ...]) -> None:
    assert redact_argv(argv) == (argv, [])
    assert not assess_value("env:X", argv[0].lstrip("-"), argv[1])


@pytest.mark.parametrize("output", ["table", "json", "csv", "sarif", "cyclonedx"])
def test_no_format_prints_a_secret_default(tmp_path: Path, output: str) -> None:
    server = {
        "command": "npx",
        "args": ["-y", "x-mcp@1.0.0", "--api-key", f"${{API_KEY:-{SECRET}}}"],
        "env": {"OTHER_TOKEN": f"${{OTHER_TOKEN:-{SECRET}}}"},
    }
    remote = {"type": "http", "url": f"https://mcp.example.com/mcp?api_key=${{KEY:-{SECRET}}}"}
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"local": server, "remote": remote}})
    )
    done = mcpward_in_home(
        tmp_path, "scan", "--only-paths", "--path", str(tmp_path / "repo"), "-f", output, timeout=60
    )
    assert done.returncode in (0, 1), done.stderr[-500:]
    assert "local" in done.stdout
    assert SECRET not in done.stdout + done.stderr
    if output == "json":
        findings = json.loads(done.stdout)["findings"]
        evidence = [f["evidence"] for f in findings if f["category"] == "plaintext-secret"]
        assert any(e.startswith("arg[3]") for e in evidence), evidence
        assert any(e.startswith("env:OTHER_TOKEN") for e in evidence), evidence


def test_defaults_nested_without_end_cost_linear_time() -> None:
    import time

    nested = "${A:-" * 100_000 + SECRET + "}" * 100_000
    started = time.process_time()
    masked, _ = redact_argv(("--api-key", nested))
    assert time.process_time() - started < 5
    assert SECRET not in " ".join(masked)


def test_wrap_leaves_a_default_for_the_client_to_expand(tmp_path: Path) -> None:
    from cli_kit import mcpward_with_data

    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    config = home / ".cursor" / "mcp.json"
    value = f"${{API_KEY:-{SECRET}}}"
    entry = {"command": "node", "args": ["index.js"], "env": {"API_KEY": value}}
    config.write_text(json.dumps({"mcpServers": {"notes": entry}}))
    secrets = tmp_path / "secrets" / "mcp.env"
    done = mcpward_with_data(tmp_path / "data", "wrap", "--home", str(home), "--move-secrets", str(secrets))
    assert done.returncode == 0, done.stderr[-500:]
    assert SECRET not in done.stdout + done.stderr
    written = json.loads(config.read_text())["mcpServers"]["notes"]
    assert written["env"]["API_KEY"] == value  # kept, and said so
    assert "kept the literal secret API_KEY" in done.stdout
