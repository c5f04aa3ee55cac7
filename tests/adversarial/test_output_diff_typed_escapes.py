"""A pinned item's diff (what a reviewer reads before approving a changed tool) shows each side
with ``visible``, which doubles a text's backslashes where it escapes anything. Each side decided
alone, so when one side had something escaped (an invisible character anywhere in it) and the
other had not, a line of the one with a backslash read the same as a line of the other with
two: a description changed from a typed ``\\n`` to a line break, or from ``C:\\\\tmp`` to
``C:\\tmp``, showed as no change, beside the one line that did. The two sides now have their
backslashes doubled alike (``mcpward.output.text.visible_together``)."""

from __future__ import annotations

import json

import pytest

from mcpward.inspect import readable_diff
from mcpward.output.text import visible, visible_together

SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}}}


def _tool(description: str, title: str = "Run") -> str:
    return json.dumps({"name": "run", "description": description, "title": title, "inputSchema": SCHEMA})


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Separate the arguments with \\n, as typed.", "Separate the arguments with \n, as typed."),
        ("Writes only under C:\\\\safe\\\\tmp.", "Writes only under C:\\safe\\tmp."),
        ("Tabs: \\t between the fields.", "Tabs: \t between the fields."),
    ],
    ids=["typed-line-break", "backslashes-halved", "typed-tab"],
)
def test_a_changed_description_shows_in_the_diff_beside_an_invisible_character(
    before: str, after: str
) -> None:
    # The title gains a zero-width joiner (an emoji's, say): the change a reviewer sees.
    diff = readable_diff(_tool(before), _tool(after, "Run \u200d"))
    changed = [
        line
        for line in diff.splitlines()
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
    ]
    assert any('"description"' in line for line in changed), diff


def test_the_other_way_round_too() -> None:
    diff = readable_diff(_tool("Separate with \n.", "Run \u200d"), _tool("Separate with \\n."))
    changed = [
        line
        for line in diff.splitlines()
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
    ]
    assert any('"description"' in line for line in changed), diff


def test_unchanged_lines_with_backslashes_stay_unchanged_when_one_side_gains_an_invisible_character() -> None:
    description = 'Reads "C:\\\\data\\\\notes.txt"; matches \\d+ in each line.'
    diff = readable_diff(_tool(description), _tool(description, "Run \u200b"))
    changed = [
        line
        for line in diff.splitlines()
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
    ]
    assert changed == ['-  "title": "Run"', '+  "title": "Run \\u200b"'], diff


def test_texts_shown_together_are_shown_as_visible_shows_them_where_both_or_neither_double() -> None:
    for pair in (["C:\\tmp", "a\\d+"], ["C:\\tmp\u200b", "x\\u200b"], ["plain", "text"]):
        assert visible_together(pair) == [visible(text) for text in pair]
    assert visible_together(["C:\\tmp", "b\u200b"]) == ["C:\\\\tmp", "b\\u200b"]
    assert visible_together([]) == []
