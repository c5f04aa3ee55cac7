"""A credential inside a JSON argument of a launch line: Smithery's CLI is started as
``npx -y @smithery/cli run @org/server --config '{"apiKey":"..."}'``, and other launchers take
``--headers '{"Authorization": "Bearer ..."}'`` or a whole ``--mcp-config '{...}'``; the same
line is seen in a running server's command line by ``scan --processes``.

Before 2026-12-06 an argument was judged whole, as a flag's value: a JSON object is no secret by
its look, so the key was printed in clear in the record's arguments by every format (JSON, CSV,
SARIF, CycloneDX) and no plaintext-secret finding was made. Now an argument that is a JSON
object or list is masked as text is (its secret-named members' values), and the masking is a
finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

from mcpward.dlp import redact_argv

SECRET = "Xq7vR2mK9pL4wZ8tYh3"


@pytest.mark.parametrize(
    "argv",
    [
        ("--config", json.dumps({"apiKey": SECRET, "profile": "work"})),
        ("--headers", json.dumps({"Authorization": f"Bearer {SECRET}"})),
        ("--mcp-config", json.dumps({"mcpServers": {"a": {"command": "x", "env": {"TOKEN": SECRET}}}})),
    ],
)
def test_a_secret_in_a_json_argument_is_masked(argv: tuple[str, str]) -> None:
    masked, hits = redact_argv(argv)
    assert SECRET not in " ".join(masked) and hits
    assert json.loads(masked[1])  # still the JSON it was, its values masked


def test_a_json_argument_without_secrets_is_kept() -> None:
    argv = ("--config", json.dumps({"debug": True, "dir": "/srv/data"}))
    assert redact_argv(argv) == (argv, [])


@pytest.mark.parametrize("output", ["json", "csv", "sarif", "cyclonedx"])
def test_no_format_prints_a_smithery_key(tmp_path: Path, output: str) -> None:
    (tmp_path / ".cursor").mkdir()
    args = ["-y", "@smithery/cli@1.2.3", "run", "@acme/notes", "--config", json.dumps({"apiKey": SECRET})]
    config = {"mcpServers": {"notes": {"command": "npx", "args": args}}}
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps(config), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", output, timeout=60)
    assert done.returncode in (0, 1), done.stderr[-500:]
    assert "notes" in done.stdout
    assert SECRET not in done.stdout + done.stderr
