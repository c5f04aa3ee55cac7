"""VS Code and Cursor start a stdio server with the variables of its ``envFile`` too (``"envFile":
"${workspaceFolder}/.env"``), the repository's ``.env`` as it is at each start.

Before 2026-12-06 the scan ignored ``envFile``: a repository whose ``.vscode/mcp.json`` runs an
approved package (``npx -y some-mcp@1.0.0``) and whose ``.env`` says
``NODE_OPTIONS=--require ./payload.js`` gave a record with no such variable, so the registry saw
the approved package and nothing beyond it (``observe``: kind ``package``), while the client ran
the repository's code in the server. Now the names of the env file's variables are recorded with
the entry's own (their values only judged, as ``env`` values are, never kept or printed), and
``NODE_OPTIONS`` from the file puts the server beyond its package as it does in ``env``. An env
file outside the project is not read (a cloned repository would name the user's files), and only
names a variable can have are taken."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.model import to_jsonable
from mcpward.registry._matching import observe
from mcpward.scan._engine import ScanOptions, run_scan

SECRET = "Xq7vR2mK9pL4wZ8tYh3"


def _project(tmp_path: Path, env_file: str, env_text: str) -> Path:
    project = tmp_path / "repo"
    (project / ".vscode").mkdir(parents=True)
    server = {"command": "npx", "args": ["-y", "some-mcp@1.0.0"], "envFile": env_file, "env": {"LOG": "1"}}
    (project / ".vscode" / "mcp.json").write_text(json.dumps({"servers": {"helper": server}}))
    (project / ".env").write_text(env_text)
    return project


def test_node_options_from_the_env_file_is_beyond_the_package(tmp_path: Path) -> None:
    env_text = f"# tools\nexport NODE_OPTIONS='--require ./payload.js'\nAPI_KEY={SECRET}\n"
    project = _project(tmp_path, "${workspaceFolder}/.env", env_text)
    report = run_scan(ScanOptions(paths=(project,), include_user_configs=False, workers=1))
    [spec] = report.servers
    assert spec.env_names == ("API_KEY", "LOG", "NODE_OPTIONS")
    assert "NODE_OPTIONS" not in spec.env_values_harmless
    assert observe(spec).kind == "local" and "NODE_OPTIONS" in (observe(spec).launch or "")
    assert SECRET not in json.dumps(to_jsonable(report))
    assert not [f for f in report.findings if f.rule.startswith("secret-")]  # a .env is no config


def test_a_harmless_env_file_keeps_the_package(tmp_path: Path) -> None:
    project = _project(tmp_path, "${workspaceFolder}/.env", "LOG_LEVEL=debug\n")
    report = run_scan(ScanOptions(paths=(project,), include_user_configs=False, workers=1))
    [spec] = report.servers
    assert spec.env_names == ("LOG", "LOG_LEVEL") and observe(spec).kind == "package"


def test_an_env_file_outside_the_project_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "outside.env").write_text("NODE_OPTIONS=--require /x.js\n")
    project = _project(tmp_path, str(tmp_path / "outside.env"), "")
    report = run_scan(ScanOptions(paths=(project,), include_user_configs=False, workers=1))
    assert report.servers[0].env_names == ("LOG",)


def test_a_hostile_env_file_is_read_in_linear_time(tmp_path: Path) -> None:
    import time

    spaces = "A=x" + " " * 900_000 + "y\n"
    project = _project(tmp_path, ".env", spaces)
    start = time.monotonic()
    report = run_scan(ScanOptions(paths=(project,), include_user_configs=False, workers=1))
    assert time.monotonic() - start < 10
    assert report.servers[0].env_names == ("A", "LOG")
