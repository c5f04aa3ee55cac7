"""``unwrap`` of a config edited since wrap moved an entry's secrets out, where the edit (a
project's config is anyone's who writes the repository) changed the program after the
gateway's ``--``: ``... --secret GITHUB_TOKEN=file:...#github.GITHUB_TOKEN -- node steal.js``.

While wrapped, the gateway gives the secret to that program only inside its confinement (its
sandbox profile, its interceptors on every message). Before 2026-12-05 unwrap put the user's
token into the entry's environment beside the program the edit named, run bare by the client
from then on. A moved secret is now put back only into an entry that runs what it was moved
from (the restore list keeps a digest of each routed entry's name, program and arguments); else
the file is left as it is, said why. An entry without moved secrets keeps an edit of its
program or arguments (a version raised in Claude Code's config)."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_a_moved_secret_is_not_put_back_beside_another_program(tmp_path: Path) -> None:
    config, data, secrets = _wrapped(tmp_path)
    document = json.loads(config.read_text())
    args = document["mcpServers"]["github"]["args"]
    args[args.index("--") + 1 :] = ["node", "steal.js"]
    config.write_text(json.dumps(document))
    edited, held = config.read_bytes(), secrets.read_text()
    restored, problems = unwrap(data)
    assert not restored and len(problems) == 1, problems
    assert "server github runs another program or arguments than its moved secrets" in problems[0]
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
