"""The registry's audit log as text (``mcpward registry audit``) printed each line through
``printable``, which doubles a text's backslashes where it escapes anything: each line decided
alone, so a line whose detail held an invisible character (an emoji's variation selector, a
control in a tool's name) showed an actor ``CORP\\alice`` as ``CORP\\\\alice``, the same as
another line's actor named ``CORP\\\\alice`` (a name some single sign-on providers let a person
choose). A reader comparing who did what across lines read two people as one. The lines of one
listing now have their backslashes doubled alike (``mcpward.output.text.printable_together``)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from mcpward.output.entries import write_audit
from mcpward.output.text import printable, printable_together
from mcpward.registry import AuditEvent


def _event(seq: int, actor: str, detail: dict[str, object]) -> AuditEvent:
    at = datetime(2026, 12, 6, 14, 0, seq, tzinfo=UTC)
    return AuditEvent(seq=seq, at=at, actor=actor, action="approve", entry_id=7, detail=detail, hash="0" * 64)


def _actors_shown(events: list[AuditEvent]) -> list[str]:
    out = io.StringIO()
    write_audit(events, "text", out)
    return [line.split()[3] for line in out.getvalue().splitlines()]


def test_two_actors_whose_names_differ_in_their_backslashes_show_differently() -> None:
    events = [
        _event(1, "CORP\\alice", {"rationale": "Looks good \u2714\ufe0f"}),  # the real alice
        _event(2, "CORP\\\\alice", {"rationale": "Looks good"}),  # another person
    ]
    first, second = _actors_shown(events)
    assert first != second


def test_a_listing_without_anything_escaped_keeps_its_backslashes() -> None:
    events = [_event(1, "CORP\\alice", {"path": "C:\\data"}), _event(2, "CORP\\bob", {"rationale": "ok"})]
    assert _actors_shown(events) == ["CORP\\alice", "CORP\\bob"]


def test_texts_printed_together_are_printed_as_printable_prints_them_where_both_or_neither_double() -> None:
    for pair in (["C:\\tmp", "a\\d+"], ["C:\\tmp\x1b", "x\\x1b"], ["plain", "text"]):
        assert printable_together(pair) == [printable(text) for text in pair]
    assert printable_together(["C:\\tmp", "b\n"]) == ["C:\\\\tmp", "b\\x0a"]
    assert printable_together([]) == []
