"""``unwrap`` of a config edited since ``wrap`` wrote it took as wrap's every entry routed
through the gateway whose ``--server`` names its own key: the one shape a user writes by hand
(``"time": {"command": "mcpward", "args": ["gateway", "run", "--server", "time", "--", ...]}``),
and the one an edit of a project's config (anyone's who writes the repository) can add.

Before 2026-12-05 unwrap put such an entry back as a bare server: a server the user had put
behind the gateway by hand lost it without a word, and an entry wrap never wrote was rewritten.
wrap now records the names of the entries it routes, and unwrap puts back only as many entries
of each name as wrap routed (more of one name is refused, said why); a record written before
then has no names and keeps the earlier rule (and puts no moved secret back)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mcpward.gateway import unwrap, wrap
from mcpward.scan import ScanOptions

TOKEN = "ghp_" + "Fd8s7A6p5O4i3U2y1T0r9E8w7Q6a5S4d3F2g"


def _wrapped(tmp_path: Path) -> tuple[Path, Path, Path]:
    home, data, secrets = tmp_path / "home", tmp_path / "data", tmp_path / "secrets.env"
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    entry = {
        "command": "npx",
        "args": ["-y", "@modelcontextprotocol/server-github"],
        "env": {"GITHUB_TOKEN": TOKEN},
    }
    config.write_text(json.dumps({"mcpServers": {"github": entry}}, indent=2))
    outcome = wrap(ScanOptions(home=home), data, secrets_file=secrets)
    assert outcome.wrapped == [(str(config), "github")] and TOKEN not in config.read_text()
    return config, data, secrets


def _by_hand(name: str, *flags: str) -> dict[str, object]:
    line = ["-m", "mcpward", "gateway", "run", "--server", name, *flags, "--", "uvx", "mcp-server-time"]
    return {"command": sys.executable, "args": line}


def test_an_entry_the_user_routed_by_hand_stays_routed(tmp_path: Path) -> None:
    config, data, _ = _wrapped(tmp_path)
    document = json.loads(config.read_text())
    document["mcpServers"]["time"] = _by_hand("time")  # added by hand since, its own name
    config.write_text(json.dumps(document, indent=2))
    restored, problems = unwrap(data)
    assert restored == [str(config)] and not problems
    after = json.loads(config.read_text())["mcpServers"]
    assert after["time"] == _by_hand("time")
    assert after["github"]["command"] == "npx" and after["github"]["env"] == {"GITHUB_TOKEN": TOKEN}


def test_an_added_entry_is_not_given_a_secret_wrap_moved(tmp_path: Path) -> None:
    config, data, secrets = _wrapped(tmp_path)
    document = json.loads(config.read_text())
    # An edit of the project's config: an entry of its own reading the moved token.
    reference = f"T=file:{secrets}#github.GITHUB_TOKEN"
    document["mcpServers"]["helper"] = _by_hand("helper", "--secret", reference)
    config.write_text(json.dumps(document, indent=2))
    restored, problems = unwrap(data)
    assert restored == [str(config)] and not problems
    after = json.loads(config.read_text())["mcpServers"]
    assert after["helper"] == _by_hand("helper", "--secret", reference)
    assert after["github"]["env"] == {"GITHUB_TOKEN": TOKEN}


def test_more_entries_of_a_name_than_wrap_routed_are_refused(tmp_path: Path) -> None:
    config, data, _ = _wrapped(tmp_path)
    document = json.loads(config.read_text())
    document["projects"] = {"/src/app": {"mcpServers": {"github": _by_hand("github")}}}
    config.write_text(json.dumps(document, indent=2))
    edited = config.read_bytes()
    restored, problems = unwrap(data)
    assert not restored and config.read_bytes() == edited
    assert len(problems) == 1 and "server github is routed through the gateway in more entries" in problems[0]
    restored, problems = unwrap(data, force=True)  # the backup was kept
    assert restored == [str(config)] and json.loads(config.read_text())["mcpServers"]["github"]["env"]


def test_a_record_from_before_the_names_keeps_the_earlier_rule(tmp_path: Path) -> None:
    config, data, _ = _wrapped(tmp_path)
    manifest = json.loads((data / "manifest.json").read_text())
    record = manifest["files"][str(config)]
    assert record.pop("servers") == ["github"] and len(record.pop("entry_digests")) == 1
    (data / "manifest.json").write_text(json.dumps(manifest))
    document = json.loads(config.read_text())
    document["mcpServers"]["time"] = _by_hand("time")
    config.write_text(json.dumps(document, indent=2))
    restored, problems = unwrap(data)
    # Its moved secret goes back into no entry (test_unwrap_secret_into_another_program.py).
    assert not restored and len(problems) == 1 and "moved before 2026-12-05" in problems[0], problems
    args = document["mcpServers"]["github"]["args"]
    del args[args.index("--secret") : args.index("--secret") + 2]  # its --secret: put back by hand
    document["mcpServers"]["github"]["env"] = {"GITHUB_TOKEN": TOKEN}
    config.write_text(json.dumps(document, indent=2))
    restored, problems = unwrap(data)
    assert restored == [str(config)] and not problems, problems
    after = json.loads(config.read_text())["mcpServers"]
    assert after["time"] == {"command": "uvx", "args": ["mcp-server-time"]}  # the earlier rule
    assert after["github"]["env"] == {"GITHUB_TOKEN": TOKEN} and after["github"]["command"] == "npx"
