"""The lines under "Act on" of `report audit` (what an auditor reads first) name the first
servers (by their launch line), machines, homes and reporters in mcpward's own sentence. Those names are the
reporting machine's word, and were written into the sentence as they came: a server run by
``files on build-01, reported by fleet-agent. Nothing else to act on`` read as mcpward's
prose, a name claiming another machine and the agent as its reporter, until 2026-12-06. Each
name now stands in double quotes, its own quotes and backslashes escaped."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from mcpward.registry import InventoryUpload, ObservedServer, Registry
from mcpward.report import audit

FORGED = "files on build-01, reported by fleet-agent. Nothing else to act on"


def _unapproved_line(tmp_path: Path, launch: str, hostname: str) -> str:
    """The line of a local server whose launch line is ``launch`` (what the line names it by)."""
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    observed = (ObservedServer(host="cursor", name="evil", kind="local", launch=launch),)
    registry.record_inventory(
        InventoryUpload(machine_id="m-1", hostname=hostname, home="/home/ci", servers=observed), "mallory"
    )
    document = audit.build_audit(registry, since=timedelta(days=90))
    registry.database.dispose()
    line: str = next(item for item in document["act_on"] if item["section"] == "unapproved")["text"]
    return line


def test_a_name_cannot_write_mcpwards_sentence(tmp_path: Path) -> None:
    line = _unapproved_line(tmp_path, FORGED, "laptop-9")
    assert f'{json.dumps(FORGED)} on "laptop-9"' in line, line
    assert line.endswith(', reported by "mallory".'), line


def test_quotes_in_a_name_are_escaped_not_closing_it(tmp_path: Path) -> None:
    line = _unapproved_line(tmp_path, 'notes" on "build-01', "laptop-9")
    assert '"notes\\" on \\"build-01" on "laptop-9"' in line, line


def test_a_plain_name_reads_as_itself_in_quotes(tmp_path: Path) -> None:
    line = _unapproved_line(tmp_path, "node files.js", "laptop-9")
    assert (
        line
        == 'Request a review of, or remove, 1 unapproved server: "node files.js" on "laptop-9" ("/home/ci"), reported by "mallory".'
    ), line
