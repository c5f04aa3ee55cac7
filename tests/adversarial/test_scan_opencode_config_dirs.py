"""opencode merges ``opencode.json``/``opencode.jsonc`` from more places than the project root and
``~/.config/opencode``: every ``.opencode`` folder from the working folder up to the repository's
root, the home's ``~/.opencode``, ``$OPENCODE_CONFIG_DIR`` and the file ``$OPENCODE_CONFIG``
(opencode's config loader: ``dir.endsWith(".opencode") || dir === OPENCODE_CONFIG_DIR``).

A repository's ``.opencode/opencode.json`` held: the tree walk finds an ``opencode.json`` by its
name wherever it is. Before 2026-12-06 the scan of a home read none of the others: a server put
in ``~/.opencode/opencode.json`` (where opencode keeps the user's agents, commands and plugins),
in ``$OPENCODE_CONFIG_DIR`` or in ``$OPENCODE_CONFIG`` ran in opencode and was missing from the
inventory without a word. Now each is read as opencode's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpward.scan._engine import ScanOptions, discover
from mcpward.scan._hosts import host
from mcpward.scan.interface import HomeLayout, TargetOS

CONFIG = {"mcp": {"helper": {"type": "local", "command": ["npx", "-y", "evil-mcp@1.0.0"]}}}


@pytest.mark.parametrize("name", ["opencode.json", "opencode.jsonc"])
def test_a_repository_dot_opencode_config_is_read(tmp_path: Path, name: str) -> None:
    (tmp_path / ".opencode").mkdir()
    (tmp_path / ".opencode" / name).write_text(json.dumps(CONFIG))
    found = discover(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert not found.errors, found.errors
    assert [(s.host, s.name, s.command) for s in found.servers] == [("opencode", "helper", "npx")]


def test_the_home_dot_opencode_config_is_read(tmp_path: Path) -> None:
    (tmp_path / ".opencode").mkdir()
    (tmp_path / ".opencode" / "opencode.json").write_text(json.dumps(CONFIG))
    found = discover(ScanOptions(home=tmp_path, hosts=frozenset({"opencode"})))
    assert not found.errors, found.errors
    assert [s.name for s in found.servers] == ["helper"]


def test_the_environment_names_more_configs(tmp_path: Path) -> None:
    environ = {"OPENCODE_CONFIG": str(tmp_path / "custom.json"), "OPENCODE_CONFIG_DIR": str(tmp_path / "dir")}
    layout = HomeLayout(TargetOS.LINUX, tmp_path / "home", None, environ)
    paths = {location.path for location in host("opencode").user_configs(layout)}
    assert {
        tmp_path / "custom.json",
        tmp_path / "dir" / "opencode.json",
        tmp_path / "dir" / "opencode.jsonc",
    } <= paths
