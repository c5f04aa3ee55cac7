"""A config where many entries share one server name: Claude Code's ``~/.claude.json`` keeps a
server list per project (``projects[PATH].mcpServers``), and ``github`` is in each; a project
config anyone can write may repeat a name as often as it likes.

``wrap`` and ``unwrap`` put the entries in place in the text by matching each one against every
object under its name, and spliced each edit into a copy of the whole file: quadratic in the
number of entries of one name. Before 2026-12-05 800 projects took 16 s of CPU to wrap and 16 s
to unwrap (after an edit: Claude Code rewrites the file as it runs), 2,000 took 100 s each,
during which the restore list is held and every other wrap or unwrap waits. Each object under
a name is now read once, by its launch line, and the edits are joined in one pass."""

from __future__ import annotations

import json
import time
from pathlib import Path

from mcpward.gateway import unwrap, wrap
from mcpward.scan import ScanOptions

PROJECTS = 1500


def test_many_entries_of_one_name_are_wrapped_and_unwrapped_in_linear_time(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    config = home / ".claude.json"
    projects = {
        f"/home/u/p{i}": {"mcpServers": {"github": {"command": "node", "args": [f"{i}.js"]}}}
        for i in range(PROJECTS)
    }
    config.write_text(json.dumps({"numStartups": 1, "projects": projects}, indent=1))
    started = time.process_time()
    outcome = wrap(ScanOptions(home=home), data)
    assert len(outcome.wrapped) == PROJECTS and time.process_time() - started < 10
    document = json.loads(config.read_text())
    assert all("gateway" in p["mcpServers"]["github"]["args"] for p in document["projects"].values())
    document["numStartups"] = 2  # what Claude Code does as it runs
    config.write_text(json.dumps(document, indent=1))
    started = time.process_time()
    restored, problems = unwrap(data)
    assert restored == [str(config)] and not problems and time.process_time() - started < 10
    assert json.loads(config.read_text()) == {"numStartups": 2, "projects": projects}
