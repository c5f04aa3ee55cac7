"""A secret given as ``key=value`` or ``Header: value`` inside a flag's value: Helm-style
``--set api.key=...`` (a dotted key), the same glued to its flag (``--set=api.key=...``,
``--env=GITHUB_TOKEN=...``, ``--header=Authorization: Bearer ...``) and lists of assignments
(``--set log.level=debug,api.key=...``); a short flag glued to its value (``-HAuthorization:
Bearer ...``) and a flag written ``--token:...`` or ``/token:...``.

Before 2026-12-06 a flag's value was judged whole under the flag's name (``set``, ``env``,
``header``: no secret word), a key's words were parted by ``-`` and ``_`` but not by ``.``
(``api.key`` was no secret name), and a list was judged by its first key: each secret here was
printed in clear in the record's arguments by every output format and no plaintext-secret
finding was made. ``-e KEY=VALUE``, ``--env KEY=VALUE`` and ``--header "Authorization: ..."``
(two words) held; they are kept here with the rest. Names are shown, values never."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

from mcpward.dlp import redact_argv

SECRET = "Xq7vR2mK9pL4wZ8tQ3"

ATTACKS = [
    ("--set", f"api.key={SECRET}"),
    (f"--set=api.key={SECRET}",),
    ("--set", f"log.level=debug,api.key={SECRET}"),
    (f"--set=log.level=debug,auth.token={SECRET}",),
    ("--set-string", f"secrets.apiKey={SECRET}"),
    (f"--env=GITHUB_TOKEN={SECRET}",),
    ("--env", f"GITHUB_TOKEN={SECRET}"),
    ("-e", f"API_KEY={SECRET}"),
    (f"-eAPI_KEY={SECRET}",),
    ("--header", f"Authorization: Bearer {SECRET}"),
    (f"--header=Authorization: Bearer {SECRET}",),
    (f"--header=X-Api-Key: {SECRET}",),
    ("-H", f"X-Api-Key: {SECRET}"),
    ("--build-arg", f"NPM_TOKEN={SECRET}"),
    (f"-Dapi.key={SECRET}",),
    ("--config", f"db.password={SECRET}"),
    (f"--opt=a=1,b=2,client_secret={SECRET}",),
    # A short flag glued to its value (curl's ``-H``), and flags given as ``name:value``.
    (f"-HAuthorization: Bearer {SECRET}",),
    (f"-HX-Api-Key:{SECRET}",),
    (f"--token:{SECRET}",),
    (f"--header:Authorization: Bearer {SECRET}",),
    (f"/token:{SECRET}",),
]

CLEAN = [
    ("--set", "log.level=debug"),
    ("--set=image.tag=v1.2.3",),
    ("--set", "log.level=debug,replicas=3"),
    ("--set", "sort.key=created_at"),
    ("--set", "api.key.file=/run/secrets/api-key"),
    ("--set=max.tokens=4096",),
    ("--env=LOG_LEVEL=debug",),
    ("-e", "NODE_ENV=production"),
    ("--header=Accept: application/json",),
    ("--header", "Content-Type: application/json"),
    ("--port", "8080"),
    ("-y",),
    ("--set", "auth.mode=oauth"),
    ("--set", "token.ttl=3600"),
    ("-v", "/srv/data:/data:ro"),
    ("-p", "8080:8080"),
    ("-Xmx512m",),
    ("-Dfile.encoding=UTF-8",),
    ("--bind:0.0.0.0",),
    ("-HAccept: application/json",),
    ("/c",),
]


@pytest.mark.parametrize("argv", ATTACKS)
def test_a_nested_secret_is_masked(argv: tuple[str, ...]) -> None:
    masked, hits = redact_argv(argv)
    assert SECRET not in " ".join(masked)
    assert hits and all(SECRET not in hit.redacted for hit in hits)


@pytest.mark.parametrize("argv", CLEAN)
def test_a_nested_plain_setting_is_kept(argv: tuple[str, ...]) -> None:
    assert redact_argv(argv) == (argv, [])


def test_names_are_kept_where_values_are_masked() -> None:
    masked, _ = redact_argv((f"--set=log.level=debug,api.key={SECRET}", f"--env=GITHUB_TOKEN={SECRET}"))
    assert masked == ("--set=log.level=debug,api.key=****", "--env=GITHUB_TOKEN=****")


def _home_with(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / ".cursor").mkdir()
    servers = {"helm": {"command": "npx", "args": ["-y", "k8s-mcp@1.0.0", *args]}}
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")


@pytest.mark.parametrize("output", ["table", "json", "csv", "sarif", "cyclonedx"])
def test_no_format_prints_a_nested_secret(tmp_path: Path, output: str) -> None:
    _home_with(tmp_path, [word for argv in ATTACKS for word in argv])
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", output, timeout=60)
    assert done.returncode in (0, 1), done.stderr[-500:]
    assert "helm" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_plain_settings_print_as_written(tmp_path: Path) -> None:
    args = [word for argv in CLEAN for word in argv]
    _home_with(tmp_path, args)
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=60)
    report = json.loads(done.stdout)
    (server,) = report["servers"]
    assert server["args"][2:] == args
    assert not [f for f in report["findings"] if f["category"] == "plaintext-secret"]
