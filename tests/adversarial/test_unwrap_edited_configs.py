"""``unwrap`` of a config edited since ``wrap`` wrote it.

Before 2026-12-05 unwrap refused such a file, and ``--force`` restored the original bytes whole.
Claude Code rewrites ``~/.claude.json`` as it runs (its start count, projects, tips), so the file
was always "changed since it was wrapped": a user could leave the gateway only by forcing, and
lost what the client and they had written since. Now only the entries wrap routed through the
gateway are put back (the server's own launch line after the gateway's ``--``, and the
secrets wrap moved out), every other edit kept. The attacks: an edit of the config (a project's
config is anyone's who writes to the repository) that makes unwrap copy a secret into it from
the secrets file, or put back an entry wrap did not write; a wrapped entry whose gateway
arguments were edited.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from cli_kit import mcpward_with_data

TOKEN = "ghp_" + "Fd8s7A6p5O4i3U2y1T0r9E8w7Q6a5S4d3F2g"
OTHER = "ghp_" + "Zm1n2B3v4C5x6Z7l8K9j0H1g2F3d4S5a6P7o"


def _claude_code(home: Path) -> Path:
    config = home / ".claude.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    servers = {
        "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],
                   "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": TOKEN, "GITHUB_ORG": "acme"}},
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv"]},
    }  # fmt: skip
    config.write_text(json.dumps({"numStartups": 3, "mcpServers": servers}, indent=2))
    return config


def _wrap(home: Path, data: Path, secrets: Path) -> None:
    done = mcpward_with_data(data, "wrap", "--home", str(home), "--move-secrets", str(secrets))
    assert done.returncode == 0 and "wrapped github" in done.stdout, done.stdout + done.stderr
    assert TOKEN not in (home / ".claude.json").read_text()


def test_the_clients_edits_are_kept_and_the_moved_secret_comes_back(tmp_path: Path) -> None:
    home, data, secrets = tmp_path / "home", tmp_path / "data", tmp_path / "secrets.env"
    config = _claude_code(home)
    original = json.loads(config.read_text())
    _wrap(home, data, secrets)
    # What Claude Code does as it runs: counts, project state, a server the user added.
    document = json.loads(config.read_text())
    document["numStartups"] = 4
    document["projects"] = {"/home/u/app": {"allowedTools": ["Bash(git status)"]}}
    document["mcpServers"]["added"] = {"command": "uvx", "args": ["mcp-server-time"]}
    config.write_text(json.dumps(document, indent=2))
    done = mcpward_with_data(data, "unwrap")
    assert done.returncode == 0, done.stderr
    after = json.loads(config.read_text())
    assert after["numStartups"] == 4 and after["projects"] == document["projects"]
    assert after["mcpServers"] == original["mcpServers"] | {"added": document["mcpServers"]["added"]}
    # The secret is in the config again, so its copy in the secrets file is taken out.
    assert not secrets.exists() or TOKEN not in secrets.read_text()
    assert TOKEN not in done.stdout + done.stderr
    assert "nothing to restore" in mcpward_with_data(data, "unwrap").stdout


def test_an_edit_cannot_have_unwrap_copy_another_secret_into_the_config(tmp_path: Path) -> None:
    home, data, secrets = tmp_path / "home", tmp_path / "data", tmp_path / "secrets.env"
    config = _claude_code(home)
    _wrap(home, data, secrets)
    # Another secret in the same secrets file (a hand-written line) and one in another file
    # the user can read: an edited entry points its --secret at them.
    secrets.write_text(secrets.read_text() + f"deploy.TOKEN={OTHER}\n")
    elsewhere = tmp_path / "elsewhere.env"
    elsewhere.write_text(f"github.GITHUB_PERSONAL_ACCESS_TOKEN={OTHER}\n")
    wrapped = config.read_text()
    for reference in (
        f"file:{secrets}#deploy.TOKEN",
        f"file:{elsewhere}#github.GITHUB_PERSONAL_ACCESS_TOKEN",
    ):
        edited = wrapped.replace(
            f"GITHUB_PERSONAL_ACCESS_TOKEN=file:{secrets}#github.GITHUB_PERSONAL_ACCESS_TOKEN",
            f"GITHUB_PERSONAL_ACCESS_TOKEN={reference}",
        )
        assert edited != wrapped
        config.write_text(edited)
        done = mcpward_with_data(data, "unwrap")
        assert done.returncode == 1 and "is not one wrap moved" in done.stderr, done.stderr
        assert config.read_text() == edited and OTHER not in config.read_text()
    config.write_text(wrapped.replace('"numStartups": 3', '"numStartups": 5'))
    assert mcpward_with_data(data, "unwrap").returncode == 0
    assert (
        json.loads(config.read_text())["mcpServers"]["github"]["env"]["GITHUB_PERSONAL_ACCESS_TOKEN"] == TOKEN
    )


def test_entries_wrap_did_not_write_are_left_as_they_are(tmp_path: Path) -> None:
    home, data, secrets = tmp_path / "home", tmp_path / "data", tmp_path / "secrets.env"
    config = _claude_code(home)
    _wrap(home, data, secrets)
    document = json.loads(config.read_text())
    # A server the user routes through the gateway by hand, under another name.
    own = {
        "command": sys.executable,
        "args": ["-m", "mcpward", "gateway", "run", "--server", "mine", "--", "node", "x.js"],
    }
    document["mcpServers"]["by-hand"] = own
    config.write_text(json.dumps(document))
    assert mcpward_with_data(data, "unwrap").returncode == 0
    after = json.loads(config.read_text())["mcpServers"]
    assert after["by-hand"] == own and after["files"]["command"] == "npx"


def test_a_wrapped_entry_whose_gateway_arguments_were_edited_is_refused(tmp_path: Path) -> None:
    home, data, secrets = tmp_path / "home", tmp_path / "data", tmp_path / "secrets.env"
    config = _claude_code(home)
    before = config.read_bytes()
    _wrap(home, data, secrets)
    document = json.loads(config.read_text())
    args = document["mcpServers"]["files"]["args"]
    args.insert(args.index("--server"), "--unknown-flag")  # not wrap's shape: not guessed at
    config.write_text(json.dumps(document))
    edited = config.read_bytes()
    done = mcpward_with_data(data, "unwrap")
    assert done.returncode == 1 and "server files's gateway arguments were edited" in done.stderr
    assert "--force" in done.stderr and config.read_bytes() == edited
    forced = mcpward_with_data(data, "unwrap", "--force")
    assert forced.returncode == 0 and config.read_bytes() == before


def test_a_commented_config_keeps_its_comments_and_edits(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    settings = home / ".config" / "Code" / "User" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(
        '// mine\n{\n  "editor.fontSize": 14, /* large */\n  "mcp": {"servers": {\n'
        '    "time": {"command": "uvx", "args": ["mcp-server-time"],},\n  }},\n}\n'
    )
    original = settings.read_text()
    assert mcpward_with_data(data, "wrap", "--home", str(home), "--host", "vscode").returncode == 0
    settings.write_text(settings.read_text().replace('"editor.fontSize": 14', '"editor.fontSize": 16'))
    done = mcpward_with_data(data, "unwrap")
    assert done.returncode == 0, done.stderr
    assert settings.read_text() == original.replace('"editor.fontSize": 14', '"editor.fontSize": 16')


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to own homes as others"
)
def test_root_does_not_read_another_accounts_file_through_a_link_the_user_planted(tmp_path: Path) -> None:
    # Root wrapped alice's home and its own; alice makes her config a link to root's (wrapped,
    # so it has entries to put back): unwrap read it through the link and wrote root's file,
    # settings and all, into alice's home as hers.
    alice, rooted, data = tmp_path / "alice", tmp_path / "root", tmp_path / "data"
    _claude_code(alice)
    os.chown(alice, 4321, 4321)
    os.chown(alice / ".claude.json", 4321, 4321)
    _claude_code(rooted)
    (rooted / ".claude.json").write_text(
        (rooted / ".claude.json")
        .read_text()
        .replace('"numStartups": 3', '"rootOnly": "root-private-setting"')
    )
    for home in (alice, rooted):
        assert mcpward_with_data(data, "wrap", "--home", str(home)).returncode == 0
    (alice / ".claude.json").unlink()
    (alice / ".claude.json").symlink_to(rooted / ".claude.json")
    os.chown(alice / ".claude.json", 4321, 4321, follow_symlinks=False)
    for scope in (("--home", str(alice)), ()):  # the home named, or every config
        done = mcpward_with_data(data, "unwrap", *scope)
        assert done.returncode == 1 and "not owned by the home's owner" in done.stderr, done.stderr
    assert (alice / ".claude.json").is_symlink()
    assert "root-private-setting" not in done.stdout + done.stderr
