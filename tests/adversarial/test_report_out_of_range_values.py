"""``mcpward report audit`` takes numbers it did not make: the counts of a previous report
(``--previous``, a file that may be kept where others write) and the period (``--since``).

A previous report's count of 2**64 (any integer past 64 bits) was taken as a count: the JSON
report (``--format json``, the form a next quarter's ``--previous`` reads) was an internal error
(exit 70), and a count of thousands of digits was written whole into every format. A period
past what a date holds (``--since 99999999999d``, ``3000000y``, ``9000y``) was an internal error
too. Now a previous count is a count only from 0 to 2**53 - 1 (what every JSON reader takes
exactly); anything else is no previous value, as a string was. A period is at most 100 years,
else refused with a usage error (exit 2). Real files, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import fleet_of_one_laptop, mcpward


def _database(tmp_path: Path) -> str:
    return fleet_of_one_laptop(tmp_path)


def test_a_previous_count_past_any_count_is_no_previous_value(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    previous = tmp_path / "previous.json"
    huge = 10**4000
    previous.write_text(
        f'{{"summary": {{"servers": {2**64}, "unapproved": {huge}, "unpinned": -5, "drifted": 3}}}}'
    )
    common = ("--database", _database(tmp_path), "--previous", str(previous))
    for output_format in ("md", "html", "json"):
        done = mcpward("report", "audit", "--format", output_format, *common, MCPWARD_DATA_DIR=data)
        assert done.returncode == 0, (output_format, done.stderr)
        assert str(huge)[:100] not in done.stdout and str(2**64) not in done.stdout
    document = json.loads(done.stdout)
    for key in ("servers", "unapproved", "unpinned"):
        assert document["trends"][key]["before"] is None, key
    assert document["trends"]["drifted"] == {"now": 0, "before": 3, "change": -3}


@pytest.mark.parametrize("since", ["99999999999d", "3000000y", "9000y", "1" * 5000 + "d", "²d"])
def test_a_period_past_what_a_date_holds_is_a_usage_error(tmp_path: Path, since: str) -> None:
    done = mcpward("report", "audit", "--database", _database(tmp_path), "--since", since,
                   MCPWARD_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "--since" in done.stderr and "internal error" not in done.stderr
    assert len(done.stderr) < 400  # the period is not repeated whole


def test_a_hundred_years_is_still_a_period(tmp_path: Path) -> None:
    done = mcpward("report", "audit", "--database", _database(tmp_path), "--since", "100y",
                   "--format", "json", MCPWARD_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["period"]["days"] == 36_500
