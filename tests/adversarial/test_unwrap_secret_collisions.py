"""``unwrap`` of a config edited since wrap moved its secrets out, where putting a moved secret
back in the entry's environment would overwrite another value: two ``--secret`` flags naming
one variable (an edit, a slip), or the variable written in the environment again since (a
rotated token pasted into the config while the entry still read the old one from the file).

Before 2026-12-05 the last value won without a word, and the secrets file's lines of both keys
were taken out: the first token was then nowhere (not in the config, not in the secrets file,
the backup removed), and a token written since was replaced by the old one. Such an entry now
leaves the file as it is, said why; ``--force`` restores the original whole."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.gateway import unwrap, wrap
from mcpward.scan import ScanOptions

GITHUB = "ghp_" + "Fd8s7A6p5O4i3U2y1T0r9E8w7Q6a5S4d3F2g"
OPENAI = "sk-" + "proj" + "Zm1n2B3v4C5x6Z7l8K9j0H1g2F3d4S5a6P7o8Q9"
ROTATED = "ghp_" + "Zm1n2B3v4C5x6Z7l8K9j0H1g2F3d4S5a6P7o"


def _wrapped(tmp_path: Path) -> tuple[Path, Path, Path]:
    home, data, secrets = tmp_path / "home", tmp_path / "data", tmp_path / "secrets.env"
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    entry = {"command": "node", "args": ["g.js"], "env": {"GITHUB_TOKEN": GITHUB, "OPENAI_API_KEY": OPENAI}}
    config.write_text(json.dumps({"mcpServers": {"g": entry}}))
    assert len(wrap(ScanOptions(home=home), data, secrets_file=secrets).moved) == 2
    return config, data, secrets


def _refused(config: Path, data: Path, secrets: Path, why: str) -> None:
    edited, held = config.read_bytes(), secrets.read_text()
    restored, problems = unwrap(data)
    assert not restored and len(problems) == 1 and why in problems[0], problems
    assert config.read_bytes() == edited and secrets.read_text() == held
    restored, problems = unwrap(data, force=True)
    assert restored == [str(config)] and not problems
    assert json.loads(config.read_text())["mcpServers"]["g"]["env"] == {
        "GITHUB_TOKEN": GITHUB,
        "OPENAI_API_KEY": OPENAI,
    }


def test_two_secrets_read_into_one_variable_are_not_put_back(tmp_path: Path) -> None:
    config, data, secrets = _wrapped(tmp_path)
    config.write_text(config.read_text().replace('"OPENAI_API_KEY=file:', '"GITHUB_TOKEN=file:'))
    _refused(config, data, secrets, "server g's GITHUB_TOKEN is read from two moved secrets")


def test_a_value_written_in_the_environment_since_is_not_overwritten(tmp_path: Path) -> None:
    config, data, secrets = _wrapped(tmp_path)
    document = json.loads(config.read_text())
    document["mcpServers"]["g"]["env"] = {"GITHUB_TOKEN": ROTATED}
    config.write_text(json.dumps(document))
    _refused(config, data, secrets, "server g's env holds GITHUB_TOKEN again")
