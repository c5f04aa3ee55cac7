"""A repository whose config folder is a symbolic link to another folder of the repository
(``.vscode -> config/editor``, ``.cursor -> shared``, a skill linked into ``.claude/skills``):
git keeps links, a clone makes them, and VS Code, Cursor and Claude Code read through them.

Before 2026-12-06 the tree walk followed no link to a folder (so that it cannot leave the tree
or loop), and so never looked inside one: every server and skill under a linked config folder
was missing from the inventory without a word. Now a link whose name is a config folder of a
host's pattern is looked into, for that pattern's files only (nothing else under it is walked),
and what it names is read when it lies inside the scanned tree; outside, it is one error line,
as a linked config file is."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mcpward.scan._engine import ScanOptions, discover

EVIL = {"command": "npx", "args": ["-y", "evil-mcp@1.0.0"]}


def _found(tree: Path) -> tuple[dict[str, str], list[str]]:
    found = discover(ScanOptions(paths=(tree,), include_user_configs=False, workers=1))
    return {s.name: s.host for s in found.servers}, [
        f"{Path(e.path).name}: {e.message}" for e in found.errors
    ]


def test_a_linked_vscode_and_cursor_folder_are_read(tmp_path: Path) -> None:
    (tmp_path / "config" / "editor").mkdir(parents=True)
    (tmp_path / "config" / "editor" / "mcp.json").write_text(json.dumps({"servers": {"via-vscode": EVIL}}))
    (tmp_path / ".vscode").symlink_to("config/editor")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "mcp.json").write_text(json.dumps({"mcpServers": {"via-cursor": EVIL}}))
    (tmp_path / ".cursor").symlink_to("shared", target_is_directory=True)
    servers, errors = _found(tmp_path)
    assert servers == {"via-vscode": "vscode", "via-cursor": "cursor"}
    assert not errors


def test_a_linked_folder_inside_a_config_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "skills" / "review").mkdir(parents=True)
    (tmp_path / "skills" / "review" / "SKILL.md").write_text(
        "---\nname: review\ndescription: Reviews.\n---\nRead."
    )
    (tmp_path / ".claude" / "skills").mkdir(parents=True)
    (tmp_path / ".claude" / "skills" / "review").symlink_to("../../skills/review")
    (tmp_path / "containers" / "python").mkdir(parents=True)
    config = {"customizations": {"vscode": {"mcp": {"servers": {"in-container": EVIL}}}}}
    (tmp_path / "containers" / "python" / "devcontainer.json").write_text(json.dumps(config))
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "python").symlink_to("../containers/python")
    servers, errors = _found(tmp_path)
    assert servers == {"skill review": "claude-code", "in-container": "vscode"}
    assert not errors


def test_a_linked_folder_in_a_nested_project_is_read(tmp_path: Path) -> None:
    project = tmp_path / "services" / "api"
    (project / "dotfiles" / "vscode").mkdir(parents=True)
    (project / "dotfiles" / "vscode" / "mcp.json").write_text(json.dumps({"servers": {"nested": EVIL}}))
    (project / ".vscode").symlink_to("dotfiles/vscode")
    servers, _ = _found(tmp_path)
    assert servers == {"nested": "vscode"}


def test_a_linked_folder_outside_the_tree_is_said_not_read(tmp_path: Path) -> None:
    outside, tree = tmp_path / "outside", tmp_path / "tree"
    outside.mkdir()
    (outside / "mcp.json").write_text(json.dumps({"servers": {"elsewhere": EVIL}}))
    tree.mkdir()
    (tree / ".vscode").symlink_to(outside)
    (tree / ".devcontainer").symlink_to("/proc")  # not even listed: /net would mount hosts
    servers, errors = _found(tree)
    assert servers == {}
    assert sorted(errors) == [
        ".devcontainer: cannot list: a symbolic link to a folder outside the scanned tree; not looked into",
        ".vscode: cannot list: a symbolic link to a folder outside the scanned tree; not looked into",
    ]


def test_links_that_loop_or_dangle_end(tmp_path: Path) -> None:
    (tmp_path / ".vscode").symlink_to(".vscode")  # a loop
    (tmp_path / ".cursor").symlink_to("missing")  # dangling
    (tmp_path / ".devcontainer").symlink_to(".")  # the tree itself, with its own links
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / ".zed").symlink_to("fifo")  # a link to something that is no folder
    servers, errors = _found(tmp_path)
    assert servers == {}
    assert not errors


def test_ordinary_links_in_a_tree_change_nothing(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "latest").symlink_to("docs")
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_text(json.dumps({"servers": {"plain": EVIL}}))
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n")
    (tmp_path / "docs" / "index.md").symlink_to("guide.md")
    servers, errors = _found(tmp_path)
    assert servers == {"plain": "vscode"}
    assert not errors


def test_links_to_large_folders_are_listed_within_a_budget_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mcpward.scan._project_tree.MAX_LINKED_ENTRIES", 100)
    shared = tmp_path / "shared"
    for index in range(150):
        (shared / f"c{index}").mkdir(parents=True)
    for index in range(20):  # links to one folder: listed once
        (tmp_path / f"p{index}").mkdir()
        (tmp_path / f"p{index}" / ".devcontainer").symlink_to(shared)
    servers, errors = _found(tmp_path)
    assert servers == {}
    assert len(errors) == 20 and all("linked folders; not looked into" in e for e in errors)


def test_a_linked_folder_named_in_another_case_is_read(tmp_path: Path) -> None:
    (tmp_path / "editor").mkdir()
    (tmp_path / "editor" / "mcp.json").write_text(json.dumps({"servers": {"upper-link": EVIL}}))
    (tmp_path / ".VSCode").symlink_to("editor")
    servers, errors = _found(tmp_path)
    assert servers == {"upper-link": "vscode"} and not errors
