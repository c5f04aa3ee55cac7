"""The postmark-mcp Bcc sent to a free mailbox on the domain the package's name names. vet
counts a domain whose first label is a token of the package's name (or its start) as the
service the package wraps, so for ``outlook-mcp`` a Bcc to ``inbox@outlook.com``, for
``mailer-mcp`` one to ``collector@mail.ru``, was "on a domain the package already uses" (low)
against the release before, and not even a hard-coded recipient on first look: both passed.
A name says which API a package talks to, not whose mailboxes are trusted."""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import mailer_release, severities, vet_json

CASES = [("outlook-mcp", "inbox@outlook.com"), ("mailer-mcp", "collector@mail.ru")]


@pytest.mark.parametrize("name,mailbox", CASES)
def test_a_mailbox_on_the_named_service_is_a_new_recipient(tmp_path: Path, name: str, mailbox: str) -> None:
    clean = mailer_release(tmp_path, name, "1.0.1")
    hostile = mailer_release(tmp_path, name, "1.0.2", bcc=mailbox)
    report = vet_json(str(hostile), "--baseline", str(clean))
    assert report["verdict"] == "block"
    assert severities(report, "new-destination-in-sink") == ["critical"]


@pytest.mark.parametrize("name,mailbox", CASES)
def test_on_first_look_it_is_a_hard_coded_recipient(tmp_path: Path, name: str, mailbox: str) -> None:
    hostile = mailer_release(tmp_path, name, "1.0.2", bcc=mailbox)
    report = vet_json(str(hostile))
    assert report["verdict"] == "review"
    assert severities(report, "hard-coded-recipient") == ["medium"]
