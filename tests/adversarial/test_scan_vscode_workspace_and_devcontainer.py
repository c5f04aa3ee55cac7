"""Servers VS Code runs from a multi-root workspace file or a dev container that the scan did
not see (false negatives for whoever commits a repository).

VS Code reads a ``.code-workspace`` file's ``settings.mcp`` (``McpResourceScannerService`` reads
its ``servers`` for the workspace target), and an untitled multi-root workspace is kept as
``<user data>/Workspaces/<id>/workspace.code-workspace``. A dev container's ``devcontainer.json``
(``.devcontainer/devcontainer.json``, ``.devcontainer/<name>/devcontainer.json`` or a root
``.devcontainer.json``) gives servers in ``customizations.vscode.mcp`` (VS Code's "Add an MCP
server to a dev container", written to the container's ``mcp.json`` when it is created) and
settings in ``customizations.vscode.settings``. Before 2026-12-06 none of these files was read:
a repository that shipped its server there had it started by VS Code and missing from the
inventory without a word. Now each is a ``vscode`` record, its auto-approval settings too."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import mcpward_in_home

from mcpward.scan._engine import ScanOptions, discover, run_scan
from mcpward.scan.interface import TargetOS

EVIL = {"command": "npx", "args": ["-y", "evil-mcp@1.0.0"]}
SECRET = "Xq7vR2mK9pL4wZ8tQ3"


def _tree_servers(tree: Path) -> dict[str, tuple[str, str]]:
    found = discover(ScanOptions(paths=(tree,), include_user_configs=False, workers=1))
    assert not found.errors, found.errors
    return {s.name: (s.host, Path(s.location.path).name) for s in found.servers}


def test_a_workspace_file_settings_mcp_is_read(tmp_path: Path) -> None:
    workspace = {"folders": [{"path": "."}], "settings": {"mcp": {"servers": {"shared": EVIL}}}}
    (tmp_path / "team.code-workspace").write_text(json.dumps(workspace))
    assert _tree_servers(tmp_path) == {"shared": ("vscode", "team.code-workspace")}


def test_a_workspace_file_dotted_setting_and_top_level_mcp_are_read(tmp_path: Path) -> None:
    # JSONC, as VS Code writes workspace files: comments and trailing commas.
    (tmp_path / "a.code-workspace").write_text(
        '{\n  // the team\'s folders\n  "folders": [{"path": "."},],\n'
        '  "settings": {"mcp.servers": {"dotted": ' + json.dumps(EVIL) + "}},\n"
        '  "mcp": {"servers": {"top": ' + json.dumps(EVIL) + "}},\n}\n"
    )
    assert set(_tree_servers(tmp_path)) == {"dotted", "top"}


def test_a_dev_container_mcp_is_read(tmp_path: Path) -> None:
    (tmp_path / ".devcontainer").mkdir()
    config = {
        "image": "mcr.microsoft.com/devcontainers/typescript-node:latest",
        "customizations": {"vscode": {"extensions": ["x.y"], "mcp": {"servers": {"container": EVIL}}}},
    }
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text("// dev container\n" + json.dumps(config))
    assert _tree_servers(tmp_path) == {"container": ("vscode", "devcontainer.json")}


def test_every_dev_container_file_and_its_settings_are_read(tmp_path: Path) -> None:
    (tmp_path / ".devcontainer" / "python").mkdir(parents=True)
    named = {"customizations": {"vscode": {"mcp": {"servers": {"named": EVIL}}}}}
    (tmp_path / ".devcontainer" / "python" / "devcontainer.json").write_text(json.dumps(named))
    root = {"customizations": {"vscode": {"settings": {"mcp": {"servers": {"in-settings": EVIL}}}}}}
    (tmp_path / ".devcontainer.json").write_text(json.dumps(root))
    assert set(_tree_servers(tmp_path)) == {"named", "in-settings"}


def test_an_untitled_workspace_in_the_home_is_read(tmp_path: Path) -> None:
    folder = tmp_path / ".config" / "Code" / "Workspaces" / "1733450000000"
    folder.mkdir(parents=True)
    workspace = {"folders": [{"path": "/srv/a"}], "settings": {"mcp": {"servers": {"untitled": EVIL}}}}
    (folder / "workspace.code-workspace").write_text(json.dumps(workspace))
    found = discover(ScanOptions(home=tmp_path, target_os=TargetOS.LINUX, hosts=frozenset({"vscode"})))
    assert [(s.name, s.host) for s in found.servers] == [("untitled", "vscode")]


def test_auto_approval_in_a_dev_container_is_a_finding(tmp_path: Path) -> None:
    config = {
        "customizations": {
            "vscode": {
                "settings": {"chat.tools.autoApprove": True},
                "mcp": {"servers": {"container": EVIL}},
            }
        }
    }
    (tmp_path / ".devcontainer.json").write_text(json.dumps(config))
    report = run_scan(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    rules = {f.rule for f in report.findings if f.server == "container"}
    assert any("approve" in rule for rule in rules), rules


def test_a_secret_in_a_workspace_server_is_masked_and_found(tmp_path: Path) -> None:
    server = {"command": "npx", "args": ["-y", "x-mcp@1.0.0", "--api-key", SECRET]}
    workspace = {"folders": [], "settings": {"mcp": {"servers": {"keyed": server}}}}
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "x.code-workspace").write_text(json.dumps(workspace))
    done = mcpward_in_home(tmp_path, "scan", "--only-paths", "--path", str(tmp_path / "repo"), "-f", "json")
    report = json.loads(done.stdout)
    assert [s["name"] for s in report["servers"]] == ["keyed"]
    assert SECRET not in done.stdout
    assert any(f["category"] == "plaintext-secret" for f in report["findings"])


def test_a_settings_file_with_both_spellings_gives_both_maps(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    settings = {"mcp": {"inputs": []}, "mcp.servers": {"hidden": EVIL}}
    (tmp_path / ".vscode" / "settings.json").write_text(json.dumps(settings))
    assert set(_tree_servers(tmp_path)) == {"hidden"}


def test_ordinary_workspace_and_dev_container_files_give_nothing(tmp_path: Path) -> None:
    workspace = {"folders": [{"path": "api"}, {"path": "web"}], "settings": {"editor.tabSize": 2}}
    (tmp_path / "team.code-workspace").write_text(json.dumps(workspace))
    (tmp_path / ".devcontainer").mkdir()
    config = {
        "image": "mcr.microsoft.com/devcontainers/python:3.12",
        "customizations": {"vscode": {"extensions": ["ms-python.python"], "settings": {"python.x": 1}}},
        "forwardPorts": [8080],
    }
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text(json.dumps(config))
    assert _tree_servers(tmp_path) == {}
    report = run_scan(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert not report.findings and not report.errors


def test_a_workspace_file_of_the_wrong_shape_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "bad.code-workspace").write_text(json.dumps({"settings": {"mcp": {"servers": [1, 2]}}}))
    (tmp_path / ".devcontainer.json").write_text(json.dumps({"customizations": {"vscode": ["x"]}}))
    (tmp_path / "list.code-workspace").write_text("[1, 2]")
    found = discover(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert not found.servers
    assert sorted(Path(e.path).name for e in found.errors) == ["bad.code-workspace", "list.code-workspace"]
