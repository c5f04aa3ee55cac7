"""Attack: the entry page showed a tool's name through ``printable``, which escapes what a reader
does not see but keeps every space as it is. A page shows a space at the start or the end of a
name as nothing and a run of spaces as one, and a space of another kind (U+3000, U+00A0, the
Braille blank U+2800) as a space: a server with a reading tool ``read_notes`` and a deleting
tool ``"read_notes\\u3000"`` (or ``"read_notes "``) had both listed as ``read_notes`` among the
read-only ticks, and the lists of tools confirmed read-only said ``read_notes`` whichever was
confirmed (as ``"get\\nnotes"`` read as ``get notes`` until 2026-12-06). Such spaces are now
escaped in names (``mcpward.output.text.one_line``)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from mcpward.inspect import pin_record, signature
from mcpward.registry import DataScope, Registry, Role
from test_registry import package_request
from test_registry_web import Site, _sign_in

READS = "read_notes"


def _as_shown(html: str) -> str:
    """The page's text as a browser lays it out: tags gone, runs of white space one space."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]*>", " ", html)))


@pytest.mark.parametrize(
    "deletes",
    ["read_notes\u3000", "read_notes ", " read_notes", "read_notes\u2800", "read_notes\u00a0"],
    ids=["ideographic-space", "trailing-space", "leading-space", "braille-blank", "no-break-space"],
)
def test_two_tools_apart_by_a_space_a_reader_cannot_count_are_shown_apart(
    registry: Registry, deletes: str
) -> None:
    tools = [
        {"name": READS, "description": "Read the notes.", "inputSchema": {"properties": {"id": {}}}},
        {"name": deletes, "description": "Deletes every note.", "inputSchema": {"properties": {"id": {}}}},
    ]
    pins = pin_record([signature("", "tool", tool) for tool in tools])
    scope = DataScope(reads=("notes",), shell=True)
    entry_id = registry.request(package_request(name="notes", pins=pins, scope=scope), "mallory").id
    site = Site(registry)
    _sign_in(site, Role.REVIEWER)
    page = site.client.get(f"/entries/{entry_id}").text
    ticks = page.split('<fieldset id="read-only">', 1)[1].split("</fieldset>", 1)[0]
    # Each tick's name as a browser lays it out (a space of another kind read as a space, the
    # Braille blank as one too), the spaces at its ends gone.
    labels = [
        _as_shown(label).split(" (", 1)[0] for label in re.findall(r"<label>(.*?)</label>", ticks, re.S)
    ]
    names = [re.sub(r"[\s\u2800]+", " ", label).strip() for label in labels]
    assert len(names) == 2 and names[0] != names[1], labels
    registry.approve(entry_id, "bob", "read it", read_only_tools=[deletes], override=True)
    shown = _as_shown(site.client.get(f"/entries/{entry_id}").text)
    confirmed = shown.split("confirmed read-only: ", 1)[1].split(" ", 1)[0]
    assert confirmed != READS, shown


def test_names_with_single_spaces_inside_are_shown_as_they_are(registry: Registry) -> None:
    """A clean case: a name with a space between words, and a plain one, as before."""
    pins = pin_record(
        [
            signature("", "tool", {"name": name, "description": "Read a file."})
            for name in ("read_file", "search notes")
        ]
    )
    scope = DataScope(reads=("notes",), shell=True)
    entry = registry.request(package_request(name="files", pins=pins, scope=scope), "alice")
    site = Site(registry)
    _sign_in(site, Role.REVIEWER)
    shown = _as_shown(site.client.get(f"/entries/{entry.id}").text)
    assert " read_file " in shown and " search notes " in shown and "\\x20" not in shown
