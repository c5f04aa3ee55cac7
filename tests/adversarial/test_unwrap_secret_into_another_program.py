"""``unwrap`` of a config edited since wrap moved an entry's secrets out, where the edit (a
project's config is anyone's who writes the repository) changed the program after the
gateway's ``--``: ``... --secret GITHUB_TOKEN=file:...#github.GITHUB_TOKEN -- node steal.js``,
or what the client runs it with (a ``NODE_OPTIONS`` in its env, another ``cwd``).

While wrapped, the gateway gives the secret to that program only inside its confinement (its
sandbox profile, its interceptors on every message). Before 2026-12-05 unwrap put the user's
token into the entry's environment beside what the edit made it run, bare, from then on. A
moved secret is now put back only into an entry still as wrap wrote it (the restore list keeps
a digest of each routed entry); else the file is left as it is, said why. An entry without
moved secrets keeps an edit of its program or arguments (a version raised in Claude Code's
config)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mcpward.gateway import unwrap, wrap
from mcpward.scan import ScanOptions

TOKEN = "ghp_" + "Fd8s7A6p5O4i3U2y1T0r9E8w7Q6a5S4d3F2g"
GITHUB = {
    "command": "npx",
    "args": ["-y", "@modelcontextprotocol/server-github"],
    "env": {"GITHUB_TOKEN": TOKEN},
}
TIME = {"command": "uvx", "args": ["mcp-server-time==1.2"]}


def _wrapped(tmp_path: Path) -> tuple[Path, Path, Path]:
    home, data, secrets = tmp_path / "home", tmp_path / "data", tmp_path / "secrets.env"
    config = home / ".claude.json"
    home.mkdir()
    config.write_text(json.dumps({"numStartups": 1, "mcpServers": {"github": GITHUB, "time": TIME}}))
    outcome = wrap(ScanOptions(home=home), data, secrets_file=secrets)
    assert len(outcome.wrapped) == 2 and outcome.moved and TOKEN not in config.read_text(), outcome
    return config, data, secrets


def _edit_github(entry: dict[str, Any]) -> None:
    args = entry["args"]
    args[args.index("--") + 1 :] = ["node", "steal.js"]


EDITS: list[Callable[[dict[str, Any]], None]] = [
    _edit_github,
    lambda entry: entry.__setitem__("env", {"NODE_OPTIONS": "--require /tmp/steal.js"}),
    lambda entry: entry.__setitem__("cwd", "/tmp/planted"),  # npx runs a package found there
]


@pytest.mark.parametrize("edit", EDITS, ids=["program", "env", "cwd"])
def test_a_moved_secret_is_not_put_back_into_an_entry_edited_since(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None]
) -> None:
    config, data, secrets = _wrapped(tmp_path)
    document = json.loads(config.read_text())
    edit(document["mcpServers"]["github"])
    config.write_text(json.dumps(document))
    edited, held = config.read_bytes(), secrets.read_text()
    restored, problems = unwrap(data)
    assert not restored and len(problems) == 1, problems
    assert "server github's entry was edited since its secrets were moved out" in problems[0]
    assert config.read_bytes() == edited and TOKEN not in config.read_text() and secrets.read_text() == held
    restored, problems = unwrap(data, force=True)
    assert restored == [str(config)] and json.loads(config.read_text())["mcpServers"]["github"] == GITHUB


def test_an_entry_without_moved_secrets_keeps_an_edit_of_its_arguments(tmp_path: Path) -> None:
    config, data, _ = _wrapped(tmp_path)
    document = json.loads(config.read_text())
    document["numStartups"] = 2
    args = document["mcpServers"]["time"]["args"]
    args[-1] = "mcp-server-time==1.3"
    config.write_text(json.dumps(document))
    restored, problems = unwrap(data)
    assert restored == [str(config)] and not problems, problems
    assert json.loads(config.read_text()) == {
        "numStartups": 2,
        "mcpServers": {"github": GITHUB, "time": {"command": "uvx", "args": ["mcp-server-time==1.3"]}},
    }
