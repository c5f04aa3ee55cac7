"""``wrap --move-secrets FILE`` wrote FILE by opening it (``O_CREAT | O_TRUNC``), which follows
a link: a link planted under that name (FILE in a folder another user or a synced tool may
write) made wrap overwrite whatever file of the user's it pointed to with ``SERVER.VAR=value``
lines and narrow it to mode 600. The file is now made anew beside and moved into place."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from cli_kit import mcpward_with_data

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def test_a_link_planted_at_the_secrets_file_is_replaced_not_followed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    config = home / ".cursor" / "mcp.json"
    entry = {"command": "node", "args": ["index.js"], "env": {"GITHUB_TOKEN": TOKEN}}
    config.write_text(json.dumps({"mcpServers": {"github": entry}}))
    victim = home / ".bashrc"
    victim.write_text("export PATH=$HOME/bin:$PATH\n")
    victim.chmod(0o644)
    shared = tmp_path / "shared"
    shared.mkdir()
    secrets = shared / "mcp.env"
    secrets.symlink_to(victim)
    done = mcpward_with_data(tmp_path / "data", "wrap", "--home", str(home), "--move-secrets", str(secrets))
    assert victim.read_text() == "export PATH=$HOME/bin:$PATH\n", "the link's target was overwritten"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    if done.returncode == 0 and "moved" in done.stdout:
        assert not secrets.is_symlink() and stat.S_IMODE(secrets.lstat().st_mode) == 0o600
